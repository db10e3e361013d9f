package io.jkvm.api.vm;

import io.jkvm.api.config.BadRequest;
import io.jkvm.api.config.BootSource;
import io.jkvm.api.config.Drive;
import io.jkvm.api.config.MachineConfig;
import io.jkvm.core.vm.VmConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MicroVmTest {
    @TempDir
    Path dir;

    private Path file(String name) throws IOException {
        return Files.write(dir.resolve(name), new byte[4096]);
    }

    @Test
    void startsOnceWithWhatWasConfiguredAndTheRootDriveFirst() throws IOException {
        MicroVm vm = new MicroVm();
        FakeLauncher l = new FakeLauncher();
        assertEquals(MicroVm.State.NOT_STARTED, vm.state());
        vm.setBootSource(new BootSource(file("k"), null, "console=ttyS0 quiet"));
        vm.setMachineConfig(new MachineConfig(2, 256));
        vm.putDrive("data", new Drive("data", file("data.img"), false, true, null));
        vm.putDrive("rootfs", new Drive("rootfs", file("root.img"), true, false, null));
        vm.setEntropy();
        vm.start(l);
        assertEquals(MicroVm.State.RUNNING, vm.state());
        VmConfig c = l.launched.get(0);
        assertEquals(List.of(new VmConfig.Disk(dir.resolve("root.img"), false),
                new VmConfig.Disk(dir.resolve("data.img"), true)), c.disks());
        assertEquals("console=ttyS0 quiet root=/dev/vda rw", c.userCmdline());
        assertEquals(256L << 20, c.memory());
        assertEquals(2, c.cpus());
        assertTrue(c.rng());

        BadRequest again = assertThrows(BadRequest.class, () -> vm.start(l));
        assertEquals("InstanceStart is refused: the microVM has already been started (state Running); one microVM "
                + "per process", again.getMessage());
        assertEquals(1, l.launched.size());
    }

    @Test
    void preBootRequestsAreRefusedAfterTheStart() throws IOException {
        MicroVm vm = new MicroVm();
        vm.setBootSource(new BootSource(file("k"), null, ""));
        vm.start(new FakeLauncher());
        BadRequest e = assertThrows(BadRequest.class, () -> vm.setMachineConfig(MachineConfig.DEFAULT));
        assertEquals("the machine configuration can only be set before InstanceStart: the microVM is Running",
                e.getMessage());
        assertThrows(BadRequest.class, () -> vm.setBootSource(new BootSource(dir.resolve("k"), null, "")));
        assertThrows(BadRequest.class, () -> vm.putDrive("d", new Drive("d", dir.resolve("k"), false, true, null)));
        assertThrows(BadRequest.class, vm::setEntropy);
    }

    @Test
    void pauseAndResumeOnlyAfterTheStartAndEachOnlyWhenItChangesTheState() throws IOException {
        MicroVm vm = new MicroVm();
        FakeLauncher l = new FakeLauncher();
        BadRequest e = assertThrows(BadRequest.class, vm::pause);
        assertEquals("cannot pause the microVM: it is not started; send InstanceStart first", e.getMessage());
        assertThrows(BadRequest.class, vm::resume);
        assertThrows(BadRequest.class, vm::sendCtrlAltDel);
        vm.setBootSource(new BootSource(file("k"), null, ""));
        vm.start(l);
        vm.resume();
        vm.pause();
        assertEquals(MicroVm.State.PAUSED, vm.state());
        vm.pause();
        vm.resume();
        assertEquals(MicroVm.State.RUNNING, vm.state());
        vm.sendCtrlAltDel();
        assertEquals(List.of("pause", "resume", "ctrl-alt-del"), l.calls);
    }

    @Test
    void startWithoutBootSourceIsRefusedAndLeavesTheVmConfigurable() throws IOException {
        MicroVm vm = new MicroVm();
        BadRequest e = assertThrows(BadRequest.class, () -> vm.start(new FakeLauncher()));
        assertEquals("InstanceStart is refused: no boot source; PUT /boot-source with kernel_image_path first",
                e.getMessage());
        assertEquals(MicroVm.State.NOT_STARTED, vm.state());
        vm.setBootSource(new BootSource(file("k"), null, ""));
    }

    @Test
    void aFailedLaunchLeavesTheVmNotStarted() throws IOException {
        MicroVm vm = new MicroVm();
        vm.setBootSource(new BootSource(file("k"), null, ""));
        assertThrows(BadRequest.class, () -> vm.start(c -> {
            throw new BadRequest("InstanceStart failed: no");
        }));
        assertEquals(MicroVm.State.NOT_STARTED, vm.state());
    }

    @Test
    void oneRootDriveAndTheBodyIdMatchesThePath() throws IOException {
        MicroVm vm = new MicroVm();
        vm.putDrive("a", new Drive("a", file("a"), true, false, null));
        BadRequest e = assertThrows(BadRequest.class, () -> vm.putDrive("b", new Drive("b", dir.resolve("a"),
                true, false, null)));
        assertEquals("drive \"b\" cannot be the root device: drive \"a\" already is; a microVM has one",
                e.getMessage());
        vm.putDrive("a", new Drive("a", dir.resolve("a"), true, true, "1234-ab")); // replacing it is fine
        e = assertThrows(BadRequest.class, () -> vm.putDrive("x", new Drive("y", dir.resolve("a"), false, false,
                null)));
        assertEquals("drive_id \"y\" in the body differs from \"x\" in the path: give the same id in both",
                e.getMessage());
        vm.setBootSource(new BootSource(dir.resolve("a"), null, ""));
        assertEquals("root=PARTUUID=1234-ab ro", vm.vmConfig().userCmdline());
    }
}
