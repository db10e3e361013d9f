package io.jkvm.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResultsTest {
    @TempDir
    Path tmp;

    private static WorkloadResult result(String name, double rps) {
        return new WorkloadResult(name, 1000, 1000 / rps, rps, 1000, 2000, 1100, 500, 9000, 1, 4096);
    }

    private static Sample jkvm(String mode, int rep, String workload, double rps, long queueNotify) {
        return new Sample("jkvm", mode, rep, result(workload, rps), new Counters(Map.of(
                Counters.USER_EXITS, 2000 + queueNotify + 5,
                Counters.USER_MMIO_PREFIX + "virtio-blk0.QueueNotify", queueNotify,
                Counters.USER_MMIO_PREFIX + "virtio-rng1.QueueNotify", 3L,
                "kvm.exits", 9000L, "kvm.mmio_exits", 2000 + queueNotify, "kvm.io_exits", 5L)));
    }

    private static Sample qemu(String mode, int rep, String workload, double rps) {
        return new Sample("qemu", mode, rep, result(workload, rps), new Counters(Map.of(
                "kvm.exits", 8000L, "kvm.mmio_exits", 2000L, "kvm.io_exits", 4L, "kvm.signal_exits", 1L)));
    }

    private static Results results() {
        List<Sample> s = new ArrayList<>();
        for (int rep = 1; rep <= 3; rep++) {
            s.add(jkvm("ioeventfd", rep, "blk-qd1", 800 + rep * 10, 0));
            s.add(jkvm("exit", rep, "blk-qd1", 400 + rep * 10, 1000));
            s.add(qemu("ioeventfd", rep, "blk-qd1", 1000));
        }
        return new Results(s);
    }

    @Test
    void perRequestFiguresComeFromTheRightCounters() {
        Sample j = jkvm("exit", 1, "blk-qd1", 500, 1000);
        assertEquals(3.005, j.userExitsPerRequest(), 1e-12);
        assertEquals(1.0, j.queueNotifyExitsPerRequest(), 1e-12, "only the disk's QueueNotify, not the rng's");
        assertEquals(3.0, j.kvmStatPerRequest("mmio_exits"), 1e-12);
        assertEquals(9.0, j.kvmStatPerRequest("exits"), 1e-12);
        Sample q = qemu("exit", 1, "blk-qd1", 500);
        assertEquals(2.005, q.userExitsPerRequest(), 1e-12, "QEMU: KVM's io + mmio + signal exits");
        assertTrue(Double.isNaN(q.queueNotifyExitsPerRequest()));
        Sample none = new Sample("qemu", "exit", 1, result("rng", 5), Counters.NONE);
        assertTrue(Double.isNaN(none.userExitsPerRequest()));
        assertTrue(Double.isNaN(none.kvmStatPerRequest("exits")));
        assertEquals(0.003, jkvm("ioeventfd", 1, "rng", 5, 0).queueNotifyExitsPerRequest(), 1e-12);
    }

    @Test
    void theTableHasOneRowPerWorkloadAndPeerWithMediansAndSpread() {
        String table = results().table();
        String[] lines = table.split("\n");
        assertEquals(5, lines.length, table); // header, rule, three rows
        assertTrue(lines[0].startsWith("workload") && lines[0].contains("req/s") && lines[0].contains("p99 us")
                && lines[0].contains("user exits/req") && lines[0].contains("KVM exits/req"), table);
        assertTrue(lines[2].matches("blk-qd1\\s+jkvm\\s+ioeventfd\\s+3\\s+820±10\\s.*"), lines[2]);
        assertTrue(lines[3].contains(" 1.00±0.00 "), "QueueNotify per request in exit mode: " + lines[3]);
        assertTrue(lines[4].matches("blk-qd1\\s+qemu\\s+ioeventfd\\s+3\\s+1000±0\\s.*\\sn/a\\s.*"), lines[4]);
    }

    @Test
    void ratiosAreOfTheMedians() {
        assertEquals(List.of("blk-qd1 req/s: jkvm ioeventfd/exit 1.95, jkvm/qemu ioeventfd 0.82"), results().ratios());
    }

    @Test
    void writesJsonCsvAndAPng() throws IOException {
        Results r = results();
        BootSetup setup = new BootSetup(Path.of("/k"), Path.of("/i"), Path.of("/d"), 256L << 20, 1,
                new GuestPlan(1000, 500, 0, 8, 20), 60, null);
        RunInfo info = new RunInfo("2025-01-01T00:00:00Z", setup, 3, List.of("qemu-system-x86_64", "-M", "microvm"),
                null);
        Path json = tmp.resolve("results.json");
        ResultFiles.writeJson(json, info, r);
        String j = Files.readString(json);
        assertTrue(j.contains("\"guest_command\": \"blkbench -H -w 20 -n 1000 -m 500 blk-qd1 blk-qd8 rng\""), j);
        assertTrue(j.contains("\"user.mmio.virtio-blk0.QueueNotify\": 1000"), j);
        assertTrue(j.contains("\"queue_notify_exits_per_req\": null"), "QEMU has none: " + j);
        assertEquals(count(j, '{'), count(j, '}'));
        assertEquals(count(j, '['), count(j, ']'));

        Path csv = tmp.resolve("results.csv");
        ResultFiles.writeCsv(csv, r);
        List<String> rows = Files.readAllLines(csv);
        assertEquals(10, rows.size());
        int columns = rows.get(0).split(",", -1).length;
        for (String row : rows) {
            assertEquals(columns, row.split(",", -1).length, row);
        }
        assertTrue(rows.get(2).startsWith("jkvm,exit,1,blk-qd1,1,4096,1000,"), rows.get(2));

        Path png = tmp.resolve("notify.png");
        NotifyChart.write(png, r, "test");
        byte[] head = new byte[8];
        System.arraycopy(Files.readAllBytes(png), 0, head, 0, 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
    }

    private static long count(String s, char c) {
        return s.chars().filter(x -> x == c).count();
    }
}
