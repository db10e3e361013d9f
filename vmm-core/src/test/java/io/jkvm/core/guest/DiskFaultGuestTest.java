package io.jkvm.core.guest;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
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
 * A disk with failing sectors: a device-mapper table over a loop device on the host, whose middle third is the
 * {@code error} target (every read and every write there fails with EIO). jkvm serves it as /dev/vdb beside a good
 * /dev/vda. The guest's I/O to the failing sectors ends in EIO (VIRTIO_BLK_S_IOERR, 5.2.6), counted in --stats; the
 * same disk's good sectors, the other disk and jkvm keep working, and the guest powers off.
 *
 * <p>jkvm's writes go through the host's page cache of the block device, as a write to an image file does: a write
 * into the failing sectors is acknowledged, and the failure reaches the guest at the flush that follows it, as it
 * would from a disk with a volatile write cache (5.2.6.4: data is stable only after a flush).
 */
@Tag("guest")
class DiskFaultGuestTest {
    /** 4 KiB blocks of /dev/vdb: 0-1023 good, 1024-2047 failing, 2048-3071 good. */
    private static final String TABLE = "0 8192 linear %1$s 0\n8192 8192 error\n16384 8192 linear %1$s 16384\n";

    private static final String GUEST = String.join("\n",
            "dd if=/dev/vdb of=/dev/null bs=4096 count=1 skip=1500 iflag=direct 2>/dev/null; echo bad-read=$?",
            "dd if=/dev/zero of=/dev/vdb bs=4096 count=1 seek=1024 oflag=direct conv=notrunc,fsync 2>/dev/null;"
                    + " echo bad-write=$?",
            "printf 'still-good-%s' low | dd of=/dev/vdb bs=4096 count=1 seek=10 conv=sync,notrunc,fsync 2>/dev/null",
            "printf 'still-good-%s' high | dd of=/dev/vdb bs=4096 count=1 seek=3000 conv=sync,notrunc,fsync 2>/dev/null",
            "for b in 10 3000; do dd if=/dev/vdb bs=4096 count=1 skip=$b iflag=direct 2>/dev/null | head -c 15;"
                    + " echo; done",
            "mount /dev/vda /mnt && echo vda-ok > /mnt/after-faults && sync && cat /mnt/after-faults /mnt/hello.txt",
            "umount /mnt",
            "echo faults-done");

    @TempDir
    Path tmp;

    private String loop;
    private String name;
    private String mapped;

    @BeforeEach
    void failingDisk() throws IOException {
        boolean emulatedHost = "1".equals(System.getenv("JKVM_L1"));
        Assumptions.assumeTrue(emulatedHost || HostShell.root(), "device-mapper needs root (the emulated host is)");
        // The backing file sits on L1's own tmpfs: a loop device over the 9p share would also work, only slower.
        Path backing = Files.createTempFile(Path.of("/dev/shm"), "jkvm-faulty", ".img");
        backing.toFile().deleteOnExit();
        HostShell.run("truncate -s 12M " + backing);
        loop = HostShell.run("losetup --find --show " + backing).trim();
        String dm = "jkvm-faulty-" + ProcessHandle.current().pid();
        Path table = tmp.resolve("table");
        Files.writeString(table, String.format(TABLE, loop));
        HostShell.run("dmsetup create " + dm + " " + table);
        name = dm;
        // The kernel's name of the node (dm-N, made by devtmpfs): /dev/mapper/NAME is udev's, and L1 has no udev.
        mapped = "/dev/" + HostShell.run("dmsetup info -c --noheadings -o blkdevname " + name).trim();
        HostShell.run("test -b " + mapped);
    }

    @AfterEach
    void removeIt() {
        if (name != null) {
            HostShell.run("dmsetup remove " + name);
        }
        if (loop != null) {
            HostShell.run("losetup -d " + loop);
        }
    }

    @Test
    void failingSectorsGiveTheGuestEioAndTheRestKeepsWorking() throws IOException {
        Path rootfs = tmp.resolve("rootfs.ext4");
        Files.copy(GuestImages.rootfs(), rootfs);
        Jkvm.Result r = Jkvm.run(Jkvm.scriptRun(GUEST, "--disk", rootfs.toString(), "--disk", mapped, "--stats"));
        assertEquals(0, r.status(), r.toString());
        String out = r.stdout();
        assertTrue(out.contains("bad-read=1"), "a read of the failing sectors fails in the guest:\n" + r);
        assertTrue(out.contains("bad-write=1"), "a write there fails at its flush:\n" + r);
        assertTrue(out.contains("still-good-low") && out.contains("still-good-high"),
                "the good sectors on both sides still take writes and reads:\n" + r);
        assertTrue(out.contains("vda-ok") && out.contains("jkvm rootfs hello"), "the other disk still works:\n" + r);
        assertTrue(out.contains("faults-done") && out.contains("jkvm-init: exit 0"), r.toString());
        assertEquals(2, metric(r.stderr(), "virtio-blk1.io_errors"), "one failed read, one failed flush:\n"
                + r.stderr());
        assertEquals(0, metric(r.stderr(), "virtio-blk0.io_errors"), r.stderr());
        assertTrue(metric(r.stderr(), "virtio-blk1.flushes") >= 3, r.stderr());
    }

    /** A device counter from --stats ("jkvm:   virtio-blk1.io_errors   2"). */
    private static long metric(String stats, String name) {
        Matcher m = Pattern.compile("(?m)^jkvm:\\s+" + Pattern.quote(name) + "\\s+(\\d+)$").matcher(stats);
        assertTrue(m.find(), name + " not in:\n" + stats);
        return Long.parseLong(m.group(1));
    }
}
