package io.jkvm.core.vm;

import io.jkvm.core.guest.GuestImages;
import io.jkvm.core.kvm.LibC;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A closed Vm leaves nothing behind: its fds, its mappings (guest RAM, each vCPU's kvm_run, the register pages), and
 * the kernel's VM, which KVM destroys only when the last of those is gone. The benchmark and the tests boot many
 * VMs in one process; before this was checked, each one kept its vCPU fds and RAM until the process ended.
 */
@Tag("guest")
class VmCloseGuestTest {
    private static final Path DEBUGFS_KVM = Path.of("/sys/kernel/debug/kvm");

    private static VmConfig config() {
        return new VmConfig(GuestImages.kernel(), GuestImages.initrd(), "", 64L << 20, 2,
                List.of(new VmConfig.Disk(GuestImages.rootfs(), true)), true, VmConfig.Console.SERIAL,
                VmConfig.Notify.IOEVENTFD, VmConfig.Registers.MEMORY);
    }

    /** Created, its vCPUs run for a moment (the timeout stops and kicks them), closed. */
    private static void lifeCycle(Runnable whileOpen) throws InterruptedException {
        try (Vm vm = Vm.create(config(), OutputStream.nullOutputStream())) {
            vm.run(200);
            whileOpen.run();
        }
    }

    @Test
    void closingAVmReleasesItsFdsMappingsAndTheKernelsVm() throws InterruptedException {
        lifeCycle(() -> { }); // loads every class (and opens the jars) that the measured cycle needs
        List<String> fds = openFds();
        List<String> maps = kvmMappings();
        Set<String> vms = debugfsVms();
        lifeCycle(() -> {
            assertTrue(openFds().size() > fds.size(), "an open VM holds fds");
            assertTrue(kvmMappings().size() > maps.size(), "an open VM maps guest RAM and kvm_run");
            if (Files.isDirectory(DEBUGFS_KVM)) {
                assertEquals(1, debugfsVms().size() - vms.size(), "KVM lists the VM: " + vms + " before, now "
                        + debugfsVms());
            }
        });
        assertEquals(fds, openFds(), "open fds after close");
        assertEquals(maps, kvmMappings(), "KVM and guest RAM mappings after close");
        if (Files.isDirectory(DEBUGFS_KVM)) {
            assertEquals(vms, debugfsVms(), "the kernel destroyed the VM (its debugfs folder is gone)");
        }
    }

    /** What this process's fds point to ("anon_inode:kvm-vm", "/dev/kvm", ...), sorted. */
    private static List<String> openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.map(VmCloseGuestTest::target).sorted().toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String target(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException e) {
            return "(closed while listed)"; // the listing's own fd
        }
    }

    /** Shared anonymous mappings (guest RAM, register pages: "/dev/zero (deleted)") and KVM's (kvm_run). */
    private static List<String> kvmMappings() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.contains("/dev/zero") || l.contains("kvm")).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The VMs this thread made, as KVM's debugfs lists them: "<id>-<fd>" folders, where the id is that of the thread
     * that called KVM_CREATE_VM (task_pid_nr), not the process's.
     */
    private static Set<String> debugfsVms() {
        if (!Files.isDirectory(DEBUGFS_KVM)) {
            return Set.of();
        }
        String prefix = LibC.gettid() + "-";
        try (Stream<Path> s = Files.list(DEBUGFS_KVM)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).collect(Collectors.toSet());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
