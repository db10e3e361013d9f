package io.jkvm.devices.virtio;

import io.jkvm.devices.blk.VirtioBlock;
import io.jkvm.devices.console.VirtioConsole;
import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.rng.VirtioRng;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.MmioDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fuzzer's input from issue 9 item 3, against each real device: a queue of size 1 whose used ring starts 2 bytes
 * after its avail ring (both aligned and inside RAM), only VERSION_1 negotiated, one QueueNotify. used->flags then
 * sits on avail->idx and every notification re-check used to find "more" for ever, on the notifying vCPU's thread.
 */
class OverlappingRingsTest {
    static final long AVAIL = 0x3002;

    @TempDir
    Path dir;
    EventLoop loop;
    GuestMemory mem;
    VirtioDevice device;
    MmioTransport transport;

    @BeforeEach
    void setUp() {
        loop = new EventLoop("test-loop");
        mem = GuestMemory.allocate(1 << 20);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (transport != null) {
            transport.close();
        }
        loop.close();
        if (device instanceof AutoCloseable c) {
            c.close();
        }
    }

    VirtioDevice create(String name) throws Exception {
        switch (name) {
            case "virtio-blk": {
                Path image = dir.resolve("disk.img");
                Files.write(image, new byte[8 * 512]);
                return VirtioBlock.open(image, false);
            }
            case "virtio-rng":
                return new VirtioRng();
            default:
                return new VirtioConsole(new ByteArrayOutputStream());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"virtio-blk", "virtio-rng", "virtio-console"})
    void usedRingOnTheAvailIndexIsRefusedAndNothingSpins(String name) throws Exception {
        device = create(name);
        transport = new MmioTransport(device, mem, 0xd000_0000L, new CountingIrq(), DoorbellRegistrar.EXIT, loop);
        MmioDriver driver = new MmioDriver(transport, mem);
        int queue = device.queueCount() - 1; // the console's transmitq
        assertTrue(driver.negotiate(VirtioFeatures.bit(VirtioFeatures.VERSION_1)));
        driver.write(MmioRegister.QUEUE_SEL, queue);
        driver.write(MmioRegister.QUEUE_NUM, 1);
        driver.program(0x2000, AVAIL, AVAIL + 2);
        driver.write(MmioRegister.QUEUE_READY, 1);
        driver.driverOk();

        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> driver.notifyQueue(queue));

        assertEquals(0, driver.read(MmioRegister.QUEUE_READY));
        assertTrue((driver.status() & DeviceStatus.DEVICE_NEEDS_RESET) != 0);
        assertTrue(transport.lastError().contains("rings overlap"), transport.lastError());
        assertEquals(1, transport.metrics().badQueueConfigs.get());
    }
}
