package io.jkvm.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestLineParserTest {
    static final String GOOD = "BENCH name=blk-qd1 requests=2000 seconds=2.412345 rps=829.1 p50_us=1150.3 "
            + "p99_us=2210.7 mean_us=1203.1 min_us=800.2 max_us=5120.9 depth=1 bytes=4096";

    @Test
    void readsAResultLineAsBlkbenchPrintsIt() {
        GuestLine g = GuestLineParser.parse(GOOD + "\r");
        WorkloadResult r = ((GuestLine.Result) g).result();
        assertEquals("blk-qd1", r.name());
        assertEquals(2000, r.requests());
        assertEquals(2.412345, r.seconds(), 1e-9);
        assertEquals(829.1, r.rps(), 1e-9);
        assertEquals(1150.3, r.p50Us(), 1e-9);
        assertEquals(2210.7, r.p99Us(), 1e-9);
        assertEquals(800.2, r.minUs(), 1e-9);
        assertEquals(1, r.depth());
        assertEquals(4096, r.bytes());
    }

    @Test
    void optionalKeysMayBeMissingAndUnknownOnesAreIgnored() {
        WorkloadResult r = ((GuestLine.Result) GuestLineParser.parse(
                "BENCH name=rng requests=5 seconds=1 rps=5 p50_us=1 p99_us=2 future_key=7")).result();
        assertTrue(Double.isNaN(r.meanUs()));
        assertEquals(1, r.depth());
    }

    @Test
    void readsMarkersDoneErrorAndInitExit() {
        assertEquals(new GuestLine.Start("blk-qd8"), GuestLineParser.parse("BENCH-START blk-qd8"));
        assertEquals(new GuestLine.End("rng"), GuestLineParser.parse("  BENCH-END rng \r"));
        assertEquals(new GuestLine.Done(3), GuestLineParser.parse("BENCH-DONE workloads=3"));
        assertEquals(new GuestLine.Error("blk-qd1", "open /dev/vda: No such file or directory"),
                GuestLineParser.parse("BENCH-ERROR blk-qd1 open /dev/vda: No such file or directory"));
        assertEquals(new GuestLine.InitExit(127), GuestLineParser.parse("jkvm-init: exit 127"));
    }

    @Test
    void linesThatAreNotOursAreIgnored() {
        assertNull(GuestLineParser.parse("[    0.000000] Linux version 6.1"));
        assertNull(GuestLineParser.parse("jkvm-init: ready"));
        assertNull(GuestLineParser.parse(""));
        assertNull(GuestLineParser.parse("BENCHMARKS are fun"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "BENCH name=blk-qd1 requests=2000 seconds=2 rps=abc p50_us=1 p99_us=2|rps=abc is not a number",
        "BENCH name=blk-qd1 requests=2000 seconds=2 p50_us=1 p99_us=2|no rps=",
        "BENCH name=blk-qd1 requests=0 seconds=2 rps=1 p50_us=1 p99_us=2|requests 0 is below 1",
        "BENCH name=blk-qd1 requests=1.5 seconds=2 rps=1 p50_us=1 p99_us=2|requests '1.5' is not a whole number",
        "BENCH name=blk-qd1 requests=10 seconds=0 rps=1 p50_us=1 p99_us=2|seconds=0 is not positive",
        "BENCH name=blk-qd1 requests=10 seconds=1 rps=-1 p50_us=1 p99_us=2|rps=-1 is not a finite number >= 0",
        "BENCH name=blk-qd1 requests=10 seconds=1 rps=NaN p50_us=1 p99_us=2|rps=NaN is not a finite number >= 0",
        "BENCH name=blk-qd1 requests=10 seconds=1 rps=1 p50_us=5 p99_us=2|p50_us=5 is above p99_us=2",
        "BENCH name=blk-qd1 name=rng requests=10 seconds=1 rps=1 p50_us=1 p99_us=2|key 'name' appears twice",
        "BENCH name=blk-qd1 requests=10 seconds 1 rps=1 p50_us=1 p99_us=2|'seconds' is not key=value",
        "BENCH name=blk-qd1 requests=10 seconds= rps=1 p50_us=1 p99_us=2|'seconds=' is not key=value",
        "BENCH name=/dev/vda requests=10 seconds=1 rps=1 p50_us=1 p99_us=2|name=/dev/vda is not a workload name",
        "BENCH-START|BENCH-START takes exactly one workload name",
        "BENCH-START blk-qd1 extra|BENCH-START takes exactly one workload name",
        "BENCH-END $x|'$x' is not a workload name",
        "BENCH-DONE|no workloads=",
        "BENCH-DONE workloads=two|workloads 'two' is not a whole number",
        "BENCH-ERROR|BENCH-ERROR needs a workload name and a message",
        "BENCH-FOO x|unknown line type 'BENCH-FOO'",
        "jkvm-init: exit x|status 'x' is not a whole number",
    })
    void malformedLinesAreRejectedWithTheReason(String line, String reason) {
        BenchOutputException e = assertThrows(BenchOutputException.class, () -> GuestLineParser.parse(line));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().startsWith("malformed guest benchmark line \"" + line.strip() + "\""),
                e.getMessage());
    }

    @Test
    void aHugeLineIsShortenedInTheMessage() {
        String line = "BENCH name=x " + "k=v ".repeat(200) + "k=v";
        BenchOutputException e = assertThrows(BenchOutputException.class, () -> GuestLineParser.parse(line));
        assertTrue(e.getMessage().length() < 500, e.getMessage());
    }
}
