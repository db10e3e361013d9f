package io.jkvm.devices.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.virtio.DeviceStatus;
import org.junit.jupiter.api.extension.ExtendWith;

import static io.jkvm.devices.testing.DriverQueue.readable;
import static io.jkvm.devices.testing.DriverQueue.writable;

/**
 * Split virtqueues over guest RAM that the input lays out: ring layouts sane or overlapping, chains direct, indirect,
 * looping, long, out of RAM; every pop and refusal held against {@link ChainOracle}, every used element read back,
 * every notification write-checked, the whole input time-bounded, and a well-formed chain served after a reset.
 */
@ExtendWith(QuietLogs.class)
class VirtqueueFuzzTest {

    @FuzzTest
    void walkAndUse(FuzzedDataProvider data) throws Throwable {
        Bounded.run("a virtqueue input", () -> {
            FuzzDevice device = new FuzzDevice(data.consumeInt(1, 2), 1 << data.consumeInt(0, 8));
            try (FuzzGuest g = new FuzzGuest(device, data)) {
                device.watch(new ChainOracle(g.mem));
                g.bringUp();
                for (int i = 0; i < 64 && g.commonStep(); i++) {
                    // the input's guest actions
                }
                for (Ring r : g.rings) {
                    g.notifyQueue(r.index);
                }
                g.assertNoDeviceErrors();
                g.assertIdentity();
                servedAfterReset(g, device);
            }
        });
    }

    /** A reset, then Linux's probe and one request on each queue: the device works again whatever came before. */
    static void servedAfterReset(FuzzGuest g, FuzzDevice device) {
        int[] sizes = new int[device.queueCount()];
        java.util.Arrays.fill(sizes, Math.min(8, device.queueMaxSize(0)));
        DriverQueue[] qs = g.driver.start(0, sizes);
        FuzzGuest.check((g.driver.status() & DeviceStatus.DRIVER_OK) != 0
                && (g.driver.status() & DeviceStatus.DEVICE_NEEDS_RESET) == 0, "DRIVER_OK after a reset");
        for (DriverQueue q : qs) {
            long in = g.driver.alloc(16, 8);
            long out = g.driver.alloc(32, 8);
            int head = q.addChain(readable(in, 16), writable(out, 32));
            q.kick();
            DriverQueue.Used u = q.nextUsed();
            FuzzGuest.check(u != null && u.id() == head && u.len() == 32,
                    "a well-formed chain after a reset was not served: " + u);
            FuzzGuest.check(g.mem.getByte(out) == 0x5a && g.mem.getByte(out + 31) == 0x5a, "its buffer was not filled");
        }
    }
}
