package io.jkvm.core.vm;

import io.jkvm.core.guest.GuestImages;
import io.jkvm.devices.bus.BusDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An Error on a vCPU thread ends the VM with one line that says why. Before, Vcpu caught only RuntimeException: the
 * thread ended silently and the VM waited for ever (here: until the 120 s timeout).
 */
@Tag("guest")
class VcpuFailureGuestTest {
    private static final long THROWER = 0xc000_0000L;

    @Test
    void anErrorInAnMmioExitEndsTheVmWithItsReason() throws InterruptedException {
        VmConfig config = VmConfig.of(GuestImages.kernel(), GuestImages.initrd(),
                "quiet jkvm.run=\"echo peeking; mmiosweep peek " + THROWER + "; echo survived\"", 64L << 20, 1);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (Vm vm = Vm.create(config, console)) {
            vm.mmioBus().add(THROWER, 0x1000, "thrower", new BusDevice() {
                @Override
                public long read(long offset, int size) {
                    throw new OutOfMemoryError("thrown by the test's device at offset " + offset);
                }

                @Override
                public void write(long offset, int size, long value) {
                }
            });
            long start = System.nanoTime();
            VmExit exit = vm.run(120_000);
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            String out = console.toString(StandardCharsets.UTF_8);
            assertEquals(1, exit.status(), exit + "\n" + out);
            assertTrue(exit.reason().startsWith("vCPU 0: java.lang.OutOfMemoryError: thrown by the test's device"
                    + " at offset 0"), exit.reason());
            assertTrue(!exit.reason().contains("\n"), "one line: " + exit.reason());
            assertTrue(out.contains("peeking") && !out.contains("survived"), out);
            assertTrue(seconds < 100, "ended by the failure, not the timeout: " + seconds + " s");
        }
    }
}
