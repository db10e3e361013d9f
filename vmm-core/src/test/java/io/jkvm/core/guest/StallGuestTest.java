package io.jkvm.core.guest;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * --stall-timeout: a guest that stops making progress (here it sleeps, which costs no userspace exit and no request)
 * ends with status 124 after a report of every thread, each vCPU's registers and APIC, and each virtqueue.
 */
@Tag("guest")
class StallGuestTest {
    @Test
    void aGuestWithoutProgressGetsAReportAndStatus124() {
        long start = System.nanoTime();
        Jkvm.Result r = Jkvm.run(Jkvm.scriptRun("dd if=/dev/vda of=/dev/null bs=4096 count=8 iflag=direct"
                + " 2>/dev/null && echo guest-idle\nsleep 600\n", "--disk", GuestImages.rootfs() + ",ro",
                "--stall-timeout", "5"));
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertEquals(124, r.status(), r.toString());
        assertTrue(seconds < 300, "ended by the stall watch, not the guest's sleep: " + seconds + " s");
        String err = r.stderr();
        assertTrue(r.stdout().contains("guest-idle"), r.toString());
        for (String want : new String[] {"jkvm: stall report (no progress for 5000 ms)", "jkvm: threads:",
            "jkvm:   \"vcpu0\" RUNNABLE", "jkvm: vCPUs:", "jkvm:   vCPU 0: rip=0x", " apic isr [", " irr [",
            "jkvm: virtio:", "jkvm:   virtio-blk@0xd0000000: status 0xf, InterruptStatus 0x",
            "jkvm:   virtio-blk@0xd0000000 queue 0: size ",
            "jkvm: the guest made no progress for 5000 ms"}) {
            assertTrue(err.contains(want), "'" + want + "' not in:\n" + err);
        }
    }
}
