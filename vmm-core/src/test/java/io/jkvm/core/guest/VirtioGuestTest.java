package io.jkvm.core.guest;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** virtio-blk, -rng and -console with a real guest on KVM (run through scripts/with-kvm). */
@Tag("guest")
class VirtioGuestTest {
    @TempDir
    Path tmp;

    private Path disk() throws IOException {
        Path d = tmp.resolve("rootfs.ext4");
        Files.copy(GuestImages.rootfs(), d);
        return d;
    }

    private static Jkvm.Result boot(String guestCommand, String... options) {
        List<String> args = new ArrayList<>(List.of("run", "--kernel", GuestImages.kernel().toString(),
                "--initrd", GuestImages.initrd().toString(), "--memory", "128M"));
        args.addAll(Arrays.asList(options));
        args.add("--cmdline");
        args.add("quiet jkvm.run=\"" + guestCommand + "\"");
        return Jkvm.run(args.toArray(new String[0]));
    }

    private static String guestSha256(String output) {
        Matcher m = Pattern.compile("([0-9a-f]{64})\\s+/mnt/big").matcher(output);
        assertTrue(m.find(), "no sha256sum line in:\n" + output);
        return m.group(1);
    }

    @Test
    void guestMountsTheDiskAndReadsTheKnownFile() throws IOException {
        Jkvm.Result r = boot("mount /dev/vda /mnt && cat /mnt/hello.txt", "--disk", disk().toString());
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().contains("jkvm rootfs hello"), r.toString());
        assertTrue(r.stdout().contains("jkvm-init: exit 0"), r.toString());
    }

    /** 16 MiB written and checksummed in one boot, read back in a second, and found in the image by debugfs here. */
    @Test
    void writtenDataSurvivesAPowerOffAndIsInTheImage() throws Exception {
        Path d = disk();
        Jkvm.Result w = boot("mount /dev/vda /mnt && dd if=/dev/urandom of=/mnt/big bs=1M count=16 2>/dev/null"
                + " && sha256sum /mnt/big && umount /mnt", "--disk", d.toString());
        assertEquals(0, w.status(), w.toString());
        assertTrue(w.stdout().contains("jkvm-init: exit 0"), w.toString());
        String written = guestSha256(w.stdout());

        Jkvm.Result rd = boot("mount /dev/vda /mnt && sha256sum /mnt/big", "--disk", d.toString());
        assertEquals(0, rd.status(), rd.toString());
        assertEquals(written, guestSha256(rd.stdout()), "checksum after a second boot");

        Path out = tmp.resolve("big.host");
        Process p = new ProcessBuilder("debugfs", "-R", "dump /big " + out, d.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), log);
        assertEquals(16L << 20, Files.size(out), log);
        assertEquals(written, sha256(out), "host-side checksum of /big in the image");
    }

    @Test
    void aReadOnlyDiskRefusesWrites() throws Exception {
        Path d = disk();
        byte[] before = Files.readAllBytes(d);
        Jkvm.Result r = boot("dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct; echo dd-status=$?;"
                + " mount -o ro /dev/vda /mnt && cat /mnt/hello.txt", "--disk", d + ",ro");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().contains("jkvm rootfs hello"), r.toString());
        assertTrue(r.stdout().matches("(?s).*dd-status=[1-9].*"), "the write must fail in the guest:\n" + r);
        assertArrayEquals(before, Files.readAllBytes(d), "a read-only image is not modified");
    }

    @Test
    void hwrngYieldsBytes() {
        Jkvm.Result r = boot("head -c 32 /dev/hwrng | od -An -tx1 | tr -d ' \\n'; echo; cat /sys/class/misc/hw_random/rng_current",
                "--rng");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().contains("virtio_rng"), r.toString());
        Matcher m = Pattern.compile("(?m)^([0-9a-f]{64})\\r?$").matcher(r.stdout());
        assertTrue(m.find(), "64 hex digits from /dev/hwrng in:\n" + r);
        assertTrue(!m.group(1).equals("0".repeat(64)), "random bytes are not all zero");
    }

    @Test
    void virtioConsoleCarriesAShellLineBothWays() {
        byte[] input = "over-hvc0\n".getBytes(StandardCharsets.US_ASCII);
        Jkvm.Result r = Jkvm.run("jkvm-init: ready", input, 240, "run", "--kernel", GuestImages.kernel().toString(),
                "--initrd", GuestImages.initrd().toString(), "--memory", "128M", "--console", "virtio",
                "--cmdline", "quiet jkvm.run=\"read line; echo hvc-got:$line; cat /sys/class/tty/console/active\"");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().contains("hvc-got:over-hvc0"), r.toString());
        assertTrue(r.stdout().contains("hvc0"), r.toString());
    }

    /** QueueNotify exits, read from jkvm --stats: none with ioeventfd, at least one per request in exit mode. */
    @Test
    void queueNotifyExitsAreZeroWithIoeventfdAndCountedInExitMode() throws IOException {
        String work = "dd if=/dev/vda of=/dev/null bs=4096 count=200 iflag=direct 2>/dev/null; echo done";
        Path d = disk();
        Jkvm.Result ioeventfd = boot(work, "--disk", d + ",ro", "--stats", "--notify", "ioeventfd");
        Jkvm.Result exit = boot(work, "--disk", d + ",ro", "--stats", "--notify", "exit");
        assertEquals(0, ioeventfd.status(), ioeventfd.toString());
        assertEquals(0, exit.status(), exit.toString());
        assertEquals(0, queueNotifyExits(ioeventfd.stderr()), ioeventfd.stderr());
        assertTrue(queueNotifyExits(exit.stderr()) >= 200, exit.stderr());
    }

    /**
     * With the register page, 400 disk reads and the hwrng cost no exit at all: the only MMIO exits are the
     * driver's writes while it sets the devices up, as many as in a run with no I/O to speak of.
     */
    @Test
    void withTheRegisterPageRequestsCostNoExits() throws IOException {
        Path d = disk();
        String io = "dd if=/dev/vda of=/dev/null bs=4096 count=400 iflag=direct 2>/dev/null; "
                + "head -c 64 /dev/hwrng | od -An -tx1 | tr -d ' \\n'; echo; echo done";
        Jkvm.Result busy = boot(io, "--disk", d + ",ro", "--rng", "--stats", "--registers", "memory");
        Jkvm.Result idle = boot("echo done", "--disk", d + ",ro", "--rng", "--stats", "--registers", "memory");
        assertEquals(0, busy.status(), busy.toString());
        assertEquals(0, idle.status(), idle.toString());
        assertTrue(busy.stdout().matches("(?s).*\\b[0-9a-f]{128}\\b.*"), "64 hwrng bytes: " + busy.stdout());
        for (String register : new String[] {"QueueNotify", "InterruptStatus", "InterruptACK"}) {
            assertEquals(0, registerExits(busy.stderr(), register), register + ": " + busy.stderr());
        }
        assertEquals(registerExits(idle.stderr(), "\\S+"), registerExits(busy.stderr(), "\\S+"),
                "the same set-up writes, and nothing per request: " + busy.stderr());
        assertTrue(metric(busy.stderr(), "virtio-blk0.used_interrupts") >= 400, "interrupts raised, none of their "
                + "acknowledgements exited: " + busy.stderr());
    }

    private static long queueNotifyExits(String stats) {
        return registerExits(stats, "QueueNotify");
    }

    /** MMIO exits on registers named by the regex, from --stats ("jkvm:   0xd0000050   virtio-blk0 QueueNotify 3"). */
    private static long registerExits(String stats, String register) {
        long n = 0;
        Matcher m = Pattern.compile("(?m)^jkvm:\\s+0x[0-9a-f]+\\s+\\S+ " + register + "\\s+(\\d+)$").matcher(stats);
        while (m.find()) {
            n += Long.parseLong(m.group(1));
        }
        return n;
    }

    /** A device counter from --stats ("jkvm:   virtio-blk0.used_interrupts   1951"). */
    private static long metric(String stats, String name) {
        Matcher m = Pattern.compile("(?m)^jkvm:\\s+" + Pattern.quote(name) + "\\s+(\\d+)$").matcher(stats);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static String sha256(Path p) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }
}
