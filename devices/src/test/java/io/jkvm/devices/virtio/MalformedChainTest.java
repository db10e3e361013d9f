package io.jkvm.devices.virtio;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.testing.TestDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.function.BiConsumer;

import static io.jkvm.devices.testing.DriverQueue.writable;
import static io.jkvm.devices.virtio.Virtqueue.DESC_F_INDIRECT;
import static io.jkvm.devices.virtio.Virtqueue.DESC_F_NEXT;
import static io.jkvm.devices.virtio.Virtqueue.DESC_F_WRITE;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hostile driver: every malformed ring or chain must end in DEVICE_NEEDS_RESET with the counter bumped, a config
 * interrupt, a reason, no exception out of the bus write, no used entry, and a device that works after a reset.
 */
class MalformedChainTest {
    static final int RAM = 1 << 20;
    static final int SIZE = 8;

    /** A way to break a queue: writes raw descriptors and publishes (or lies about) heads. */
    enum Case {
        BUFFER_BEYOND_RAM(VirtqueueException.Kind.BUFFER_OUT_OF_RAM, (q, d) -> {
            q.writeDescriptor(0, RAM + 0x1000L, 16, DESC_F_WRITE, 0);
            q.publish(0);
        }),
        BUFFER_STRADDLES_END_OF_RAM(VirtqueueException.Kind.BUFFER_OUT_OF_RAM, (q, d) -> {
            q.writeDescriptor(0, RAM - 8L, 16, DESC_F_WRITE, 0);
            q.publish(0);
        }),
        OVERSIZED_LENGTH(VirtqueueException.Kind.BUFFER_OUT_OF_RAM, (q, d) -> {
            q.writeDescriptor(0, 0x8000, 0xffff_ffff, DESC_F_WRITE, 0);
            q.publish(0);
        }),
        ADDRESS_WRAPS_AROUND(VirtqueueException.Kind.BUFFER_OUT_OF_RAM, (q, d) -> {
            q.writeDescriptor(0, 0xffff_ffff_ffff_f000L, 0x2000, DESC_F_WRITE, 0);
            q.publish(0);
        }),
        LOOP(VirtqueueException.Kind.CHAIN_TOO_LONG, (q, d) -> {
            long b = d.alloc(16, 8);
            q.writeDescriptor(0, b, 16, DESC_F_NEXT, 1);
            q.writeDescriptor(1, b, 16, DESC_F_NEXT, 0);
            q.publish(0);
        }),
        SELF_LOOP(VirtqueueException.Kind.CHAIN_TOO_LONG, (q, d) -> {
            q.writeDescriptor(3, d.alloc(16, 8), 16, DESC_F_NEXT, 3);
            q.publish(3);
        }),
        NEXT_OUT_OF_RANGE(VirtqueueException.Kind.NEXT_OUT_OF_RANGE, (q, d) -> {
            q.writeDescriptor(0, d.alloc(16, 8), 16, DESC_F_NEXT, SIZE + 3);
            q.publish(0);
        }),
        HEAD_OUT_OF_RANGE(VirtqueueException.Kind.HEAD_OUT_OF_RANGE, (q, d) -> q.publish(SIZE + 1)),
        AVAIL_IDX_JUMPS_PAST_QUEUE_SIZE(VirtqueueException.Kind.AVAIL_INDEX_JUMP, (q, d) -> q.setAvailIdx(SIZE + 5)),
        READABLE_AFTER_WRITABLE(VirtqueueException.Kind.READABLE_AFTER_WRITABLE, (q, d) -> {
            long b = d.alloc(32, 8);
            q.writeDescriptor(0, b, 16, DESC_F_WRITE | DESC_F_NEXT, 1);
            q.writeDescriptor(1, b + 16, 16, 0, 0);
            q.publish(0);
        }),
        NESTED_INDIRECT(VirtqueueException.Kind.INDIRECT_NESTED, (q, d) -> {
            long inner = d.alloc(16, 16);
            q.writeDescriptorAt(inner, d.alloc(8, 8), 8, DESC_F_WRITE, 0);
            long outer = d.alloc(16, 16);
            q.writeDescriptorAt(outer, inner, 16, DESC_F_INDIRECT, 0);
            q.writeDescriptor(0, outer, 16, DESC_F_INDIRECT, 0);
            q.publish(0);
        }),
        INDIRECT_WITH_NEXT(VirtqueueException.Kind.INDIRECT_WITH_NEXT, (q, d) -> {
            long t = d.alloc(16, 16);
            q.writeDescriptorAt(t, d.alloc(8, 8), 8, DESC_F_WRITE, 0);
            q.writeDescriptor(0, t, 16, DESC_F_INDIRECT | DESC_F_NEXT, 1);
            q.writeDescriptor(1, d.alloc(8, 8), 8, DESC_F_WRITE, 0);
            q.publish(0);
        }),
        INDIRECT_LENGTH_NOT_MULTIPLE_OF_16(VirtqueueException.Kind.INDIRECT_BAD_LENGTH, (q, d) -> {
            long t = d.alloc(32, 16);
            q.writeDescriptorAt(t, d.alloc(8, 8), 8, DESC_F_WRITE, 0);
            q.writeDescriptor(0, t, 24, DESC_F_INDIRECT, 0);
            q.publish(0);
        }),
        INDIRECT_LENGTH_ZERO(VirtqueueException.Kind.INDIRECT_BAD_LENGTH, (q, d) -> {
            q.writeDescriptor(0, d.alloc(16, 16), 0, DESC_F_INDIRECT, 0);
            q.publish(0);
        }),
        INDIRECT_TABLE_LONGER_THAN_2_TO_16(VirtqueueException.Kind.INDIRECT_BAD_LENGTH, (q, d) -> {
            q.writeDescriptor(0, 0, 16 * (Virtqueue.MAX_INDIRECT_ENTRIES + 1), DESC_F_INDIRECT, 0);
            q.publish(0);
        }),
        INDIRECT_TABLE_OUT_OF_RAM(VirtqueueException.Kind.INDIRECT_OUT_OF_RAM, (q, d) -> {
            q.writeDescriptor(0, RAM - 32L, 64, DESC_F_INDIRECT, 0);
            q.publish(0);
        }),
        INDIRECT_TABLE_LOOP(VirtqueueException.Kind.CHAIN_TOO_LONG, (q, d) -> {
            long t = d.alloc(32, 16);
            long b = d.alloc(8, 8);
            q.writeDescriptorAt(t, b, 8, DESC_F_NEXT, 1);
            q.writeDescriptorAt(t + 16, b, 8, DESC_F_NEXT, 0);
            q.writeDescriptor(0, t, 32, DESC_F_INDIRECT, 0);
            q.publish(0);
        }),
        INDIRECT_NEXT_PAST_TABLE(VirtqueueException.Kind.NEXT_OUT_OF_RANGE, (q, d) -> {
            long t = d.alloc(32, 16);
            q.writeDescriptorAt(t, d.alloc(8, 8), 8, DESC_F_NEXT, 2);
            q.writeDescriptor(0, t, 32, DESC_F_INDIRECT, 0);
            q.publish(0);
        }),
        INDIRECT_BUFFER_OUT_OF_RAM(VirtqueueException.Kind.BUFFER_OUT_OF_RAM, (q, d) -> {
            long t = d.alloc(16, 16);
            q.writeDescriptorAt(t, RAM + 64L, 8, DESC_F_WRITE, 0);
            q.writeDescriptor(0, t, 16, DESC_F_INDIRECT, 0);
            q.publish(0);
        });

