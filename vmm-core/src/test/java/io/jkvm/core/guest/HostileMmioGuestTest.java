package io.jkvm.core.guest;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest that loads and stores every size at page boundaries (KVM splits those into exits of 1 to 7 bytes), over
 * the virtio-mmio windows and addresses no device has, and at thousands of distinct unbacked addresses, through
 * /dev/mem (guest-images/programs/mmiosweep.c). jkvm serves all of it: the guest goes on, its disk and hwrng still
 * work, it powers off and jkvm exits 0, with every unclaimed access counted and the address tables bounded.
 */
@Tag("guest")
class HostileMmioGuestTest {
    /** Window 0 is the disk, window 1 the hwrng; 0xc0000000 starts the MMIO hole, 4 GiB is above 128 MiB of RAM. */
    private static final String SWEEP = String.join(" && ",
            "mmiosweep edge 0xd0000000",      // unclaimed page, then the disk's MagicValue and Version
            "mmiosweep edge 0xd0001000",      // the disk's window into the hwrng's
            "mmiosweep edge 0xd0002000",      // the hwrng's window into nothing
            "mmiosweep -1 edge 0xc0001000",
            "mmiosweep -1 spread 0xc0002000 4096",
            "mmiosweep -1 edge 0x100001000",
            "mmiosweep edge-loads 0x8000000", // the last page of RAM into nothing: loads only, the kernel owns it
            "dd if=/dev/vda of=/dev/null bs=4096 count=16 iflag=direct 2>/dev/null",
            "echo disk-still-reads",
            "head -c 16 /dev/hwrng | od -An -tx1",
            "echo mmiosweep-done");

    @TempDir
    Path tmp;

    /**
     * Ports no device has (below the 8250 at 0x3f8, above it to the in-kernel PIC's ELCR at 0x4d0): in and out of 1,
     * 2 and 4 bytes and rep ins/outs of 8 each, every in reading all ones.
     */
    private static final String PORTS = "mmiosweep -1 ports 0x100 0x3f7 && mmiosweep -1 ports 0x400 0x4cf"
            + " && echo ports-done";

    private Jkvm.Result sweep(String... options) throws IOException {
        return boot(SWEEP, options);
    }

    private Jkvm.Result boot(String guestCommand, String... options) throws IOException {
        Path disk = tmp.resolve("rootfs-" + String.join("", options).replaceAll("\\W", "") + ".ext4");
        Files.copy(GuestImages.rootfs(), disk);
        String[] args = {"run", "--kernel", GuestImages.kernel().toString(), "--initrd",
                GuestImages.initrd().toString(), "--memory", "128M", "--disk", disk + ",ro", "--rng", "--stats",
                "--cmdline", "quiet jkvm.run=\"" + guestCommand + "\""};
        String[] all = new String[args.length + options.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(options, 0, all, args.length, options.length);
        return Jkvm.run(all);
    }

    @Test
    void everySizeAtEveryBoundaryLeavesJkvmRunning() throws IOException {
        check(sweep());
    }

    /** Window reads come from a read-only memory slot: a crossing load is part memory, part exit. */
    @Test
    void theSameWithTheRegisterPage() throws IOException {
        check(sweep("--registers", "memory", "--notify", "exit"));
    }

    @Test
    void everyPortAccessLeavesJkvmRunning() throws IOException {
        Jkvm.Result r = boot(PORTS);
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().contains("ports-done"), r.toString());
        long ins = 0;
        long outs = 0;
        Matcher m = Pattern.compile("mmiosweep: ports \\S+ ins (\\d+) outs (\\d+) not-ones (\\d+)").matcher(r.stdout());
        int lines = 0;
        while (m.find()) {
            lines++;
            ins += Long.parseLong(m.group(1));
            outs += Long.parseLong(m.group(2));
            assertEquals("0", m.group(3), "an unclaimed in read something but all ones:\n" + r);
        }
        assertEquals(2, lines, r.toString());
        // A rep of 8 is one exit and 8 accesses on the bus.
        assertTrue(metric(r.stderr(), "pio.unclaimed_reads") >= ins, r.stderr());
        assertTrue(metric(r.stderr(), "pio.unclaimed_writes_dropped") >= outs, r.stderr());
    }

    private static void check(Jkvm.Result r) {
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().contains("disk-still-reads"), r.toString());
        assertTrue(r.stdout().contains("mmiosweep-done"), r.toString());
        assertTrue(r.stdout().contains("jkvm-init: exit 0"), r.toString());

        long unclaimedLoads = 0;
        long unclaimedStores = 0;
        Matcher m = Pattern.compile("mmiosweep: \\S+ 0x[0-9a-f]+ loads \\d+ stores \\d+ load-exits (\\d+) "
                + "store-exits (\\d+) not-ones (\\d+)").matcher(r.stdout());
        int lines = 0;
        while (m.find()) {
            lines++;
            assertEquals("0", m.group(3), "an unclaimed load read something but all ones:\n" + r);
        }
        assertEquals(7, lines, r.toString());
        Matcher ones = Pattern.compile("mmiosweep: (?:edge|spread) 0x(?:c000|1000)[0-9a-f]+ loads \\d+ stores \\d+ "
                + "load-exits (\\d+) store-exits (\\d+)").matcher(r.stdout());
        while (ones.find()) {
            unclaimedLoads += Long.parseLong(ones.group(1));
            unclaimedStores += Long.parseLong(ones.group(2));
        }
        assertTrue(unclaimedStores > 4096, r.toString());
        // The sweeps over nothing but unclaimed space, plus the edges beside the windows.
        assertTrue(metric(r.stderr(), "mmio.unclaimed_reads") >= unclaimedLoads, r.stderr());
        assertTrue(metric(r.stderr(), "mmio.unclaimed_writes_dropped") >= unclaimedStores, r.stderr());
        // 4096 distinct addresses, a load and a store each: all but the first 1024 go to the bucket.
        assertTrue(metric(r.stderr(), "mmio.exits_at_untracked_addresses") >= 2 * (4096 - 1024), r.stderr());
        Matcher listed = Pattern.compile("(?m)^jkvm:\\s+0x[0-9a-f]+\\s+\\(none\\)\\s+\\d+$").matcher(r.stderr());
        int unclaimedListed = 0;
        while (listed.find()) {
            unclaimedListed++;
        }
        assertTrue(unclaimedListed <= 1024, "per-address listing bounded: " + unclaimedListed);
    }

    /** A device counter from --stats ("jkvm:   mmio.unclaimed_reads   1951"). */
    private static long metric(String stats, String name) {
        Matcher m = Pattern.compile("(?m)^jkvm:\\s+" + Pattern.quote(name) + "\\s+(\\d+)$").matcher(stats);
        assertTrue(m.find(), name + " not in:\n" + stats);
        return Long.parseLong(m.group(1));
    }
}
