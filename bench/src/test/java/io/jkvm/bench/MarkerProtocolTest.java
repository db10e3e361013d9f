package io.jkvm.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MarkerProtocolTest {
    /** Each sample returns the next of these values for user.exits. */
    private final List<Long> values = new ArrayList<>(List.of(100L, 130L, 500L, 540L));
    private int acks;
    private final List<String> failures = new ArrayList<>();
    private final MarkerProtocol protocol = new MarkerProtocol(
            () -> new Counters(Map.of(Counters.USER_EXITS, values.remove(0))), () -> acks++, failures::add);

    private void feed(String... lines) {
        for (String l : lines) {
            protocol.accept(l);
        }
    }

    private static String result(String name) {
        return "BENCH name=" + name + " requests=10 seconds=1 rps=10 p50_us=1 p99_us=2";
    }

    @Test
    void pairsEachResultWithTheCountersBetweenItsMarkers() {
        feed("[    1.0] virtio_blk virtio0: [vda] 65536 512-byte logical blocks", "jkvm-init: ready",
                "BENCH-START blk-qd1", "BENCH-END blk-qd1", result("blk-qd1"),
                "BENCH-START rng", "BENCH-END rng", result("rng"), "BENCH-DONE workloads=2", "jkvm-init: exit 0");
        List<WorkloadSample> s = protocol.finish(List.of("blk-qd1", "rng"), "reset");
        assertEquals(2, s.size());
        assertEquals(30, s.get(0).delta().get(Counters.USER_EXITS));
        assertEquals(40, s.get(1).delta().get(Counters.USER_EXITS));
        assertEquals("rng", s.get(1).result().name());
        assertEquals(4, acks, "one acknowledgement per marker");
        assertTrue(failures.isEmpty(), failures.toString());
    }

    @Test
    void aResultBeforeItsEndMarkerIsOutOfOrder() {
        feed("BENCH-START blk-qd1", result("blk-qd1"), "BENCH-END blk-qd1");
        assertEquals(1, failures.size());
        assertTrue(failures.get(0).contains("out of order"), failures.get(0));
        assertEquals(1, acks, "nothing is acknowledged after a failure");
        BenchException e = assertThrows(BenchException.class, () -> protocol.finish(List.of("blk-qd1"), "x"));
        assertTrue(e.getMessage().contains("out of order") && e.getMessage().contains("last console lines"),
                e.getMessage());
    }

    @Test
    void aSecondStartWithoutAnEndIsOutOfOrder() {
        feed("BENCH-START blk-qd1", "BENCH-START rng");
        assertTrue(failures.get(0).contains("BENCH-START rng while blk-qd1 is running"), failures.get(0));
    }

    @Test
    void aMalformedLineFailsTheRunWithTheParsersMessage() {
        feed("BENCH-START blk-qd1", "BENCH-END blk-qd1", "BENCH name=blk-qd1 requests=ten");
        assertTrue(failures.get(0).startsWith("malformed guest benchmark line"), failures.get(0));
        assertThrows(BenchException.class, () -> protocol.finish(List.of("blk-qd1"), "x"));
    }

    @Test
    void aGuestErrorIsReported() {
        feed("BENCH-ERROR blk-qd1 open /dev/vda: No such file or directory");
        assertEquals("blkbench failed in the guest, workload blk-qd1: open /dev/vda: No such file or directory",
                failures.get(0));
    }

    @Test
    void aMissingProgramIsNamed() {
        feed("sh: blkbench: not found", "jkvm-init: exit 127");
        BenchException e = assertThrows(BenchException.class, () -> protocol.finish(List.of("rng"), "reset"));
        assertTrue(e.getMessage().contains("no blkbench") && e.getMessage().contains("guest-images/build"),
                e.getMessage());
    }

    @Test
    void aGuestThatStopsEarlySaysHowTheVmEnded() {
        feed("BENCH-START blk-qd1");
        BenchException e = assertThrows(BenchException.class,
                () -> protocol.finish(List.of("blk-qd1"), "jkvm: timed out after 1000 ms"));
        assertTrue(e.getMessage().contains("stopped before BENCH-DONE (jkvm: timed out after 1000 ms)"),
                e.getMessage());
    }

    @Test
    void doneMustCountWhatTheHostSaw() {
        feed("BENCH-START rng", "BENCH-END rng", result("rng"), "BENCH-DONE workloads=2");
        assertTrue(failures.get(0).contains("says 2 workloads ran, the host saw 1"), failures.get(0));
    }

    @Test
    void otherWorkloadsThanAskedForAreAnError() {
        feed("BENCH-START rng", "BENCH-END rng", result("rng"), "BENCH-DONE workloads=1", "jkvm-init: exit 0");
        BenchException e = assertThrows(BenchException.class, () -> protocol.finish(List.of("blk-qd1"), "x"));
        assertTrue(e.getMessage().contains("ran [rng], the host asked for [blk-qd1]"), e.getMessage());
    }

    @Test
    void aFailingCounterReadFailsTheRun() {
        MarkerProtocol p = new MarkerProtocol(() -> {
            throw new IllegalStateException("no KVM VM of process 42");
        }, () -> acks++, failures::add);
        p.accept("BENCH-START blk-qd1");
        assertTrue(failures.get(0).contains("reading the exit counters at \"BENCH-START blk-qd1\" failed: no KVM VM"),
                failures.get(0));
        assertEquals(0, acks);
    }
}
