package io.jkvm.core.guest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Runs set-up and clean-up commands of guest tests on the host (losetup, dmsetup, stty) with /bin/sh. */
public final class HostShell {
    private HostShell() {
    }

    /** Runs script and returns its stdout; fails, with its output, unless it exits 0 within 60 s. */
    public static String run(String script) {
        try {
            Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("sh -c '" + script + "' did not end within 60 s:\n" + out);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("sh -c '" + script + "' exited " + p.exitValue() + ":\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot run sh: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Whether this process runs as root (device-mapper and loop devices need it). */
    public static boolean root() {
        return run("id -u").trim().equals("0");
    }
}
