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
    MmioTransport transport;
    MmioDriver driver;

    void start(Registers registers) {
        transport = new MmioTransport(device, mem, BASE, irq, DoorbellRegistrar.EXIT, loop);
        if (registers == Registers.PAGE) {
            page = GuestMemory.allocate((int) MmioTransport.WINDOW_SIZE);
            transport.mirrorRegisters(page);
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

    /** A 32-bit guest read of the window: from the page when there is one, else an exit. */
    int read(int offset) {
        return page != null ? page.getIntAcquire(offset) : (int) transport.read(offset, 4);
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
     * Bumped before: while the change runs, a driver that read the old generation already sees another one; and
     * after: while the page takes the new bytes, its generation is not yet the final one.
     */
    @Test
    void theGenerationMovesBeforeTheChangeAndAgainAfterTheNewBytesAreInThePage() {
        start(Registers.PAGE);
        int before = generation();
        List<Integer> duringRender = new ArrayList<>();
        device.onReadConfig = () -> duringRender.add(generation());
        int[] duringChange = new int[1];
        device.context().changeConfig(() -> {
            duringChange[0] = generation();
            device.config.putLong(0, 0x0000_0009_0000_0009L);
        });
        int after = generation();
        assertNotEquals(before, duringChange[0], "the generation moved before the first new byte");
        assertTrue(duringRender.stream().allMatch(g -> g == duringChange[0]),
                "while the page takes the new bytes it still shows the in-between generation: " + duringRender);
        assertNotEquals(duringChange[0], after, "and moves again once the new bytes are in the page");
        assertNotEquals(before, after);
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
