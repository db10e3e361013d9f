package io.jkvm.core.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Puts the controlling terminal into raw mode for the guest console and restores it on every way out (normal
 * return, exception, signal via a shutdown hook). Uses stty(1) on /dev/tty rather than termios through JNA: it is
 * called twice per run and keeps the saved state opaque.
 */
public final class Terminal implements AutoCloseable {
    private final String saved;
    private final Thread restoreHook;
    private boolean restored;

    private Terminal(String saved) {
        this.saved = saved;
        this.restoreHook = new Thread(this::restore, "jkvm-terminal-restore");
        Runtime.getRuntime().addShutdownHook(restoreHook);
    }

    /** Raw mode when stdin and stdout are a terminal; otherwise null (pipes and files are passed through as bytes). */
    public static Terminal rawIfInteractive() {
        if (System.console() == null) {
            return null;
        }
        try {
            String saved = stty("-g").trim();
            if (saved.isEmpty()) {
                return null;
            }
            // -isig: Ctrl-C goes to the guest; the escape (Ctrl-A x) quits jkvm.
            stty("raw", "-echo", "-isig");
            return new Terminal(saved);
        } catch (IOException e) {
            return null;
        }
    }

    private synchronized void restore() {
        if (restored) {
            return;
        }
        restored = true;
        try {
            stty(saved);
        } catch (IOException e) {
            // Nothing better to do on the way out.
        }
    }

    @Override
    public void close() {
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreHook);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook runs (and finds the terminal restored).
        }
    }

    private static String stty(String... args) throws IOException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "stty";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/tty"))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("stty " + String.join(" ", args) + " failed");
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running stty", e);
        }
    }
}
