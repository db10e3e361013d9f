package io.jkvm.devices.virtio;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CapturedLog;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.testing.RecordingRegistrar;
import io.jkvm.devices.testing.TestDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.jkvm.devices.testing.DriverQueue.readable;
import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MmioTransportTest {
    static final long BASE = 0xd000_0000L;

    EventLoop loop;
    GuestMemory mem;
    CountingIrq irq;
    TestDevice device;
    MmioTransport transport;
    MmioDriver driver;

    @BeforeEach
    void setUp() {
        loop = new EventLoop("test-loop");
        mem = GuestMemory.allocate(1 << 20);
        irq = new CountingIrq();
        device = new TestDevice(2, 16);
        transport = new MmioTransport(device, mem, BASE, irq, DoorbellRegistrar.EXIT, loop);
        driver = new MmioDriver(transport, mem);
    }

    @AfterEach
    void tearDown() {
        transport.close();
        loop.close();
    }

    @Test
    void identityRegisters() {
        assertEquals(0x74726976, driver.read(MmioRegister.MAGIC_VALUE));
        assertEquals(2, driver.read(MmioRegister.VERSION));
        assertEquals(TestDevice.DEVICE_TYPE, driver.read(MmioRegister.DEVICE_ID));
        assertEquals(MmioTransport.VENDOR_ID, driver.read(MmioRegister.VENDOR_ID));
        long f = driver.deviceFeatures();
        assertEquals(TestDevice.FEATURE_FOO | VirtioFeatures.TRANSPORT, f);
        assertTrue(VirtioFeatures.has(f, VirtioFeatures.VERSION_1));
        driver.write(MmioRegister.DEVICE_FEATURES_SEL, 7);
        assertEquals(0, driver.read(MmioRegister.DEVICE_FEATURES));
    }

    @Test
    void queueNumMaxPerQueueAndZeroForMissingQueue() {
        driver.write(MmioRegister.QUEUE_SEL, 1);
        assertEquals(16, driver.read(MmioRegister.QUEUE_NUM_MAX));
        driver.write(MmioRegister.QUEUE_SEL, 2);
        assertEquals(0, driver.read(MmioRegister.QUEUE_NUM_MAX));
        assertEquals(0, driver.read(MmioRegister.QUEUE_READY));
        driver.write(MmioRegister.QUEUE_READY, 1); // no such queue: ignored
        assertEquals(1, transport.metrics().badRegisterAccesses.get());
    }

    @Test
    void badAccessesNeverThrowAndAreCounted() {
        assertEquals(0, transport.read(0x002, 2));       // narrow access to a control register
        assertEquals(0, transport.read(0x0f0, 4));       // hole
        assertEquals(0, transport.read(0x003, 4));       // unaligned
        assertEquals(0, transport.read(-8, 4));
        assertEquals(0, transport.read(0x2000, 4));      // past the window
        transport.write(0x000, 4, 1);                    // read-only register
        transport.write(0x070, 1, 1);                    // byte write to Status
        transport.write(0x100, 3, 1);                    // odd config width
        assertEquals(0, transport.read(MmioRegister.DRIVER_FEATURES.offset(), 4)); // write-only
        assertEquals(9, transport.metrics().badRegisterAccesses.get());
        assertEquals(0, driver.status());
    }

    @Test
    void registerNamesForExitCounting() {
        assertEquals("QueueNotify", MmioRegister.at(0x50).specName());
        assertEquals("InterruptACK", MmioRegister.at(0x64).specName());
        assertEquals("QueueDeviceHigh", MmioRegister.at(0xa4).specName());
        assertEquals("ConfigGeneration", MmioRegister.at(0xfc).specName());
        assertEquals("Config", MmioRegister.at(0x123).specName());
        assertEquals(MmioRegister.UNKNOWN, MmioRegister.at(0x52));
        assertEquals(MmioRegister.UNKNOWN, MmioRegister.at(0x18));
        assertEquals("virtio_mmio.device=4K@0xd0000000:5", MmioTransport.kernelCmdline(BASE, 5));
    }

    @Test
    void featuresOkRefusedWithoutVersion1() {
        assertFalse(driver.negotiate(VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX)));
        assertEquals(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER, driver.status());
        assertEquals(1, transport.metrics().featuresRefused.get());
        driver.driverOk(); // must not activate without FEATURES_OK
        assertEquals(0, device.metrics().activations.get());
        assertEquals(0, driver.status() & DeviceStatus.DRIVER_OK);
    }

    @Test
    void featuresOkRefusedForBitsNotOffered() {
        assertFalse(driver.negotiate(VirtioFeatures.bit(VirtioFeatures.VERSION_1) | (1L << 40)));
        assertTrue(driver.negotiate(VirtioFeatures.bit(VirtioFeatures.VERSION_1) | TestDevice.FEATURE_FOO));
        assertEquals(VirtioFeatures.bit(VirtioFeatures.VERSION_1) | TestDevice.FEATURE_FOO, transport.driverFeatures());
    }

    @Test
    void statusStateMachine() {
        driver.setStatus(DeviceStatus.DRIVER); // DRIVER before ACKNOWLEDGE
        assertEquals(0, driver.status());
        driver.setStatus(DeviceStatus.ACKNOWLEDGE);
        driver.addStatus(DeviceStatus.DRIVER);
        driver.writeDriverFeatures(VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        driver.addStatus(DeviceStatus.FEATURES_OK);
        driver.setStatus(DeviceStatus.ACKNOWLEDGE); // clearing bits is not allowed
        assertEquals(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK, driver.status());
        // Feature bits are frozen once FEATURES_OK is set.
        driver.writeDriverFeatures(VirtioFeatures.bit(VirtioFeatures.VERSION_1) | TestDevice.FEATURE_FOO);
        assertEquals(VirtioFeatures.bit(VirtioFeatures.VERSION_1), transport.driverFeatures());
        driver.driverOk();
        assertEquals(1, device.metrics().activations.get());
        assertTrue(transport.metrics().badStatusWrites.get() >= 2);
        driver.addStatus(DeviceStatus.FAILED);
        assertTrue((driver.status() & DeviceStatus.FAILED) != 0);
    }

    @Test
    void configSpaceAtEveryWidthAndGeneration() {
        assertEquals(0x44, driver.readConfig(0, 1));
        assertEquals(0x3344, driver.readConfig(0, 2));
        assertEquals(0x11223344L, driver.readConfig(0, 4));
        assertEquals(0x5566_11223344L, driver.readConfig(0, 8));
        assertEquals(0, driver.readConfig(0x200, 4)); // past the device's space
        driver.writeConfig(0, 4, 0xffffffffL);         // read-only part
        assertEquals(0x11223344L, driver.readConfig(0, 4));
        driver.writeConfig(6, 2, 0xbeef);
        assertEquals(0xef, device.configByte(6));
        assertEquals(0xbe, device.configByte(7));
        driver.start(0, 4, 4);
        int gen = driver.read(MmioRegister.CONFIG_GENERATION);
        long before = irq.count();
        device.context().configChanged();
        assertNotEquals(gen, driver.read(MmioRegister.CONFIG_GENERATION));
        assertEquals(before + 1, irq.count());
        assertEquals(MmioTransport.INT_CONFIG_CHANGE, driver.handleInterrupt());
        assertEquals(0, driver.read(MmioRegister.INTERRUPT_STATUS));
    }

    @Test
    void usedBufferInterruptSetsStatusBeforeTheEdge() {
        int[] statusAtEdge = new int[1];
        transport.close();
        transport = new MmioTransport(device, mem, BASE,
                () -> statusAtEdge[0] = (int) transportRead(MmioRegister.INTERRUPT_STATUS), DoorbellRegistrar.EXIT, loop);
        driver = new MmioDriver(transport, mem);
        DriverQueue q = driver.start(0, 8)[0];
        long buf = driver.alloc(16, 8);
        q.addChain(writable(buf, 16));
        q.kick();
        assertEquals(MmioTransport.INT_USED_BUFFER, statusAtEdge[0]);
        assertEquals(MmioTransport.INT_USED_BUFFER, driver.handleInterrupt());
        assertEquals(0, driver.read(MmioRegister.INTERRUPT_STATUS));
    }

    private long transportRead(MmioRegister r) {
        return transport.read(r.offset(), 4);
    }

    @Test
    void exitNotificationIsProcessedOnTheCallingThread() {
        DriverQueue q = driver.start(0, 8)[0];
        long buf = driver.alloc(64, 8);
        mem.write(buf, "hello".getBytes(), 0, 5);
        long out = driver.alloc(32, 8);
        int head = q.addChain(readable(buf, 5), writable(out, 32));
        q.kick();
        assertEquals(Thread.currentThread().getName(), device.processThread());
        DriverQueue.Used u = q.nextUsed();
        assertNotNull(u);
        assertEquals(head, u.id());
        assertEquals(32, u.len());
        assertEquals((byte) 0xA5, mem.getByte(out + 31));
        assertEquals("hello", new String(device.seen().get(0).readable()));
        assertEquals(1, transport.metrics().exitNotifications.get());
        assertEquals(1, irq.count());
    }

    @Test
    void queueLayoutOutsideRamOrMisalignedMeansNeedsReset() {
        driver.negotiateAllBut(0);
        driver.write(MmioRegister.QUEUE_SEL, 0);
        driver.write(MmioRegister.QUEUE_NUM, 8);
        driver.program(0x1008, 0x3000, 0x4000); // descriptor table not 16-aligned
        driver.write(MmioRegister.QUEUE_READY, 1);
        assertEquals(0, driver.read(MmioRegister.QUEUE_READY));
        assertTrue((driver.status() & DeviceStatus.DEVICE_NEEDS_RESET) != 0);
        assertTrue(transport.lastError().contains("misaligned"), transport.lastError());

        driver.negotiateAllBut(0);
        driver.write(MmioRegister.QUEUE_NUM, 8);
        driver.program(0x1000, 0x3000, (1 << 20) - 16); // used ring runs past RAM
        driver.write(MmioRegister.QUEUE_READY, 1);
        assertTrue(transport.lastError().contains("used ring"), transport.lastError());

        driver.negotiateAllBut(0);
        driver.write(MmioRegister.QUEUE_NUM, 6); // not a power of 2
        driver.program(0x1000, 0x3000, 0x4000);
        driver.write(MmioRegister.QUEUE_READY, 1);
        assertTrue(transport.lastError().contains("power of 2"), transport.lastError());
        assertEquals(3, transport.metrics().badQueueConfigs.get());
        assertEquals(3, transport.metrics().needsReset.get());
    }

    @Test
    void queueRegistersFrozenWhileReady() {
        DriverQueue q = driver.start(0, 8)[0];
        driver.write(MmioRegister.QUEUE_SEL, 0);
        driver.write(MmioRegister.QUEUE_NUM, 4);
        driver.write(MmioRegister.QUEUE_DESC_LOW, 0x8000);
        assertEquals(2, transport.metrics().badRegisterAccesses.get());
        long buf = driver.alloc(8, 8);
        q.addChain(writable(buf, 8));
        q.kick();
        assertNotNull(q.nextUsed()); // still the original layout
    }

    @Test
    void resetClearsEverythingAndUnregistersDoorbells() throws Exception {
        RecordingRegistrar kvm = new RecordingRegistrar();
        transport.close();
        transport = new MmioTransport(device, mem, BASE, irq, kvm, loop);
        driver = new MmioDriver(transport, mem, BASE, kvm);
        DriverQueue[] qs = driver.start(0, 8, 4);
        RecordingRegistrar.Registration r0 = kvm.registration(BASE + 0x50, 0);
        RecordingRegistrar.Registration r1 = kvm.registration(BASE + 0x50, 1);
        assertNotNull(r0);
        assertNotNull(r1);
        assertNotEquals(r0.fd(), r1.fd());
        assertTrue(transport.doorbellInKvm(0));
        device.context().configChanged();
        assertNotEquals(0, driver.read(MmioRegister.INTERRUPT_STATUS));

        driver.reset();
        assertEquals(0, driver.status());
        assertEquals(0, driver.read(MmioRegister.INTERRUPT_STATUS));
        assertEquals(0, transport.driverFeatures());
        for (int i = 0; i < 2; i++) {
            driver.write(MmioRegister.QUEUE_SEL, i);
            assertEquals(0, driver.read(MmioRegister.QUEUE_READY));
        }
        assertNull(kvm.registration(BASE + 0x50, 0));
        assertEquals(2, kvm.unregistered().size());
        assertEquals(1, device.metrics().resets.get());
        assertNull(device.context() == null ? null : device.context().queue(0));
        assertTrue(waitClosed(r0.fd()) && waitClosed(r1.fd()), "eventfds closed after reset");

        // The device comes back after a fresh initialisation.
        DriverQueue q = driver.start(0, 8)[0];
        long buf = driver.alloc(8, 8);
        q.addChain(writable(buf, 8));
        assertNotNull(kvm.registration(BASE + 0x50, 0));
        assertFalse(qs[0] == q);
    }

    /** Whether fd stops being an eventfd within a second (closing happens on the loop thread). */
    static boolean waitClosed(int fd) throws InterruptedException {
        Path p = Path.of("/proc/self/fd/" + fd);
        for (int i = 0; i < 100; i++) {
            try {
                if (!Files.readSymbolicLink(p).toString().contains("eventfd")) {
                    return true;
                }
            } catch (java.io.IOException e) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    @Test
    void disablingAQueueReleasesItsDoorbell() throws Exception {
        RecordingRegistrar kvm = new RecordingRegistrar();
        transport.close();
        transport = new MmioTransport(device, mem, BASE, irq, kvm, loop);
        driver = new MmioDriver(transport, mem, BASE, kvm);
        driver.start(0, 8);
        int fd = kvm.registration(BASE + 0x50, 0).fd();
        driver.write(MmioRegister.QUEUE_SEL, 0);
        driver.write(MmioRegister.QUEUE_READY, 0);
        assertEquals(0, driver.read(MmioRegister.QUEUE_READY)); // Linux vm_del_vq reads it back
        assertNull(kvm.registration(BASE + 0x50, 0));
        assertTrue(waitClosed(fd));
    }

    @Test
    void closeDoesNotWaitForADeviceStuckInARequest() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        QueueDrainTest.Device stuck = new QueueDrainTest.Device();
        stuck.onChain = () -> {
            inside.countDown();
            try {
                release.await(); // a backend that blocks (a full pipe, a hung NFS server)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        transport.close();
        transport = new MmioTransport(stuck, mem, BASE, irq, DoorbellRegistrar.EXIT, loop);
        driver = new MmioDriver(transport, mem);
        DriverQueue q = driver.start(0, 8)[0];
        long buf = driver.alloc(8, 8);
        q.addChain(writable(buf, 8));
        Thread vcpu = new Thread(q::kick, "vcpu0");
        vcpu.setDaemon(true);
        vcpu.start();
        assertTrue(inside.await(10, java.util.concurrent.TimeUnit.SECONDS));
        try {
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                    transport::close);
            assertTrue(transport.abandoned(), "the stuck request may still touch guest memory");
        } finally {
            release.countDown();
        }
        vcpu.join(10_000);
        q.addChain(writable(buf, 8));
        q.kick();
        assertEquals(1, stuck.served.get(), "nothing starts after close");
    }

    @Test
    void anIdleTransportClosesWithoutAbandoningAnything() {
        driver.start(0, 8);
        transport.close();
        assertFalse(transport.abandoned());
    }

    @Test
    void aGuestRepeatingBadWritesLogsOnceAndIsCountedEveryTime() {
        try (CapturedLog log = new CapturedLog(MmioTransport.class)) {
            long start = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                driver.setStatus(DeviceStatus.DRIVER); // DRIVER before ACKNOWLEDGE
                driver.negotiate(VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX)); // FEATURES_OK refused
                driver.reset();
            }
            assertEquals(1000, transport.metrics().badStatusWrites.get());
            assertEquals(1000, transport.metrics().featuresRefused.get());
            // Two reasons: a first line each, and a summary each per interval that passed (none on a fast machine).
            long intervals = (System.nanoTime() - start) / io.jkvm.devices.log.RateLimitedLog.INTERVAL_NANOS;
            int lines = log.messages().size();
            assertTrue(lines >= 2 && lines <= 2 * (1 + intervals), lines + " lines: " + log.messages());
            transport.close();
            assertTrue(log.messages().size() <= lines + 2, "close reports what was held back: " + log.messages());
            assertTrue(log.messages().get(log.messages().size() - 1).contains(" more of: "), log.messages().toString());
        }
    }
}
