package io.jkvm.bench;

import io.jkvm.core.guest.GuestImages;
import io.jkvm.core.vm.VmConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What is exact in the notification benchmark, with a real guest (run through scripts/with-kvm): no timing, only
 * where the QueueNotify writes went. ioeventfd: none of them exits, the doorbell wakes the device instead. exit:
 * every notification the device saw came through an exit, at least one per notified batch, and at queue depth 1,
 * where every request is a batch of its own, at least one per request.
 */
@Tag("guest")
class NotifyBenchGuestTest {
    private static final GuestPlan PLAN = new GuestPlan(200, 50, 0, 4, 5);

    private static List<Sample> boot(VmConfig.Notify notify) throws IOException {
        return boot(new JkvmPeer(notify));
    }

    private static List<Sample> boot(JkvmPeer peer) throws IOException {
        try (ScratchDisk disk = ScratchDisk.create(ScratchDisk.defaultFolder())) {
            List<WorkloadSample> got = peer.boot(new BootSetup(GuestImages.kernel(), GuestImages.initrd(),
                    disk.path(), 128L << 20, 1, PLAN, 300, null));
            assertEquals(PLAN.workloads(), got.stream().map(w -> w.result().name()).toList());
            return got.stream().map(w -> new Sample(peer.vmm(), peer.mode(), 1, w.result(), w.delta())).toList();
        }
    }

    /** A device counter's movement in the sample's window; the device is the workload's (disk 0, rng 1). */
    private static long device(Sample s, String counter) {
        return s.delta().sum(Counters.DEV_PREFIX + s.device(), "." + counter);
    }

    @Test
    void withIoeventfdNoQueueNotifyExits() throws IOException {
        for (Sample s : boot(VmConfig.Notify.IOEVENTFD)) {
            String w = s.workload() + ": " + s.delta();
            assertEquals(0, s.queueNotifyExits(), w);
            assertEquals(0, device(s, "exit_notifications"), w);
            assertTrue(device(s, "doorbell_wakeups") > 0, "the doorbell woke the device: " + w);
            assertTrue(s.result().requests() >= PLAN.rngRequests(), w);
        }
    }

    /** The register page: not one MMIO exit in the measured windows, however many requests. */
    @Test
    void withTheRegisterPageNoRequestExits() throws IOException {
        for (Sample s : boot(new JkvmPeer(VmConfig.Notify.IOEVENTFD, VmConfig.Registers.MEMORY))) {
            String w = s.workload() + ": " + s.delta();
            assertEquals("page", s.mode());
            assertEquals(0, s.delta().sum(Counters.USER_EXIT_PREFIX + "KVM_EXIT_MMIO", ""), w);
            assertEquals(0, s.delta().sum(Counters.USER_MMIO_PREFIX, ""), w);
            assertTrue(device(s, "used_interrupts") > 0, "interrupts raised, no acknowledgement exited: " + w);
            assertTrue(s.result().requests() >= PLAN.rngRequests(), w);
        }
    }

    @Test
    void inExitModeEveryNotificationIsAnExit() throws IOException {
        for (Sample s : boot(VmConfig.Notify.EXIT)) {
            String w = s.workload() + ": " + s.delta();
            long exits = s.queueNotifyExits();
            assertTrue(exits >= 1, w);
            assertEquals(exits, device(s, "exit_notifications"), "each batch the device was told of: " + w);
            assertEquals(0, device(s, "doorbell_wakeups"), w);
            if (s.workload().equals("blk-qd1")) {
                assertTrue(exits >= s.result().requests(), "depth 1: one batch per request: " + w);
                assertTrue(device(s, "reads") >= s.result().requests(), w);
            }
        }
    }
}
