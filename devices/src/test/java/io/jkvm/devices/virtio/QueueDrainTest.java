package io.jkvm.devices.virtio;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.MmioDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The budget of one wake-up: at most a queue's worth of chains and re-checks, the rest on the event loop. */
class QueueDrainTest {
    static final int SIZE = 8;

    EventLoop loop;
    GuestMemory mem;
    CountingIrq irq;

    @BeforeEach
    void setUp() {
        loop = new EventLoop("test-loop");
        mem = GuestMemory.allocate(1 << 20);
        irq = new CountingIrq();
    }

    @AfterEach
    void tearDown() {
        loop.close();
    }

    /** A device whose one queue's handler can be swapped by a test. */
    static final class Device extends VirtioDeviceBase {
        final AtomicInteger served = new AtomicInteger();
        volatile Runnable onChain = () -> { };
        volatile java.util.function.ToLongFunction<DescriptorChain> usedLength = c -> 0;

        Device() {
            super(0x42, "virtio-test", 0, SIZE);
            serve(0, c -> {
                served.incrementAndGet();
                onChain.run();
                return usedLength.applyAsLong(c);
            });
        }

        @Override
        public long deviceFeatures() {
            return 0;
        }

        @Override
        public io.jkvm.devices.metrics.Metrics metrics() {
            return new io.jkvm.devices.metrics.Metrics() {
            };
        }
    }

    /** A context that only counts kicks. */
    static final class Kicks implements DeviceContext {
        final AtomicInteger kicks = new AtomicInteger();
        final GuestMemory memory;

        Kicks(GuestMemory memory) {
            this.memory = memory;
        }

        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public long features() {
            return VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        }

        @Override
        public Virtqueue queue(int index) {
            return null;
        }

        @Override
        public void kick(int queueIndex) {
            kicks.incrementAndGet();
        }

        @Override
        public void changeConfig(Runnable change) {
            change.run();
        }

        @Override
        public void fail(String reason) {
        }

        @Override
        public EventLoop eventLoop() {
            return null;
        }
    }

    @Test
    void aReCheckThatNeverSettlesEndsTheWakeUp() {
        // The layout QueueReady now refuses, installed behind validate()'s back: used->flags on avail->idx.
        Virtqueue q = new Virtqueue(mem, 0, 1);
        q.setSize(1);
        q.setDescTable(0x2000);
        q.setAvailRing(0x3002);
        q.setUsedRing(0x3004);
        q.setReady(true);
        q.start(VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        Kicks ctx = new Kicks(mem);
        AtomicInteger chains = new AtomicInteger();
        boolean[] more = new boolean[1];
        assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> more[0] = QueueDrain.drain(ctx, q, c -> chains.incrementAndGet()));
        assertTrue(more[0], "the budget ran out");
        assertEquals(1, ctx.kicks.get(), "the rest was asked for on the loop");
        assertTrue(chains.get() <= 1);
    }

    @Test
    void aDriverThatNeverStopsAddingLetsTheNotifyingVcpuGo() throws Exception {
        Device device = new Device();
        MmioTransport transport = new MmioTransport(device, mem, 0xd000_0000L, irq, DoorbellRegistrar.EXIT, loop);
        try {
            MmioDriver driver = new MmioDriver(transport, mem);
            DriverQueue q = driver.start(0, SIZE)[0];
            long buf = driver.alloc(16, 8);
            int total = 1000;
            // Another vCPU of the guest adds a chain for every one served, until it has added `total`.
            AtomicInteger added = new AtomicInteger(1);
            java.util.concurrent.atomic.AtomicReference<Thread> vcpu = new java.util.concurrent.atomic.AtomicReference<>();
            AtomicInteger servedInExit = new AtomicInteger();
            device.onChain = () -> {
                if (Thread.currentThread() == vcpu.get()) {
                    servedInExit.incrementAndGet();
                }
                if (added.get() < total) {
                    added.incrementAndGet();
                    q.addChain(writable(buf, 16));
                }
            };
            q.addChain(writable(buf, 16));
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                vcpu.set(Thread.currentThread()); // the QueueNotify exit runs on this thread
                q.kick();
            });
            assertTrue(servedInExit.get() <= SIZE, servedInExit + " chains served in one QueueNotify");
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (device.served.get() < total && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(total, device.served.get(), "the event loop served the rest");
            assertEquals(total & 0xffff, q.usedIdx());
            assertEquals(0, driver.status() & DeviceStatus.DEVICE_NEEDS_RESET);
        } finally {
            transport.close();
        }
    }

    @Test
    void anIndirectTableIsBudgetedByItsOwnLengthAndTheUsedLengthNeverWraps() {
        // 4096 writable MiB through one indirect table on a ring of 8: 2^32 bytes, a used length le32 cannot hold.
        GuestMemory big = GuestMemory.allocate(4 << 20);
        Device device = new Device();
        MmioTransport transport = new MmioTransport(device, big, 0xd000_0000L, irq, DoorbellRegistrar.EXIT, loop);
        try {
            MmioDriver driver = new MmioDriver(transport, big);
            DriverQueue q = driver.start(0, SIZE)[0];
            long mib = driver.alloc(1 << 20, 4096);
            DriverQueue.Buf[] bufs = new DriverQueue.Buf[4096];
            java.util.Arrays.fill(bufs, writable(mib, 1 << 20));
            device.usedLength = DescriptorChain::writableLength;
            int head = q.addIndirect(bufs);
            q.kick();
            assertEquals(0, driver.status() & DeviceStatus.DEVICE_NEEDS_RESET, transport.lastError());
            assertEquals(new DriverQueue.Used(head, 0xffff_ffff), q.nextUsed());
            // A device that claims more than the chain can hold reports the writable length, not its claim.
            device.usedLength = c -> c.writableLength() + 100;
            head = q.addChain(writable(mib, 64));
            q.kick();
            assertEquals(new DriverQueue.Used(head, 64), q.nextUsed());
        } finally {
            transport.close();
        }
    }
}
