package io.jkvm.core.guest;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jkvm ended from outside in the middle of a guest's work: SIGKILL loses no write the guest saw acknowledged after
 * a flush; SIGTERM and SIGINT stop the VM cleanly, with exit status 143 and 130 and the terminal's settings back as
 * they were.
 */
@Tag("guest")
class SignalGuestTest {
    /** Record N is the 512-byte sector N of /dev/vda: this line, zero-padded. */
    private static final String RECORD = "jkvm-record %08d\n";

    /**
     * Each record is written through the guest's page cache and fsynced (a virtio-blk FLUSH), and only then logged
     * as acknowledged: the guest counts on it from then on.
     */
    private static final String RECORDS = String.join("\n",
            "i=1",
            "while [ $i -le 4000 ]; do",
            "  printf '" + RECORD.replace("\n", "\\n") + "' $i"
                    + " | dd of=/dev/vda bs=512 seek=$i count=1 conv=sync,notrunc,fsync 2>/dev/null"
                    + " || { echo write-failed=$i; break; }",
            "  echo ack=$i",
            "  i=$((i + 1))",
            "done");

    @TempDir
    Path tmp;

    @Test
    void sigkillLosesNoAcknowledgedWrite() throws IOException {
        Path disk = tmp.resolve("records.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(4 << 20);
        }
        Jkvm.Running p = Jkvm.start(Jkvm.command(Jkvm.scriptRun(RECORDS, "--disk", disk.toString())));
        p.awaitOutput(Pattern.compile("ack=60\\r?\\n"), 240);
        Jkvm.signal(p.pid(), "KILL");
        Jkvm.Result r = p.waitFor(60);
        assertEquals(128 + 9, r.status(), r.toString());
        assertTrue(!r.stdout().contains("write-failed"), r.toString());

        int acknowledged = 0;
        Matcher m = Pattern.compile("(?m)^ack=(\\d+)\\r?\\n").matcher(r.stdout());
        while (m.find()) {
            int n = Integer.parseInt(m.group(1));
            assertEquals(acknowledged + 1, n, "acknowledgements in order:\n" + r.stdout());
            acknowledged = n;
        }
        assertTrue(acknowledged >= 60, r.toString());
        assertTrue(acknowledged < 4000, "killed in the middle of the workload, not after it:\n" + r);
        byte[] image = Files.readAllBytes(disk);
        for (int i = 1; i <= acknowledged; i++) {
            byte[] want = String.format(RECORD, i).getBytes(StandardCharsets.US_ASCII);
            byte[] sector = java.util.Arrays.copyOfRange(image, i * 512, (i + 1) * 512);
            byte[] expected = new byte[512];
            System.arraycopy(want, 0, expected, 0, want.length);
            assertTrue(java.util.Arrays.equals(expected, sector), "acknowledged record " + i + " of "
                    + acknowledged + " is not in the image: "
                    + new String(sector, 0, want.length, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void sigtermStopsTheVmCleanlyWithStatus143() throws Exception {
        stopUnderATerminal("TERM", 143);
    }

    @Test
    void sigintStopsTheVmCleanlyWithStatus130() throws Exception {
        stopUnderATerminal("INT", 130);
    }

    /**
     * jkvm runs on a pseudo-terminal (script(1)), which it puts in raw mode, while the guest writes 64 KiB with
     * O_DIRECT and then waits; the signal ends it with status, and the terminal has its settings back.
     */
    private void stopUnderATerminal(String signal, int status) throws Exception {
        Path disk = tmp.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        String guest = "yes jkvm-signal-test | head -c 65536 | dd of=/dev/vda bs=4096 oflag=direct 2>/dev/null"
                + " && echo guest-wrote\nsleep 600\n";
        StringBuilder jkvm = new StringBuilder();
        for (String a : Jkvm.command(Jkvm.scriptRun(guest, "--disk", disk.toString()))) {
            jkvm.append(" '").append(a.replace("'", "'\\''")).append('\'');
        }
        Path inner = tmp.resolve("inner.sh");
        Files.writeString(inner, String.join("\n",
                "echo \"stty-before=$(stty -g)\"",
                "echo \"tty=$(tty)\"",
                // The shell's pid is jkvm's: exec keeps it (bin/jkvm execs java too).
                "sh -c 'echo \"jkvm-pid=$$\"; exec \"$@\"' sh" + jkvm,
                "echo \"jkvm-status=$?\"",
                "echo \"stty-after=$(stty -g)\"",
                ""));
        // script runs the shell as the session leader of a new pty, so jkvm's stdin and stdout are a terminal.
        Jkvm.Running p = Jkvm.start(List.of("script", "-q", "-e", "-c", "sh " + inner, "/dev/null"));
        String tty = p.awaitOutput(Pattern.compile("tty=(/dev/\\S+)\\r?\\n"), 60).group(1);
        long pid = Long.parseLong(p.awaitOutput(Pattern.compile("jkvm-pid=(\\d+)"), 60).group(1));
        p.awaitOutput(Pattern.compile("guest-wrote"), 240);
        String during = HostShell.run("stty -g -F " + tty).trim();
        Jkvm.signal(pid, signal);
        Jkvm.Result r = p.waitFor(60);
        String out = r.stdout();

        Matcher st = Pattern.compile("jkvm-status=(\\d+)").matcher(out);
        assertTrue(st.find(), out);
        assertEquals(status, Integer.parseInt(st.group(1)), out);
        assertTrue(out.contains("jkvm: stopped by a signal"), "one line says why:\n" + out);
        String before = field(out, "stty-before");
        assertNotEquals(before, during, "jkvm put the terminal in raw mode while it ran:\n" + out);
        assertEquals(before, field(out, "stty-after"), "the terminal's settings are back:\n" + out);

        byte[] written = java.util.Arrays.copyOf(Files.readAllBytes(disk), 65536);
        byte[] expected = new byte[65536];
        byte[] line = "jkvm-signal-test\n".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < expected.length; i++) {
            expected[i] = line[i % line.length];
        }
        assertTrue(java.util.Arrays.equals(expected, written), "the acknowledged writes are in the image");
    }

    private static String field(String out, String name) {
        Matcher m = Pattern.compile(name + "=(\\S+)").matcher(out);
        assertTrue(m.find(), name + " not in:\n" + out);
        return m.group(1);
    }
}
