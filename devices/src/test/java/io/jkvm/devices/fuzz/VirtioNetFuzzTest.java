package io.jkvm.devices.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jkvm.devices.net.NetMetrics;
import io.jkvm.devices.net.VirtioNet;
import io.jkvm.devices.net.VirtioNetHeader;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.FrameBackend;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Arrays;
import java.util.List;

import static io.jkvm.devices.testing.DriverQueue.readable;
import static io.jkvm.devices.testing.DriverQueue.writable;

/**
 * virtio-net both ways: frames of every length arriving from the backend while the guest posts receive chains of
 * every shape, transmit chains with headers the input writes, on top of everything {@link FuzzGuest} does to the
 * rings. Asserted besides the common checks: every frame the backend handed over is delivered, dropped with a
 * counter or still waiting (none vanishes), every frame sent is a whole chain of at least an Ethernet header, and
 * after a reset a frame goes out and a frame comes in.
 */
@ExtendWith(QuietLogs.class)
class VirtioNetFuzzTest {
    @FuzzTest
    void bothDirections(FuzzedDataProvider data) throws Throwable {
        Bounded.run("a virtio-net input", () -> {
            FrameBackend backend = new FrameBackend(data.consumeBoolean());
            VirtioNet net = new VirtioNet(backend, new byte[] {2, 0, 0, 0, 0, 1});
            long offered = 0;
            try (FuzzGuest g = new FuzzGuest(net, data)) {
                g.bringUp();
                for (int i = 0; i < 64 && data.remainingBytes() > 0; i++) {
                    switch (data.consumeInt(0, 5)) {
                        case 0: { // a frame from the tap: header bytes from the input, any length
                            int len = data.consumeInt(0, 7) == 0 ? data.consumeInt(1, VirtioNet.MAX_FRAME)
                                    : data.consumeInt(1, 2048); // a tap never reads an empty frame
                            byte[] f = Arrays.copyOf(data.consumeBytes(len), len);
                            backend.offer(f);
                            offered++;
                            SharedLoop.drain();
                            break;
                        }
                        case 1: { // a frame to send, its header from the input
                            long at = g.bufferAddress();
                            int len = data.consumeInt(0, 2048);
                            byte[] hdr = data.consumeBytes(VirtioNetHeader.SIZE);
                            if (FuzzRam.contains(at, hdr.length)) {
                                g.mem.write(at, hdr, 0, hdr.length);
                            }
                            g.post(g.rings[VirtioNet.TRANSMITQ], List.of(new FuzzGuest.Buf(at, len, false)));
                            break;
                        }
                        default:
                            g.commonStep();
                    }
                }
                g.notifyQueue(VirtioNet.TRANSMITQ);
                g.notifyQueue(VirtioNet.RECEIVEQ);
                SharedLoop.drain();
                g.assertNoDeviceErrors();
                g.assertIdentity();
                for (byte[] f : backend.sent()) {
                    FuzzGuest.check(f.length >= VirtioNet.MIN_FRAME && f.length <= VirtioNet.MAX_FRAME,
                            "sent a " + f.length + "-byte frame");
                }
                g.driver.reset();
                SharedLoop.drain();
                NetMetrics m = net.metrics();
                long accounted = m.rxFrames.get() + m.rxDropOversize.get() + m.rxDropReset.get() + m.rxErrors.get()
                        + backend.waiting();
                FuzzGuest.check(accounted == offered, offered + " frames offered, " + accounted + " accounted for: "
                        + m.snapshot());
                servedAfterReset(g, backend);
            }
        });
    }

    private static void servedAfterReset(FuzzGuest g, FrameBackend backend) throws InterruptedException {
        while (backend.waiting() > 0) {
            backend.receive(new byte[VirtioNet.MAX_FRAME]); // what the old driver left, as a tap would hold it
        }
        DriverQueue[] qs = g.driver.start(0, 8, 8);
        byte[] out = new byte[VirtioNetHeader.SIZE + 60];
        out[VirtioNetHeader.SIZE] = 0x42;
        long a = g.driver.alloc(out.length, 8);
        g.mem.write(a, out, 0, out.length);
        int before = backend.sent().size();
        qs[VirtioNet.TRANSMITQ].addChain(readable(a, out.length));
        qs[VirtioNet.TRANSMITQ].kick();
        List<byte[]> sent = backend.sent();
        FuzzGuest.check(sent.size() == before + 1 && Arrays.equals(sent.get(sent.size() - 1), out),
                "a frame after a reset did not go out");

        long in = g.driver.alloc(2048, 8);
        int head = qs[VirtioNet.RECEIVEQ].addChain(writable(in, 2048));
        qs[VirtioNet.RECEIVEQ].kick();
        backend.offer(out);
        for (int i = 0; i < 100 && qs[VirtioNet.RECEIVEQ].usedIdx() == 0; i++) {
            SharedLoop.drain();
            Thread.sleep(1);
        }
        DriverQueue.Used u = qs[VirtioNet.RECEIVEQ].nextUsed();
        FuzzGuest.check(u != null && u.id() == head && u.len() == out.length,
                "a frame after a reset did not come in: " + u);
        FuzzGuest.check(g.mem.getByte(in + VirtioNetHeader.SIZE) == 0x42, "a frame after a reset came in garbled");
    }
}
