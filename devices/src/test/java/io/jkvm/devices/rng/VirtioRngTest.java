package io.jkvm.devices.rng;

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

import java.security.SecureRandom;

import static io.jkvm.devices.testing.DriverQueue.readable;
import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class VirtioRngTest {
    EventLoop loop;
    GuestMemory mem;
    CountingIrq irq;
    VirtioRng rng;
    MmioTransport transport;
    MmioDriver driver;
    DriverQueue q;

    /** SHA1PRNG seeded before first use is deterministic: the test can predict every byte. */
    static SecureRandom seeded() throws Exception {
        SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
        r.setSeed(42);
        return r;
    }

    @BeforeEach
    void setUp() throws Exception {
        loop = new EventLoop("test-loop");
        mem = GuestMemory.allocate(1 << 20);
        irq = new CountingIrq();
        rng = new VirtioRng(seeded());
        transport = new MmioTransport(rng, mem, 0xd000_0000L, irq, DoorbellRegistrar.EXIT, loop);
        driver = new MmioDriver(transport, mem);
        q = driver.start(0, 64)[0];
    }

    @AfterEach
    void tearDown() {
        transport.close();
        loop.close();
    }

    @Test
    void identifiesAsEntropyDevice() {
        assertEquals(4, driver.read(MmioRegister.DEVICE_ID));
        assertEquals(0, driver.readConfig(0, 4));
    }

    @Test
    void fillsBuffersWithTheSourceBytes() throws Exception {
        long a = driver.alloc(100, 8);
        long b = driver.alloc(40, 8);
        int h1 = q.addChain(writable(a, 100));
        int h2 = q.addChain(writable(b, 30), writable(b + 30, 10));
        q.kick();
        assertEquals(new DriverQueue.Used(h1, 100), q.nextUsed());
        assertEquals(new DriverQueue.Used(h2, 40), q.nextUsed());
        assertEquals(1, irq.count());

        byte[] pool = new byte[4096];
        seeded().nextBytes(pool);
        byte[] got = new byte[140];
        mem.read(a, got, 0, 100);
        mem.read(b, got, 100, 40);
        assertArrayEquals(java.util.Arrays.copyOf(pool, 140), got);
        assertEquals(2, rng.metrics().requests.get());
        assertEquals(140, rng.metrics().bytes.get());
    }

    @Test
    void largeRequestIsCappedAndSpansPoolRefills() {
        int len = VirtioRng.MAX_BYTES_PER_REQUEST + 4096;
        long a = driver.alloc(len, 8);
        int h = q.addChain(writable(a, len));
        q.kick();
        assertEquals(new DriverQueue.Used(h, VirtioRng.MAX_BYTES_PER_REQUEST), q.nextUsed());
        assertEquals(0, mem.getByte(a + VirtioRng.MAX_BYTES_PER_REQUEST)); // untouched past the cap
    }

    @Test
    void requestWithoutWritableBufferGetsNothing() {
        long a = driver.alloc(16, 8);
        int h = q.addChain(readable(a, 16));
        q.kick();
        assertEquals(new DriverQueue.Used(h, 0), q.nextUsed());
        assertEquals(1, rng.metrics().emptyRequests.get());
        byte[] zero = new byte[16];
        byte[] got = new byte[16];
        mem.read(a, got, 0, 16);
        assertArrayEquals(zero, got, "device-readable buffer not written");
    }
}