        final VirtqueueException.Kind kind;
        final BiConsumer<DriverQueue, MmioDriver> breakIt;

        Case(VirtqueueException.Kind kind, BiConsumer<DriverQueue, MmioDriver> breakIt) {
            this.kind = kind;
            this.breakIt = breakIt;
        }
    }

    EventLoop loop;
    GuestMemory mem;
    CountingIrq irq;
    TestDevice device;
    MmioTransport transport;
    MmioDriver driver;

    @BeforeEach
    void setUp() {
        loop = new EventLoop("test-loop");
        mem = GuestMemory.allocate(RAM);
        irq = new CountingIrq();
        device = new TestDevice(1, SIZE);
        transport = new MmioTransport(device, mem, 0xd000_0000L, irq, DoorbellRegistrar.EXIT, loop);
        driver = new MmioDriver(transport, mem);
    }

    @AfterEach
    void tearDown() {
        transport.close();
        loop.close();
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void endsInNeedsReset(Case c) {
        DriverQueue q = driver.start(0, SIZE)[0];
        c.breakIt.accept(q, driver);
        assertDoesNotThrow(q::kick);

        assertTrue((driver.status() & DeviceStatus.DEVICE_NEEDS_RESET) != 0, "DEVICE_NEEDS_RESET set");
        assertEquals(1, transport.metrics().badDescriptors.get());
        assertEquals(1, transport.metrics().needsReset.get());
        assertEquals(0, transport.metrics().deviceErrors.get(), "no unexpected exception inside the device");
        assertNotNull(transport.lastError());
        assertEquals(0, q.usedIdx(), "nothing was returned");
        assertEquals(1, irq.count());
        assertEquals(MmioTransport.INT_CONFIG_CHANGE, driver.handleInterrupt());
        assertTrue(device.seen().isEmpty(), "the device never saw the chain");
        assertTrue(c.kind.name().length() > 0 && transport.lastError().length() > 10, transport.lastError());

        // Further notifications are ignored until reset; then the device works again.
        assertDoesNotThrow(q::kick);
        assertEquals(1, transport.metrics().needsReset.get());
        DriverQueue fresh = driver.start(0, SIZE)[0];
        fresh.addChain(writable(driver.alloc(8, 8), 8));
        fresh.kick();
        assertEquals(1, fresh.usedIdx());
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void queueReportsTheRightKind(Case c) throws Exception {
        // Straight at the Virtqueue, to pin the classification (the transport only logs the message).
        driver.start(0, SIZE);
        DriverQueue q = driver.start(0, SIZE)[0];
        c.breakIt.accept(q, driver);
        Virtqueue vq = device.context().queue(0);
        VirtqueueException e = org.junit.jupiter.api.Assertions.assertThrows(VirtqueueException.class, vq::pop);
        assertEquals(c.kind, e.kind(), e.getMessage());
    }
}
