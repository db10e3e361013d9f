package io.jkvm.devices.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jkvm.devices.console.VirtioConsole;
import io.jkvm.devices.testing.DriverQueue;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.jkvm.devices.testing.DriverQueue.readable;
import static io.jkvm.devices.testing.DriverQueue.writable;

/**
 * virtio-console both ways: transmit chains of every shape (the guest's output), receive buffers posted while host
 * input arrives from another thread through {@link VirtioConsole#offer}, on top of everything {@link FuzzGuest} does
 * to the rings. Asserted besides the common checks: the guest cannot make one input cost the host more than
 * {@link Sink#BUDGET} bytes of output per notification; after a reset, a line sent comes out and a line typed comes in.
 */
@ExtendWith(QuietLogs.class)
class VirtioConsoleFuzzTest {
    private static final byte[] TX = "jkvm fuzz tx\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RX = "rx!".getBytes(StandardCharsets.US_ASCII);

    /**
     * The host's terminal: counts what the guest sends and keeps the tail. One wake-up serves at most a queue's worth
     * of chains (256) and copies at most 32 KiB of each, so one notification may cost the host at most BUDGET bytes;
     * past that it throws an Error, which no device catches, so a guest that makes the host copy without end is a
     * finding at once instead of a slow input. It also remembers the overrun, in case the loop thread hit it.
     */
    static final class Sink extends OutputStream {
        static final long BUDGET = 256L * 32 * 1024 + 64 * 1024;
        long window;
        volatile AssertionError overrun;
        final byte[] tail = new byte[64];

        void newWindow() {
            window = 0;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            window += len;
            if (window > BUDGET) {
                overrun = new AssertionError("virtio-console sent the host " + window + " bytes for one notification");
                throw overrun;
            }
            int keep = Math.min(len, tail.length);
            System.arraycopy(tail, keep, tail, 0, tail.length - keep);
            System.arraycopy(b, off + len - keep, tail, tail.length - keep, keep);
        }

        synchronized boolean endsWith(byte[] s) {
            return Arrays.equals(tail, tail.length - s.length, tail.length, s, 0, s.length);
        }
    }

    @FuzzTest
    void bothDirections(FuzzedDataProvider data) throws Throwable {
        Bounded.run("a virtio-console input", () -> {
            Sink out = new Sink();
            VirtioConsole console = new VirtioConsole(out);
            try (FuzzGuest g = new FuzzGuest(console, data)) {
                g.beforeNotify = out::newWindow;
                g.bringUp();
                for (int i = 0; i < 64 && data.remainingBytes() > 0; i++) {
                    switch (data.consumeInt(0, 5)) {
                        case 0: // host input, from the stdin pump's thread in the VMM
                            byte[] b = data.consumeBytes(data.consumeInt(1, 4096));
                            console.offer(b, 0, b.length);
                            SharedLoop.drain();
                            break;
                        case 1: { // a line of output
                            long at = g.bufferAddress();
                            int len = data.consumeInt(0, 256);
                            if (FuzzRam.contains(at, len)) {
                                g.mem.write(at, TX, 0, Math.min(len, TX.length));
                            }
                            g.post(g.rings[VirtioConsole.TRANSMITQ], java.util.List.of(new FuzzGuest.Buf(at, len,
                                    false)));
                            break;
                        }
                        default:
                            g.commonStep();
                    }
                }
                g.notifyQueue(VirtioConsole.TRANSMITQ);
                g.notifyQueue(VirtioConsole.RECEIVEQ);
                g.assertNoDeviceErrors();
                if (out.overrun != null) {
                    throw out.overrun;
                }
                g.assertIdentity();
                out.newWindow();
                servedAfterReset(g, console, out);
            }
        });
    }

    private static void servedAfterReset(FuzzGuest g, VirtioConsole console, Sink out) throws InterruptedException {
        DriverQueue[] qs = g.driver.start(0, 8, 8);
        long line = g.driver.alloc(TX.length, 1);
        g.mem.write(line, TX, 0, TX.length);
        int head = qs[VirtioConsole.TRANSMITQ].addChain(readable(line, TX.length));
        qs[VirtioConsole.TRANSMITQ].kick();
        DriverQueue.Used u = qs[VirtioConsole.TRANSMITQ].nextUsed();
        FuzzGuest.check(u != null && u.id() == head && u.len() == 0 && out.endsWith(TX),
                "output after a reset did not come out: " + u);

        int pending = console.pendingInput();
        console.offer(RX, 0, RX.length);
        long in = g.driver.alloc(4096, 8);
        head = qs[VirtioConsole.RECEIVEQ].addChain(writable(in, 4096));
        qs[VirtioConsole.RECEIVEQ].kick();
        SharedLoop.drain();
        u = qs[VirtioConsole.RECEIVEQ].nextUsed();
        int expected = Math.min(4096, pending + RX.length);
        FuzzGuest.check(u != null && u.id() == head && u.len() == expected,
                "input after a reset did not come in: " + u + ", " + expected + " bytes expected");
        if (expected == pending + RX.length) {
            byte[] got = new byte[RX.length];
            g.mem.read(in + pending, got, 0, RX.length);
            FuzzGuest.check(Arrays.equals(got, RX), "input after a reset came in garbled");
        }
    }
}
