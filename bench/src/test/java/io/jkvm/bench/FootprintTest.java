package io.jkvm.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FootprintTest {
    private static final List<String> STATUS = List.of("Name:\tjava", "VmRSS:\t  90000 kB", "Threads:\t17");

    private static List<String> mapping(String header, long sizeKib, long rssKib, long pssKib) {
        return List.of(header, "Size:           " + sizeKib + " kB", "KernelPageSize:        4 kB",
                "Rss:            " + rssKib + " kB", "Pss:            " + pssKib + " kB",
                "VmFlags: rd wr sh mr mw me ms sd");
    }

    private static List<String> smaps(List<List<String>> maps) {
        return maps.stream().flatMap(List::stream).toList();
    }

    @Test
    void theGuestRamIsTheAnonymousMappingClosestAboveTheGuestSize() {
        List<String> smaps = smaps(List.of(
                mapping("7f0000000000-7f0010000000 rw-s 00000000 00:01 1234   /dev/zero (deleted)", 262144, 30000,
                        30000),
                // the Java heap: anonymous too, but far larger than the guest
                mapping("7f1000000000-7f1030000000 rw-p 00000000 00:00 0", 786432, 9000, 9000),
                mapping("55d000000000-55d000100000 r-xp 00000000 08:01 99     /usr/lib/jvm/bin/java", 1024, 800, 400),
                // a file mapping of the guest's size is not guest RAM
                mapping("7f2000000000-7f2010000000 r--p 00000000 08:01 98     /tmp/disk.img", 262144, 5000, 5000)));
        Footprint f = Footprint.parse(STATUS, smaps, 262144);
        assertEquals(90000, f.rssKib());
        assertEquals(17, f.threads());
        assertEquals(30000, f.guestRssKib());
        assertEquals(30000 + 9000 + 400 + 5000, f.pssKib());
        assertEquals(90000 - 30000, f.ownRssKib());
        assertEquals(9000 + 400 + 5000, f.ownPssKib());
    }

    @Test
    void qemusAlignedRamMappingCountsAndNoCandidateMeansNoGuestRam() {
        List<String> qemu = smaps(List.of(mapping("7f0000000000-7f0010200000 rw-p 00000000 00:00 0", 264192, 20000,
                20000)));
        assertEquals(20000, Footprint.parse(STATUS, qemu, 262144).guestPssKib());
        List<String> none = smaps(List.of(mapping("7f0000000000-7f0000100000 rw-p 00000000 00:00 0", 1024, 10, 10)));
        assertEquals(0, Footprint.parse(STATUS, none, 262144).guestRssKib());
    }
}
