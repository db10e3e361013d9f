package io.jkvm.devices.virtio;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.metrics.Metrics;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.MmioDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Configuration space is never seen torn under one ConfigGeneration (virtio 1.2, 2.5.1 and 4.2.2.2): the driver
 * reads the generation, the fields, the generation again, and trusts the fields when both generations agree. The
 * device here holds one 64-bit field whose two halves are always equal, so a torn read shows as unequal halves.
 */
class ConfigGenerationTest {
    static final long BASE = 0xd000_0000L;

    enum Registers { EXIT, PAGE }

    /** One 8-byte field that the test changes; readConfig can watch the page while the transport renders it. */
    static final class Device extends VirtioDeviceBase {
        Runnable onReadConfig = () -> { };

        Device() {
            super(0x42, "virtio-config-test", 8, 8);
            serve(0, c -> 0);
            config.putLong(0, 0);
        }

        void set(int v) {
            context().changeConfig(() -> config.putLong(0, (Integer.toUnsignedLong(v) << 32) | Integer.toUnsignedLong(v)));
        }

        @Override
        public void readConfig(int offset, byte[] data, int length) {
            onReadConfig.run();
            super.readConfig(offset, data, length);
        }

        @Override
        public long deviceFeatures() {
            return 0;
        }

        @Override
        public Metrics metrics() {
            return new Metrics() { };
        }
    }

    EventLoop loop = new EventLoop("test-loop");
    GuestMemory mem = GuestMemory.allocate(1 << 20);
    CountingIrq irq = new CountingIrq();
    Device device = new Device();
    GuestMemory page;
    /** Whether the page is over the window; page reads and (un)mapping exclude each other, as under KVM's SRCU. */
    boolean mapped;
    final Object slot = new Object();
    final PageMapping mapping = new PageMapping() {
        @Override
        public void unmap() {
            synchronized (slot) {
                mapped = false;
            }
        }

        @Override
        public void map() {
            synchronized (slot) {
                mapped = true;
            }
        }
    };
    MmioTransport transport;
    MmioDriver driver;

    void start(Registers registers) {
        transport = new MmioTransport(device, mem, BASE, irq, DoorbellRegistrar.EXIT, loop);
        if (registers == Registers.PAGE) {
            page = GuestMemory.allocate((int) MmioTransport.WINDOW_SIZE);
            transport.mirrorRegisters(page, mapping);
            mapping.map();
        }
        driver = new MmioDriver(transport, mem);
        driver.start(0, 8);
    }

    @AfterEach
    void tearDown() {
        if (transport != null) {
            transport.close();
        }
        loop.close();
    }

    /** A 32-bit guest read of the window: from the page while it is mapped, else an exit. */
    int read(int offset) {
        if (page != null) {
            synchronized (slot) {
                if (mapped) {
                    return page.getIntAcquire(offset);
                }
            }
        }
        return (int) transport.read(offset, 4);
    }

    int generation() {
        return read(MmioRegister.CONFIG_GENERATION.offset());
    }

    @ParameterizedTest(name = "{0} registers")
    @EnumSource(Registers.class)
    void aChangeMovesTheGenerationAndInterruptsOnce(Registers registers) {
        start(registers);
        int before = generation();
        long edges = irq.count();
        device.set(7);
        assertNotEquals(before, generation());
        assertEquals(7, read(MmioRegister.CONFIG_OFFSET));
        assertEquals(7, read(MmioRegister.CONFIG_OFFSET + 4));
        assertEquals(edges + 1, irq.count());
        assertEquals(MmioTransport.INT_CONFIG_CHANGE, driver.handleInterrupt());
    }

    /**
     * While the change runs the page is away (reads exit and wait), its generation has moved already, and while it
     * takes the new bytes its generation is not yet the final one, which comes after them.
     */
    @Test
    void thePageIsAwayDuringTheChangeAndItsGenerationMovesBeforeAndAfterTheNewBytes() {
        start(Registers.PAGE);
        int gen = MmioRegister.CONFIG_GENERATION.offset();
        int before = page.getInt(gen);
        List<Integer> duringRender = new ArrayList<>();
        boolean[] mappedDuringChange = new boolean[1];
        device.onReadConfig = () -> duringRender.add(page.getInt(gen));
        int[] duringChange = new int[1];
        device.context().changeConfig(() -> {
            duringChange[0] = page.getInt(gen);
            mappedDuringChange[0] = mapped;
            device.config.putLong(0, 0x0000_0009_0000_0009L);
        });
        int after = page.getInt(gen);
        assertTrue(!mappedDuringChange[0], "guest reads exit while the configuration changes");
        assertTrue(mapped, "and the page is back afterwards");
        assertNotEquals(before, duringChange[0], "the generation moved before the first new byte");
        assertTrue(duringRender.stream().allMatch(g -> g == duringChange[0]),
                "while the page takes the new bytes it still shows the in-between generation: " + duringRender);
        assertNotEquals(duringChange[0], after, "and moves again once the new bytes are in the page");
        assertEquals(9, page.getInt(MmioRegister.CONFIG_OFFSET + 4));
    }

    /** The driver's loop against a device changing its configuration as fast as it can. */
    @ParameterizedTest(name = "{0} registers")
    @EnumSource(Registers.class)
    void aReaderRacingChangesNeverAcceptsATornField(Registers registers) throws InterruptedException {
        start(registers);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong changes = new AtomicLong();
        Thread writer = new Thread(() -> {
            for (int v = 1; !stop.get(); v++) {
                device.set(v);
                changes.incrementAndGet();
            }
        }, "config-writer");
        writer.start();
        long accepted = 0;
        long retries = 0;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        try {
            while (System.nanoTime() < deadline) {
                int g1 = generation();
                int lo = read(MmioRegister.CONFIG_OFFSET);
                int hi = read(MmioRegister.CONFIG_OFFSET + 4);
                int g2 = generation();
                if (g1 != g2) {
                    retries++;
                    continue;
                }
                assertEquals(lo, hi, "a torn field under generation " + g1);
                accepted++;
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertTrue(accepted > 0 && changes.get() > 0, accepted + " reads accepted, " + changes + " changes");
    }
}
