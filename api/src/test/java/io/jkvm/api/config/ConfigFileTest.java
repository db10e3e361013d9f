package io.jkvm.api.config;

import io.jkvm.api.vm.MicroVm;
import io.jkvm.core.vm.VmConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigFileTest {
    @TempDir
    Path dir;

    private MicroVm apply(String json) {
        MicroVm vm = new MicroVm();
        ConfigFile.apply(JsonBody.parse("configuration file vm.json", json.getBytes(StandardCharsets.UTF_8)), vm);
        return vm;
    }

    @Test
    void firecrackersExampleBecomesTheSameVmConfig() throws IOException {
        Path k = Files.write(dir.resolve("vmlinux"), new byte[8]);
        Path r = Files.write(dir.resolve("rootfs.ext4"), new byte[8]);
        VmConfig c = apply("{\"boot-source\": {\"kernel_image_path\": \"" + k + "\", \"boot_args\": \"console=ttyS0\"},"
                + "\"drives\": [{\"drive_id\": \"rootfs\", \"path_on_host\": \"" + r + "\", \"is_root_device\": true,"
                + " \"is_read_only\": true}], \"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 1024,"
                + " \"smt\": false}, \"network-interfaces\": [], \"entropy\": {}}").vmConfig();
        assertEquals(k, c.kernel());
        assertEquals("console=ttyS0 root=/dev/vda ro", c.userCmdline());
        assertEquals(List.of(new VmConfig.Disk(r, true)), c.disks());
        assertEquals(1024L << 20, c.memory());
        assertEquals(2, c.cpus());
        assertTrue(c.rng());
    }

    @Test
    void refusalsNameTheSection() throws IOException {
        Path k = Files.write(dir.resolve("vmlinux"), new byte[8]);
        String boot = "\"boot-source\": {\"kernel_image_path\": \"" + k + "\"}";
        assertEquals("configuration file vm.json: section 'vsock' is given, but jkvm does not implement vsock; "
                + "remove it", assertThrows(BadRequest.class, () -> apply("{" + boot + ", \"vsock\": {}}"))
                .getMessage());
        assertEquals("configuration file vm.json: missing section 'boot-source' (kernel_image_path at least)",
                assertThrows(BadRequest.class, () -> apply("{}")).getMessage());
        assertEquals("drives[0]: missing field 'is_root_device'", assertThrows(BadRequest.class,
                () -> apply("{" + boot + ", \"drives\": [{\"drive_id\": \"a\", \"path_on_host\": \"" + k + "\"}]}"))
                .getMessage());
        assertEquals("network-interfaces[0]: network interface 'eth0' on tap0 cannot be added: jkvm has no "
                + "virtio-net device yet", assertThrows(BadRequest.class, () -> apply("{" + boot
                + ", \"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"}]}")).getMessage());
        assertEquals("configuration file vm.json: unknown field 'boot_source': the fields are balloon, boot-source, "
                + "cpu-config, drives, entropy, logger, machine-config, memory-hotplug, metrics, mmds-config, "
                + "network-interfaces, pmem, vsock", assertThrows(BadRequest.class,
                () -> apply("{\"boot_source\": {}}")).getMessage());
        assertEquals("configuration file " + dir + "/none.json does not exist", assertThrows(BadRequest.class,
                () -> JsonBody.read(dir.resolve("none.json"))).getMessage());
    }
}
