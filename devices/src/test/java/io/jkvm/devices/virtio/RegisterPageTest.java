package io.jkvm.devices.virtio;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.testing.RecordingRegistrar;
import io.jkvm.devices.testing.TestDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Register reads served from a page (MmioTransport.mirrorRegisters): after every write and every interrupt the page
 * holds what a read would return, and InterruptACK goes to an eventfd.
 */
class RegisterPageTest {
    static final long BASE = 0xd000_0000L;
    static final long ACK = BASE + MmioRegister.INTERRUPT_ACK.offset();

    EventLoop loop;
    GuestMemory mem;
    GuestMemory page;
    RecordingRegistrar kvm;
    TestDevice device;
    MmioTransport transport;
    MmioDriver driver;

    @BeforeEach
    void setUp() {
        loop = new EventLoop("test-loop");
        mem = GuestMemory.allocate(1 << 20);
        page = GuestMemory.allocate((int) MmioTransport.WINDOW_SIZE);
        kvm = new RecordingRegistrar();
        device = new TestDevice(2, 16);
        transport = new MmioTransport(device, mem, BASE, new CountingIrq(), kvm, loop);
        transport.mirrorRegisters(page, PageMapping.FIXED);
        driver = new MmioDriver(transport, mem, BASE, kvm);
    }

    @AfterEach
    void tearDown() {
        transport.close();
        loop.close();
    }

    private void assertPageMatchesReads(String when) {
        for (MmioRegister r : MmioRegister.values()) {
            if (r.offset() >= 0 && r.offset() < MmioRegister.CONFIG_OFFSET && isReadable(r)) {
                assertEquals(transport.read(r.offset(), 4), Integer.toUnsignedLong(page.getInt(r.offset())),
                        r.specName() + " " + when);
            }
        }
        for (int off = 0; off < 64; off++) {
            assertEquals(transport.read(MmioRegister.CONFIG_OFFSET + off, 1),
                    page.getByte(MmioRegister.CONFIG_OFFSET + off) & 0xff, "config byte " + off + " " + when);
        }
    }

    private static boolean isReadable(MmioRegister r) {
        return switch (r) {
            case MAGIC_VALUE, VERSION, DEVICE_ID, VENDOR_ID, DEVICE_FEATURES, QUEUE_NUM_MAX, QUEUE_READY,
                 INTERRUPT_STATUS, STATUS, CONFIG_GENERATION, SHM_LEN_LOW, SHM_LEN_HIGH, SHM_BASE_LOW, SHM_BASE_HIGH,
                 QUEUE_RESET -> true;
            default -> false;
        };
    }

    @Test
    void thePageFollowsEveryWriteOfTheInitialisation() {
        assertPageMatchesReads("before the driver");
        assertEquals(MmioRegister.MAGIC, page.getInt(0));
        driver.write(MmioRegister.DEVICE_FEATURES_SEL, 1);
        assertPageMatchesReads("after DeviceFeaturesSel 1");
        driver.start(0, 8, 4);
        assertPageMatchesReads("after DRIVER_OK");
        driver.write(MmioRegister.QUEUE_SEL, 1);
        assertEquals(1, page.getInt(MmioRegister.QUEUE_READY.offset()));
        assertEquals(16, page.getInt(MmioRegister.QUEUE_NUM_MAX.offset()));
        driver.write(MmioRegister.QUEUE_SEL, 2);
        assertEquals(0, page.getInt(MmioRegister.QUEUE_NUM_MAX.offset()), "no queue 2");
        device.context().configChanged();
        assertPageMatchesReads("after a configuration change");
        driver.reset();
        assertPageMatchesReads("after reset");
        assertEquals(0, page.getInt(MmioRegister.STATUS.offset()));
    }

    @Test
    void usedBuffersShowInThePageAndTheAcknowledgementIsAnEventNotAnExit() throws InterruptedException {
        DriverQueue q = driver.start(0, 8)[0];
        assertNotNull(kvm.registration(ACK, MmioTransport.INT_USED_BUFFER), "InterruptACK 1 offered to KVM");
        q.addChain(writable(driver.alloc(8, 8), 8));
        q.kick();
        for (int i = 0; i < 200 && page.getInt(MmioRegister.INTERRUPT_STATUS.offset()) == 0; i++) {
            Thread.sleep(5);
        }
        assertEquals(MmioTransport.INT_USED_BUFFER, page.getInt(MmioRegister.INTERRUPT_STATUS.offset()));
        assertNotNull(q.nextUsed());

        assertTrue(kvm.ring(ACK, MmioTransport.INT_USED_BUFFER), "vm_interrupt's write goes to the eventfd");
        Thread.sleep(20);
        assertEquals(MmioTransport.INT_USED_BUFFER, page.getInt(MmioRegister.INTERRUPT_STATUS.offset()),
                "the used-buffer bit stays: a late acknowledgement must not hide a newer buffer");

        driver.write(MmioRegister.INTERRUPT_ACK, MmioTransport.INT_USED_BUFFER); // one that did exit
        assertEquals(0, page.getInt(MmioRegister.INTERRUPT_STATUS.offset()), "an exiting ACK clears as usual");
    }

    @Test
    void closingGivesTheAcknowledgementBack() {
        driver.start(0, 8);
        transport.close();
        assertNull(kvm.registration(ACK, MmioTransport.INT_USED_BUFFER));
    }
}
