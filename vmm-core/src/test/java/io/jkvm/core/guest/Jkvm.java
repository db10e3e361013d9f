package io.jkvm.core.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs bin/jkvm as a user would, in its own process, and captures what it printed and how it exited. Shared by the
 * tests of bad input (no KVM needed) and of real guests (tagged "guest", run through scripts/with-kvm).
 */
public final class Jkvm {
    /** What a run produced. */
    public record Result(int status, String stdout, String stderr) {
        public String all() {
            return stdout + stderr;
        }

        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    private Jkvm() {
    }

    public static Result run(String... args) {
        return run(null, null, 240, args);
    }

    /**
     * Runs jkvm, killed after timeoutSeconds. stdin gets input (null: nothing) once stdout shows waitFor (null: at
     * once), as a person types only once the guest is up: the 8250 driver clears its FIFO when it starts.
     */
    public static Result run(String waitFor, byte[] input, long timeoutSeconds, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Repo.root().resolve("bin/jkvm").toString());
        cmd.addAll(Arrays.asList(args));
        try {
            Process p = new ProcessBuilder(cmd).start();
            ByteSink out = new ByteSink(p.getInputStream());
            ByteSink err = new ByteSink(p.getErrorStream());
            Thread feeder = new Thread(() -> {
                if (waitFor == null || out.await(waitFor, p)) {
                    feed(p.getOutputStream(), input);
                }
            });
            feeder.setDaemon(true);
            feeder.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                out.join();
                err.join();
                throw new AssertionError("jkvm did not end within " + timeoutSeconds + " s\n--- stdout\n"
                        + out.text() + "\n--- stderr\n" + err.text());
            }
            out.join();
            err.join();
            return new Result(p.exitValue(), out.text(), err.text());
        } catch (IOException e) {
            throw new AssertionError("cannot start bin/jkvm: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void feed(OutputStream in, byte[] input) {
        try (in) {
            if (input != null) {
                in.write(input);
                in.flush();
            }
        } catch (IOException e) {
            // jkvm ended before reading everything: the test's assertions say whether that mattered.
        }
    }

    private static final class ByteSink extends Thread {
        private final InputStream in;
        private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();

        ByteSink(InputStream in) {
            this.in = in;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            byte[] b = new byte[8192];
            try {
                int n;
                while ((n = in.read(b)) > 0) {
                    synchronized (buf) {
                        buf.write(b, 0, n);
                    }
                }
            } catch (IOException e) {
                // process killed
            }
        }

        String text() {
            synchronized (buf) {
                return buf.toString(StandardCharsets.UTF_8);
            }
        }

        /** Waits until the output contains text; false when the process ended first. */
        boolean await(String text, Process p) {
            while (!text().contains(text)) {
                if (!p.isAlive()) {
                    return false;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return false;
                }
            }
            return true;
        }
    }
}
