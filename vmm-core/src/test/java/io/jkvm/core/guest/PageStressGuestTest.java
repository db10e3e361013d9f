package io.jkvm.core.guest;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The register page under load: 2 vCPUs, a minute of 4 KiB O_DIRECT writes each read back and compared, first by
 * one worker (queue depth 1), then by 32 at once, on their own blocks of a scratch disk, while /dev/hwrng is read
 * and lines go out on hvc0 all the time. A request slower than 10 s fails the run, and so does a lost interrupt:
 * the workers' deadline passes and the script says HANG rather than wait.
 */
@Tag("guest")
class PageStressGuestTest {
    static final int PHASE_SECONDS = 30;

    @TempDir
    Path tmp;

    /** One worker: writes pattern A or B to its blocks in turn, reads each back with O_DIRECT and compares. */
    static final String SCRIPT = """
            set -u
            worker() { # id first_block blocks seconds
              id=$1; first=$2; blocks=$3; end=$(( $(date +%s) + $4 )); i=0; n=0
              head -c 4096 /dev/urandom > /tmp/a.$id; head -c 4096 /dev/urandom > /tmp/b.$id
              while [ $(date +%s) -lt $end ]; do
                blk=$(( first + i % blocks )); p=/tmp/a.$id; [ $(( i / blocks % 2 )) = 1 ] && p=/tmp/b.$id
                t0=$(date +%s)
                dd if=$p of=/dev/vda bs=4096 seek=$blk count=1 oflag=direct conv=notrunc 2>/dev/null || echo "IOERR w $id $blk"
                dd if=/dev/vda bs=4096 skip=$blk count=1 iflag=direct 2>/dev/null | cmp -s - $p || echo "MISMATCH $id $blk"
                [ $(( $(date +%s) - t0 )) -gt 10 ] && echo "SLOW $id $blk $(( $(date +%s) - t0 ))s"
                i=$((i + 1)); n=$((n + 2))
              done
              echo "worker $id requests $n"
            }
            rng() { n=0; while [ ! -e /tmp/stop ]; do head -c 64 /dev/hwrng > /dev/null || echo RNGFAIL; n=$((n+1)); done; echo "rng reads $n"; }
            talk() { n=0; while [ ! -e /tmp/stop ]; do echo "console line $n"; n=$((n+1)); sleep 0.2; done; }
            rng & talk &
            echo "phase qd1"
            worker 0 0 256 @PHASE@ & w=$!
            t=0; while kill -0 $w 2>/dev/null && [ $t -lt @LIMIT@ ]; do sleep 1; t=$((t+1)); done
            kill -0 $w 2>/dev/null && { echo "HANG qd1"; exit 1; }
            echo "phase qd32"
            pids=""
            for id in $(seq 1 32); do worker $id $(( id * 256 )) 256 @PHASE@ & pids="$pids $!"; done
            t=0
            while [ $t -lt @LIMIT@ ]; do
              live=0; for p in $pids; do kill -0 $p 2>/dev/null && live=1; done
              [ $live = 0 ] && break; sleep 1; t=$((t+1))
            done
            [ $live = 1 ] && { echo "HANG qd32"; exit 1; }
            touch /tmp/stop; sleep 1
            echo "STRESS DONE"
            """;

    @Test
    void aMinuteOfVerifiedWritesAtDepthOneAndThirtyTwoWithHwrngAndConsoleLosesNothing() throws IOException {
        Path disk = tmp.resolve("scratch.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(33L * 256 * 4096); // 33 regions of 256 blocks: worker 0, then 1..32
        }
        String script = SCRIPT.replace("@PHASE@", Integer.toString(PHASE_SECONDS))
                .replace("@LIMIT@", Integer.toString(PHASE_SECONDS + 60));
        Jkvm.Result r = Jkvm.run(null, null, 600, Jkvm.scriptRun(script, "--cpus", "2", "--registers", "memory",
                "--disk", disk.toString(), "--rng", "--console", "virtio", "--timeout", "500"));
        String out = r.stdout();
        assertEquals(0, r.status(), r.toString());
        assertTrue(out.contains("STRESS DONE"), r.toString());
        for (String bad : new String[] {"MISMATCH", "IOERR", "SLOW", "HANG", "RNGFAIL"}) {
            assertFalse(out.contains(bad), bad + " in:\n" + out);
        }
        assertTrue(requests(out, "0") > 0, out);
        long qd32 = 0;
        for (int id = 1; id <= 32; id++) {
            long n = requests(out, Integer.toString(id));
            assertTrue(n > 0, "worker " + id + " did nothing:\n" + out);
            qd32 += n;
        }
        Matcher rng = Pattern.compile("rng reads (\\d+)").matcher(out);
        assertTrue(rng.find() && Long.parseLong(rng.group(1)) > 0, out);
        assertTrue(Pattern.compile("console line (\\d+)").matcher(out).results().count() > PHASE_SECONDS, out);
        System.out.printf("page stress: qd1 %d requests, qd32 %d, %s%n", requests(out, "0"), qd32, rng.group(0));
    }

    private static long requests(String out, String worker) {
        Matcher m = Pattern.compile("worker " + worker + " requests (\\d+)").matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
