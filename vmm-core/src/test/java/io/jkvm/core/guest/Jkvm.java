package io.jkvm.core.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    /** The command that runs bin/jkvm with args. */
    public static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Repo.root().resolve("bin/jkvm").toString());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /**
     * The arguments of a run of the default guest (128 MiB) with options, whose /init runs script with /bin/sh
     * (jkvm.script: base64, so the script may hold any character) and then powers off.
     */
    public static String[] scriptRun(String script, String... options) {
        List<String> args = new ArrayList<>(List.of("run", "--kernel", GuestImages.kernel().toString(),
                "--initrd", GuestImages.initrd().toString(), "--memory", "128M"));
        args.addAll(Arrays.asList(options));
        args.add("--cmdline");
        args.add("quiet jkvm.script=" + Base64.getEncoder().encodeToString(script.getBytes(StandardCharsets.UTF_8)));
        return args.toArray(new String[0]);
    }

    public static Result run(String... args) {
        return run(null, null, 240, args);
    }

    /**
     * Runs jkvm, killed after timeoutSeconds. stdin gets input (null: nothing) once stdout shows waitFor (null: at
     * once), as a person types only once the guest is up: the 8250 driver clears its FIFO when it starts.
     */
    public static Result run(String waitFor, byte[] input, long timeoutSeconds, String... args) {
        Running p = start(command(args));
        Thread feeder = new Thread(() -> {
            if (waitFor == null || p.awaitOutput(Pattern.compile(Pattern.quote(waitFor)), timeoutSeconds) != null) {
                feed(p.process.getOutputStream(), input);
            }
        });
        feeder.setDaemon(true);
        feeder.start();
        return p.waitFor(timeoutSeconds);
    }

    /** Starts command (e.g. {@link #command}) with its output captured; stdin stays open until it ends. */
    public static Running start(List<String> command) {
        try {
            return new Running(new ProcessBuilder(command).start());
        } catch (IOException e) {
            throw new AssertionError("cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
    }

    /** A process started by {@link #start}: what it printed so far, and how to wait for it or stop it. */
    public static final class Running {
        private final Process process;
        private final ByteSink out;
        private final ByteSink err;

        private Running(Process process) {
            this.process = process;
            this.out = new ByteSink(process.getInputStream());
            this.err = new ByteSink(process.getErrorStream());
        }

        public long pid() {
            return process.pid();
        }

        public String stdout() {
            return out.text();
        }

        /**
         * Waits until stdout matches pattern and returns the first match, or null when the process ended first.
         * Fails after timeoutSeconds.
         */
        public Matcher awaitOutput(Pattern pattern, long timeoutSeconds) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (true) {
                boolean alive = process.isAlive();
                Matcher m = pattern.matcher(out.text());
                if (m.find()) {
                    return m;
                }
                if (!alive) {
                    return null;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no " + pattern + " in the output within " + timeoutSeconds + " s\n"
                            + "--- stdout\n" + out.text() + "\n--- stderr\n" + err.text());
                }
                sleep(20);
            }
        }

        /** Waits for the end; kills the process and fails after timeoutSeconds. */
        public Result waitFor(long timeoutSeconds) {
            try {
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                    out.join();
                    err.join();
                    throw new AssertionError("jkvm did not end within " + timeoutSeconds + " s\n--- stdout\n"
                            + out.text() + "\n--- stderr\n" + err.text());
                }
                out.join();
                err.join();
                return new Result(process.exitValue(), out.text(), err.text());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Sends signal (a kill(1) name: TERM, INT, KILL) to the process pid, which may be this one's child. */
    public static void signal(long pid, String signal) {
        try {
            Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (k.waitFor() != 0) {
                throw new AssertionError("kill -" + signal + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run kill: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
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
    }
}
