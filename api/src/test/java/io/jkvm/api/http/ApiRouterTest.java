package io.jkvm.api.http;

import io.jkvm.api.vm.FakeLauncher;
import io.jkvm.api.vm.MicroVm;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Firecracker's getting-started requests and every refusal, through the router without a socket. */
class ApiRouterTest {
    @TempDir
    Path dir;
    Path kernel;
    Path disk;
    FakeLauncher launcher;
    MicroVm vm;
    ApiRouter router;

    @BeforeEach
    void setUp() throws IOException {
        kernel = Files.write(dir.resolve("vmlinux"), new byte[16]);
        disk = Files.write(dir.resolve("rootfs.ext4"), new byte[4096]);
        launcher = new FakeLauncher();
        vm = new MicroVm();
        router = new ApiRouter("vm-1", "0.1.0", vm, launcher, new ApiLog("vm-1"), new MetricsFile());
    }

    private ApiResponse call(String method, String path, String body) {
        return router.handle(method, path, body.getBytes(StandardCharsets.UTF_8));
    }

    private void assertFault(String expected, ApiResponse r) {
        assertEquals(400, r.status(), r.bodyText());
        assertEquals("{\"fault_message\":\"" + expected.replace("\"", "\\\"") + "\"}", r.bodyText());
    }

