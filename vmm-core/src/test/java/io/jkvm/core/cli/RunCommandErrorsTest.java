package io.jkvm.core.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input to 'jkvm run' gets one clear line and exit status 2, before anything starts. No KVM needed. */
class RunCommandErrorsTest {
    @TempDir
    Path tmp;

    private String err;

    private int run(String... args) {
        StringWriter e = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(e, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int status = cl.execute(args);
        err = e.toString();
        return status;
    }

    private void assertOneLineError(int status, String... fragments) {
        assertEquals(Main.EXIT_USAGE, status, err);
        assertEquals(1, err.strip().lines().count(), "one line: " + err);
        assertTrue(err.startsWith("jkvm: "), err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "'" + f + "' in: " + err);
        }
    }

    private Path fakeKernel() throws IOException {
        Path k = tmp.resolve("vmlinux");
        Files.write(k, new byte[8192]); // zeros: no boot sector magic, no HdrS
        return k;
    }

    @Test
    void missingKernelFile() {
        assertOneLineError(run("run", "--kernel", tmp.resolve("nope").toString()), "does not exist", "--kernel");
    }

    @Test
    void unknownRegistersMode() throws IOException {
        assertOneLineError(run("run", "--kernel", fakeKernel().toString(), "--registers", "mirror"),
                "--registers mirror", "use exit or memory");
    }

    @Test
    void negativePollWindow() throws IOException {
        assertOneLineError(run("run", "--kernel", fakeKernel().toString(), "--poll-us", "-5"),
                "--poll-us -5", "use 0 (off) to 1000000");
    }

    @Test
    void kernelIsADirectory() {
        assertOneLineError(run("run", "--kernel", tmp.toString()), "not a regular file");
    }

    @Test
    void missingInitrd() throws IOException {
        assertOneLineError(run("run", "--kernel", fakeKernel().toString(), "--initrd", tmp.resolve("x").toString()),
                "initrd", "does not exist");
    }

    @Test
    void kernelThatIsNotABzImage() throws IOException {
        assertOneLineError(run("run", "--kernel", fakeKernel().toString()), "bzImage");
    }

    @Test
    void unparsableMemory() throws IOException {
        assertOneLineError(run("run", "--kernel", fakeKernel().toString(), "--memory", "lots"), "memory size", "256M");
    }

    @Test
    void memoryLargerThanTheHost() throws IOException {
        assertOneLineError(run("run", "--kernel", fakeKernel().toString(), "--memory", "64T"), "more than this host");
    }

    @Test
    void tooManyCpus() throws IOException {
        assertOneLineError(run("run", "--kernel", fakeKernel().toString(), "--cpus", "100000"), "--cpus", "out of range");
        assertOneLineError(run("run", "--kernel", fakeKernel().toString(), "--cpus", "0"), "--cpus");
    }

    /** The default guest from guest-images/build; the calling test is skipped where none has been built. */
    private static DefaultGuest.Files3 builtGuest() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(DefaultGuest.imagesDir()),
                "no guest images built");
        try {
            return DefaultGuest.find();
        } catch (IllegalArgumentException e) {
            throw new org.opentest4j.TestAbortedException("no guest images built", e);
        }
    }

    /** Needs a real bzImage (guest-images/build); skipped where none has been built. */
    @Test
    void memoryTooSmallForKernelAndInitrd() throws IOException {
        DefaultGuest.Files3 guest = builtGuest();
        assertOneLineError(run("run", "--kernel", guest.kernel().toString(), "--initrd", guest.initrd().toString(),
                "--memory", "8M"), "too small", "--memory");
    }

    /** Exit status 3, not 2: no option fixes a host without usable KVM. Needs a bzImage and such a host. */
    @Test
    void aHostThatCannotRunGuestsHasItsOwnStatus() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.jkvm.core.host.HostCheck.run(io.jkvm.core.kvm.Kvm.DEVICE)
                .problem() != null, "this host can run guests");
        DefaultGuest.Files3 guest = builtGuest();
        int status = run("run", "--kernel", guest.kernel().toString(), "--initrd", guest.initrd().toString());
        assertEquals(Main.EXIT_NO_KVM, status, err);
        assertEquals(1, err.strip().lines().count(), "one line: " + err);
        assertTrue(err.contains("with-kvm"), err);
    }

    @Test
    void helpListsTheExitStatusesAndTheEscapeKey() {
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        assertEquals(0, cl.execute("run", "--help"));
        for (String s : new String[] {"Exit status:", "  0 ", "  1 ", "  2 ", "  3 ", "124 ", "128+N ", "SIGTERM 143",
                "Ctrl-A x"}) {
            assertTrue(out.toString().contains(s), "'" + s + "' in:\n" + out);
        }
    }

    @Test
    void initrdWithoutKernel() throws IOException {
        assertOneLineError(run("run", "--initrd", fakeKernel().toString()), "--initrd given without --kernel");
    }

    @Test
    void unknownOptionIsOneLineToo() {
        assertOneLineError(run("run", "--frobnicate"), "Unknown option", "--help");
    }

    @Test
    void versionAndHelpWork() {
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        assertEquals(0, cl.execute("--version"));
        assertTrue(out.toString().startsWith("jkvm "), out.toString());
        assertEquals(0, cl.execute("run", "--help"));
        assertTrue(out.toString().contains("--kernel"), out.toString());
    }
}
