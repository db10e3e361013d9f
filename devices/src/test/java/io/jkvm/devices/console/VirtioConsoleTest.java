package io.jkvm.devices.console;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.virtio.DoorbellRegistrar;
import io.jkvm.devices.virtio.MmioRegister;
import io.jkvm.devices.virtio.MmioTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static io.jkvm.devices.testing.DriverQueue.readable;
import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtioConsoleTest {
    EventLoop loop;
    GuestMemory mem;
    CountingIrq irq;
    ByteArrayOutputStream out;
    VirtioConsole console;
    MmioTransport transport;
    MmioDriver driver;
    DriverQueue rx;
    DriverQueue tx;

    @BeforeEach
    void setUp() {
        loop = new EventLoop("test-loop");
        mem = GuestMemory.allocate(1 << 20);
        irq = new CountingIrq();
        out = new ByteArrayOutputStream();
        console = new VirtioConsole(out);
        transport = new MmioTransport(console, mem, 0xd000_0000L, irq, DoorbellRegistrar.EXIT, loop);
        driver = new MmioDriver(transport, mem);
    }

    void start() {
        DriverQueue[] qs = driver.start(0, 16, 16);
        rx = qs[VirtioConsole.RECEIVEQ];
        tx = qs[VirtioConsole.TRANSMITQ];
    }

    @AfterEach
    void tearDown() {
        transport.close();
        loop.close();
    }

    long text(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        long a = driver.alloc(b.length, 1);
        mem.write(a, b, 0, b.length);
        return a;
    }

    String guestBytes(long addr, int len) {
        byte[] b = new byte[len];
        mem.read(addr, b, 0, len);
        return new String(b, StandardCharsets.US_ASCII);
    }

    /** Waits for the next used entry on q (receive work happens on the loop thread). */
    DriverQueue.Used awaitUsed(DriverQueue q) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            DriverQueue.Used u = q.nextUsed();
            if (u != null) {
                return u;
            }
            Thread.sleep(10);
        }
        return null;
    }

    @Test
    void identityAndConfig() {
        assertEquals(3, driver.read(MmioRegister.DEVICE_ID));
        assertEquals(1, driver.readConfig(4, 4)); // max_nr_ports
        assertEquals(0, driver.deviceFeatures() & 0xffffffL); // no MULTIPORT, no SIZE
    }

    @Test
    void guestOutputGoesToTheStream() {
        start();
        int h1 = tx.addChain(readable(text("hello "), 6));
        int h2 = tx.addChain(readable(text("wor"), 3), readable(text("ld\n"), 3));
        tx.kick();
        assertEquals("hello world\n", out.toString(StandardCharsets.US_ASCII));
        assertEquals(new DriverQueue.Used(h1, 0), tx.nextUsed());
        assertEquals(new DriverQueue.Used(h2, 0), tx.nextUsed());
        assertEquals(12, console.metrics().txBytes.get());
        assertEquals(1, irq.count());
    }

    @Test
    void inputFromAnotherThreadReachesPostedBuffers() throws Exception {
        start();
        long buf = driver.alloc(64, 8);
        int head = rx.addChain(writable(buf, 64));
        rx.kick(); // nothing to give yet
        assertNull(rx.nextUsed());

        Thread typist = new Thread(() -> console.offer("ls -l\n".getBytes(StandardCharsets.US_ASCII), 0, 6));
        typist.start();
        typist.join();
        assertTrue(irq.awaitCount(1, 5, TimeUnit.SECONDS));
        DriverQueue.Used u = rx.nextUsed();
        assertEquals(new DriverQueue.Used(head, 6), u);
        assertEquals("ls -l\n", guestBytes(buf, 6));
        assertEquals(0, console.pendingInput());
        assertEquals(6, console.metrics().rxBytes.get());
    }

    @Test
    void inputWaitsForBuffersAndIsSplitAcrossThem() throws Exception {
        start();
        for (byte b : "0123456789".getBytes(StandardCharsets.US_ASCII)) {
            console.offer(b);
        }
        Thread.sleep(50); // the loop ran receiveq and found no buffer
        assertEquals(10, console.pendingInput());
        long a = driver.alloc(4, 1);
        long b = driver.alloc(4, 1);
        long c = driver.alloc(4, 1);
        rx.addChain(writable(a, 4));
        rx.addChain(writable(b, 4));
        rx.addChain(writable(c, 4));
        rx.kick();
        assertEquals(new DriverQueue.Used(0, 4), awaitUsed(rx));
        assertEquals(4, awaitUsed(rx).len());
        assertEquals(2, awaitUsed(rx).len());
        assertEquals("0123" + "4567" + "89", guestBytes(a, 4) + guestBytes(b, 4) + guestBytes(c, 2));
    }

    @Test
    void inputTypedBeforeTheDriverStartsIsDelivered() throws Exception {
        console.offer("early".getBytes(StandardCharsets.US_ASCII), 0, 5);
        driver.negotiateAllBut(0);
        rx = driver.setupQueue(0, 16);
        driver.setupQueue(1, 16);
        long buf = driver.alloc(16, 8);
        rx.addChain(writable(buf, 16));
        driver.driverOk(); // activation kicks receiveq on the loop
        DriverQueue.Used u = awaitUsed(rx);
        assertNotNull(u);
        assertEquals("early", guestBytes(buf, u.len()));
    }

    @Test
    void overflowIsDroppedAndCounted() {
        start();
        byte[] big = new byte[VirtioConsole.INPUT_CAPACITY + 100];
        console.offer(big, 0, big.length);
        console.offer((byte) 1);
        assertEquals(101, console.metrics().rxDropped.get());
        assertEquals(VirtioConsole.INPUT_CAPACITY, console.pendingInput());
    }

    /**
     * A typist thread offers bytes while the driver thread keeps posting small receive buffers and notifying (exits,
     * so receiveq runs on the driver thread too, next to the loop thread's kicks): every byte arrives, once, in order.
     */
    @Test
    void concurrentInputAndBufferPostingLoseNothing() throws Exception {
        start();
        byte[] text = new byte[20_000];
        new java.util.Random(3).nextBytes(text);
        Thread typist = new Thread(() -> {
            java.util.Random r = new java.util.Random(4);
            for (int off = 0; off < text.length; ) {
                int n = Math.min(1 + r.nextInt(300), text.length - off);
                while (console.pendingInput() > VirtioConsole.INPUT_CAPACITY - 400) {
                    Thread.onSpinWait(); // stay below the drop threshold
                }
                console.offer(text, off, n);
                off += n;
            }
        });
        typist.start();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        long[] bufs = new long[16];
        for (int i = 0; i < 16; i++) {
            bufs[i] = driver.alloc(64, 8);
        }
        java.util.ArrayDeque<Long> posted = new java.util.ArrayDeque<>();
        int next = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (got.size() < text.length && System.nanoTime() < deadline) {
            while (posted.size() < 8) {
                long b = bufs[next++ % 16];
                rx.addChain(writable(b, 64));
                posted.add(b);
            }
            rx.kick();
            DriverQueue.Used u;
            while ((u = rx.nextUsed()) != null) {
                long b = posted.remove();
                byte[] chunk = new byte[u.len()];
                mem.read(b, chunk, 0, chunk.length);
                got.write(chunk);
            }
        }
        typist.join();
        assertEquals(text.length, got.size());
        org.junit.jupiter.api.Assertions.assertArrayEquals(text, got.toByteArray());
        assertEquals(0, console.metrics().rxDropped.get());
    }

    @Test
    void pumpsAnInputStream() throws Exception {
        start();
        long buf = driver.alloc(32, 8);
        rx.addChain(writable(buf, 32));
        rx.kick();
        console.pumpFrom(new ByteArrayInputStream("echo hi\n".getBytes(StandardCharsets.US_ASCII)), "pump").join();
        DriverQueue.Used u = awaitUsed(rx);
        assertNotNull(u);
        assertEquals("echo hi\n", guestBytes(buf, u.len()));
    }

    @Test
    void aTransmitChainIsCopiedUpToWhatThePortBuffers() {
        start();
        int len = 1 << 19;
        long big = driver.alloc(len, 8);
        mem.fill(big, len, (byte) 'x');
        int head = tx.addChain(readable(big, len), readable(big, len)); // 1 MiB in one chain
        tx.kick();
        assertEquals(new DriverQueue.Used(head, 0), tx.nextUsed());
        assertEquals(VirtioConsole.TX_CHAIN_LIMIT, out.size());
        assertEquals(VirtioConsole.TX_CHAIN_LIMIT, console.metrics().txBytes.get());
        assertEquals(2L * len - VirtioConsole.TX_CHAIN_LIMIT, console.metrics().txDropped.get());
        tx.addChain(readable(text("ok\n"), 3));
        tx.kick();
        assertEquals(VirtioConsole.TX_CHAIN_LIMIT + 3, out.size());
    }
}