    @Test
    void gettingStartedSequence() throws IOException {
        Path log = dir.resolve("fc.log");
        assertEquals(204, call("PUT", "/logger", "{\"log_path\":\"" + log + "\",\"level\":\"Debug\","
                + "\"show_level\":true,\"show_log_origin\":true}").status());
        assertEquals(204, call("PUT", "/boot-source", "{\"kernel_image_path\":\"" + kernel + "\","
                + "\"boot_args\":\"console=ttyS0 reboot=k panic=1\"}").status());
        assertEquals(204, call("PUT", "/drives/rootfs", "{\"drive_id\":\"rootfs\",\"path_on_host\":\"" + disk
                + "\",\"is_root_device\":true,\"is_read_only\":false}").status());
        assertEquals(204, call("PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":1024}").status());
        assertEquals("{\"vcpu_count\":2,\"mem_size_mib\":1024,\"smt\":false,\"track_dirty_pages\":false,"
                + "\"huge_pages\":\"None\"}", call("GET", "/machine-config", "").bodyText());
        assertEquals("{\"id\":\"vm-1\",\"state\":\"Not started\",\"vmm_version\":\"0.1.0\",\"app_name\":\"jkvm\"}",
                call("GET", "/", "").bodyText());
        assertEquals(204, call("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}").status());
        assertEquals("console=ttyS0 reboot=k panic=1 root=/dev/vda rw", launcher.launched.get(0).userCmdline());
        assertEquals(204, call("PATCH", "/vm", "{\"state\":\"Paused\"}").status());
        assertTrue(call("GET", "/", "").bodyText().contains("\"state\":\"Paused\""));
        assertEquals(204, call("PATCH", "/vm", "{\"state\":\"Resumed\"}").status());
        assertEquals(204, call("PUT", "/actions", "{\"action_type\":\"SendCtrlAltDel\"}").status());
        assertFault("InstanceStart is refused: the microVM has already been started (state Running); one microVM "
                + "per process", call("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}"));
        assertFault("the boot source can only be set before InstanceStart: the microVM is Running",
                call("PUT", "/boot-source", "{\"kernel_image_path\":\"" + kernel + "\"}"));
        String logged = Files.readString(log);
        assertTrue(logged.contains("[vm-1:INFO] PUT /actions: 204"), logged);
        assertTrue(logged.contains("[vm-1:WARNING] PUT /actions: 400"), logged);
    }

    @Test
    void badBodiesNameTheFieldTheValueAndWhy() {
        assertFault("the PUT /boot-source body: unknown field 'kernel_path': the fields are boot_args, initrd_path, "
                + "kernel_image_path", call("PUT", "/boot-source", "{\"kernel_path\":\"/k\"}"));
        assertFault("the PUT /boot-source body: missing field 'kernel_image_path'",
                call("PUT", "/boot-source", "{\"boot_args\":\"x\"}"));
        assertFault("the PUT /boot-source body: field 'kernel_image_path' is \"" + dir + "/nope\": no such file",
                call("PUT", "/boot-source", "{\"kernel_image_path\":\"" + dir + "/nope\"}"));
        assertFault("the PUT /boot-source body: field 'kernel_image_path' is 5 (a number): it must be a string",
                call("PUT", "/boot-source", "{\"kernel_image_path\":5}"));
        assertFault("the PUT /machine-config body: field 'vcpu_count' is \"2\" (a string): it must be an integer "
                + "from 1 to 32", call("PUT", "/machine-config", "{\"vcpu_count\":\"2\",\"mem_size_mib\":128}"));
        assertFault("the PUT /machine-config body: field 'vcpu_count' is 33: it must be from 1 to 32",
                call("PUT", "/machine-config", "{\"vcpu_count\":33,\"mem_size_mib\":128}"));
        assertFault("the PUT /machine-config body: field 'smt' is 1 (a number): it must be true or false",
                call("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":128,\"smt\":1}"));
        assertFault("the PUT /machine-config body: field 'smt' is true: jkvm gives each vCPU its own core (no SMT "
                + "siblings); set it to false",
                call("PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":128,\"smt\":true}"));
        assertFault("the PUT /drives/rootfs body: field 'path_on_host' is \"" + dir + "\": neither a regular file "
                + "nor a block device", call("PUT", "/drives/rootfs", "{\"drive_id\":\"rootfs\",\"path_on_host\":\""
                + dir + "\",\"is_root_device\":false}"));
        assertFault("the PUT /network-interfaces/eth0 body: network interface 'eth0' on tap0 cannot be added: jkvm "
                + "has no virtio-net device yet", call("PUT", "/network-interfaces/eth0",
                "{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\"}"));
        assertFault("the PUT /actions body: field 'action_type' is \"Start\": it must be one of FlushMetrics, "
                + "InstanceStart, SendCtrlAltDel", call("PUT", "/actions", "{\"action_type\":\"Start\"}"));
        ApiResponse notJson = call("PUT", "/actions", "{\"action_type\":");
        assertEquals(400, notJson.status());
        assertTrue(notJson.bodyText().startsWith("{\"fault_message\":\"the PUT /actions body is not valid JSON: "),
                notJson.bodyText());
        assertFault("the PUT /actions body must be a JSON object, not [1] (an array)", call("PUT", "/actions", "[1]"));
        assertFault("the PUT /actions body is empty: send a JSON object", call("PUT", "/actions", ""));
        ApiResponse dup = call("PUT", "/actions", "{\"action_type\":\"InstanceStart\",\"action_type\":\"x\"}");
        assertTrue(dup.bodyText().contains("Duplicate field 'action_type'"), dup.bodyText());
        assertEquals(0, launcher.launched.size());
    }

    @Test
    void unimplementedAndUnknownPathsAndMethodsAre400s() {
        assertFault("PUT /snapshot/create: jkvm does not implement snapshots", call("PUT", "/snapshot/create", "{}"));
        assertFault("PUT /balloon: jkvm does not implement the balloon device", call("PUT", "/balloon", "{}"));
        assertFault("PUT /vsock: jkvm does not implement vsock", call("PUT", "/vsock", "{}"));
        assertFault("PUT /mmds: jkvm does not implement the microVM metadata service (MMDS)",
                call("PUT", "/mmds", "{}"));
        assertFault("PUT /cpu-config: jkvm does not implement custom CPU templates", call("PUT", "/cpu-config", "{}"));
        assertFault("GET /nothing: no such resource in Firecracker's API", call("GET", "/nothing", ""));
        assertFault("DELETE /boot-source: method not allowed; use PUT", call("DELETE", "/boot-source", ""));
        assertFault("cannot pause the microVM: it is not started; send InstanceStart first",
                call("PATCH", "/vm", "{\"state\":\"Paused\"}"));
        assertFault("FlushMetrics is refused: no metrics file; PUT /metrics first",
                call("PUT", "/actions", "{\"action_type\":\"FlushMetrics\"}"));
    }

    @Test
    void metricsAreOneJsonLinePerFlush() throws IOException {
        Path m = dir.resolve("metrics.json");
        assertEquals(204, call("PUT", "/metrics", "{\"metrics_path\":\"" + m + "\"}").status());
        assertFault("the metrics file is already set; Firecracker's metrics are configured once",
                call("PUT", "/metrics", "{\"metrics_path\":\"" + m + "\"}"));
        assertEquals(204, call("PUT", "/boot-source", "{\"kernel_image_path\":\"" + kernel + "\"}").status());
        assertEquals(204, call("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}").status());
        assertEquals(204, call("PUT", "/actions", "{\"action_type\":\"FlushMetrics\"}").status());
        assertEquals(204, call("PUT", "/actions", "{\"action_type\":\"FlushMetrics\"}").status());
        var lines = Files.readAllLines(m);
        assertEquals(2, lines.size());
        assertTrue(lines.get(1).matches("\\{\"utc_timestamp_ms\":\\d+,\"flushes\":2,\"jkvm\":\\{\"exits.io\":42}}"),
                lines.get(1));
    }

    @Test
    void patchMachineConfigKeepsTheFieldsNotGiven() {
        assertEquals(204, call("PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":512}").status());
        assertEquals(204, call("PATCH", "/machine-config", "{\"mem_size_mib\":256}").status());
        assertEquals(2, vm.machineConfig().vcpuCount());
        assertEquals(256, vm.machineConfig().memSizeMib());
        assertEquals(400, call("PATCH", "/machine-config", "{\"vcpus\":1}").status());
    }
}
