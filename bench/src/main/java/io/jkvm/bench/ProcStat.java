package io.jkvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time of another process, from /proc/PID/stat (proc(5): utime and stime, fields 14 and 15, in clock ticks). */
final class ProcStat {
    /** USER_HZ: what the kernel reports those fields in on x86 Linux, whatever its own HZ. */
    static final long TICKS_PER_SECOND = 100;

    private ProcStat() {
    }

    /** utime + stime of pid in nanoseconds, or -1 when it cannot be read (the process is gone). */
    static long cpuNanos(long pid) {
        try {
            return parse(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The fields after the command name, which is in parentheses and may hold spaces and parentheses itself. */
    static long parse(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3 (state): utime is field 14, stime 15.
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return ticks * (1_000_000_000L / TICKS_PER_SECOND);
    }
}
