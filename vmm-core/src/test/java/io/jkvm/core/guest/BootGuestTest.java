package io.jkvm.core.guest;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real Linux guest booted by jkvm on KVM (run through scripts/with-kvm). */
@Tag("guest")
class BootGuestTest {
    /** One boot checks the init marker, SMP, memory, the command line and power-off, to keep emulated time low. */
    @Test
    void bootsToInitWithTwoCpusTheMemoryAndTheCommandLineThenPowersOff() {
        String script = "echo nproc=$(nproc); grep MemTotal /proc/meminfo; cat /proc/cmdline; poweroff";
        Jkvm.Result r = Jkvm.run("run", "--kernel", GuestImages.kernel().toString(),
                "--initrd", GuestImages.initrd().toString(), "--memory", "256M", "--cpus", "2",
                "--cmdline", "quiet jkvm.test=marker-4711 jkvm.run=\"" + script + "\"");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().contains("jkvm-init: ready"), r.toString());
        assertTrue(r.stdout().contains("nproc=2"), r.toString());
        assertTrue(r.stdout().contains("jkvm.test=marker-4711"), r.toString());
        Matcher m = Pattern.compile("MemTotal:\\s+(\\d+) kB").matcher(r.stdout());
        assertTrue(m.find(), r.toString());
        long kib = Long.parseLong(m.group(1));
        // The kernel keeps its own image, page tables and reserves out of MemTotal: allow up to 32 MiB of that.
        assertTrue(kib <= 256 * 1024 && kib >= 224 * 1024, "MemTotal " + kib + " kB for --memory 256M");
    }

    @Test
    void aLineOnStdinReachesTheGuestAndComesBack() {
        byte[] input = "hello-from-host\n".getBytes(StandardCharsets.US_ASCII);
        Jkvm.Result r = Jkvm.run("jkvm-init: ready", input, 240, "run", "--kernel", GuestImages.kernel().toString(),
                "--initrd", GuestImages.initrd().toString(), "--memory", "128M",
                "--cmdline", "quiet jkvm.run=\"read line; echo guest-got:$line\"");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().contains("guest-got:hello-from-host"), r.toString());
    }
}
