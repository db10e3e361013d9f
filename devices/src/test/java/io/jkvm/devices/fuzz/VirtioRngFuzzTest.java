package io.jkvm.devices.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jkvm.devices.rng.VirtioRng;
import io.jkvm.devices.testing.DriverQueue;
import org.junit.jupiter.api.extension.ExtendWith;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

import static io.jkvm.devices.testing.DriverQueue.writable;

/**
 * virtio-rng requests: chains of every shape on top of everything {@link FuzzGuest} does to the rings, random bytes
 * written wherever the driver's writable buffers are (rings included, when the input puts them there). Asserted
 * besides the common checks: after a reset, a 64-byte request comes back full.
 */
@ExtendWith(QuietLogs.class)
class VirtioRngFuzzTest {

    @FuzzTest
    void requests(FuzzedDataProvider data) throws Throwable {
        Bounded.run("a virtio-rng input", () -> {
            VirtioRng rng = new VirtioRng(seeded());
            try (FuzzGuest g = new FuzzGuest(rng, data)) {
                g.bringUp();
                for (int i = 0; i < 64 && g.commonStep(); i++) {
                    // the input's guest actions
                }
                g.notifyQueue(0);
                g.assertNoDeviceErrors();
                g.assertIdentity();
                DriverQueue q = g.driver.start(0, 8)[0];
                long buf = g.driver.alloc(64, 8);
                int head = q.addChain(writable(buf, 64));
                q.kick();
                DriverQueue.Used u = q.nextUsed();
                FuzzGuest.check(u != null && u.id() == head && u.len() == 64,
                        "a request after a reset was not served: " + u);
            }
        });
    }

    /** The same bytes for the same input: a finding replays. */
    private static SecureRandom seeded() throws NoSuchAlgorithmException {
        SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
        r.setSeed(42);
        return r;
    }
}
