package io.jkvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A VMM process's memory and threads from /proc: RSS and PSS of the whole process, and of the mapping that is
 * the guest's RAM (the anonymous mapping closest above the guest's size: jkvm maps exactly that, QEMU a little
 * more for alignment), so that what the VMM itself costs is the rest. In KiB.
 */
record Footprint(long rssKib, long pssKib, long guestRssKib, long guestPssKib, int threads) {
    /** How much larger than the guest's RAM its mapping may be. */
    private static final long SLACK_KIB = 8 << 10;

    long ownRssKib() {
        return rssKib - guestRssKib;
    }

    long ownPssKib() {
        return pssKib - guestPssKib;
    }

    static Footprint of(long pid, long guestBytes) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        return parse(Files.readAllLines(proc.resolve("status")), Files.readAllLines(proc.resolve("smaps")),
                guestBytes >> 10);
    }

    /** From the text of /proc/PID/status and /proc/PID/smaps. */
    static Footprint parse(List<String> status, List<String> smaps, long guestKib) {
        long rss = 0;
        int threads = 0;
        for (String l : status) {
            if (l.startsWith("VmRSS:")) {
                rss = kib(l);
            } else if (l.startsWith("Threads:")) {
                threads = Integer.parseInt(l.substring("Threads:".length()).strip());
            }
        }
        List<Mapping> maps = new ArrayList<>();
        for (String l : smaps) {
            if (isHeader(l)) {
                maps.add(new Mapping(isAnonymous(l)));
            } else if (!maps.isEmpty()) {
                Mapping m = maps.get(maps.size() - 1);
                if (l.startsWith("Size:")) {
                    m.size = kib(l);
                } else if (l.startsWith("Rss:")) {
                    m.rss = kib(l);
                } else if (l.startsWith("Pss:")) {
                    m.pss = kib(l);
                }
            }
        }
        long pss = 0;
        Mapping guest = null;
        for (Mapping m : maps) {
            pss += m.pss;
            if (m.anonymous && m.size >= guestKib && m.size - guestKib <= SLACK_KIB
                    && (guest == null || m.size < guest.size)) {
                guest = m;
            }
        }
        return guest == null ? new Footprint(rss, pss, 0, 0, threads)
                : new Footprint(rss, pss, guest.rss, guest.pss, threads);
    }

    private static final class Mapping {
        final boolean anonymous;
        long size;
        long rss;
        long pss;

        Mapping(boolean anonymous) {
            this.anonymous = anonymous;
        }
    }

    /** A mapping's first line: "start-end perms offset dev inode [name]". */
    private static boolean isHeader(String l) {
        int dash = l.indexOf('-');
        int space = l.indexOf(' ');
        return dash > 0 && space > dash && l.chars().limit(dash).allMatch(c -> Character.digit(c, 16) >= 0);
    }

    /** Anonymous memory: no file, or a shared one that is not a file (/dev/zero, memfd). */
    private static boolean isAnonymous(String header) {
        String[] f = header.strip().split("\\s+", 6);
        String name = f.length == 6 ? f[5] : "";
        return name.isEmpty() || name.startsWith("/dev/zero") || name.startsWith("/memfd:") || name.startsWith("[anon");
    }

    private static long kib(String l) {
        String[] f = l.strip().split("\\s+");
        return Long.parseLong(f[1]);
    }
}
