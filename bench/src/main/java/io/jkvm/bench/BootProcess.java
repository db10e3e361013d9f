package io.jkvm.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One VMM process of the boot benchmark, started here: its console (stdout and stderr together) is read line by
 * line on a thread of its own, which notes when the guest's init marker arrived and keeps jkvm's boot-times line.
 * The clock starts just before the process is started, so the launcher script and the JVM's start are inside.
 */
final class BootProcess implements AutoCloseable {
    static final String MARKER = "jkvm-init: ready";

    private final Process process;
    private final long startNanos;
    private final long startEpochMs;
    private final CountDownLatch marker = new CountDownLatch(1);
    private final Thread reader;
    private volatile long markerNanos;
    private volatile BootTimesLine times;
    private volatile String lastLine = "";

    private BootProcess(List<String> command, Map<String, String> env, PrintStream echo) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        startEpochMs = System.currentTimeMillis();
        startNanos = System.nanoTime();
        process = pb.start();
        reader = new Thread(() -> read(echo), "boot-console-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    static BootProcess start(List<String> command, Map<String, String> env, PrintStream echo) {
        try {
            return new BootProcess(command, env, echo);
        } catch (IOException e) {
            throw new BenchException("cannot start " + command.get(0) + ": " + e.getMessage());
        }
    }

    private void read(PrintStream echo) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (markerNanos == 0 && line.contains(MARKER)) {
                    markerNanos = System.nanoTime();
                    marker.countDown();
                }
                BootTimesLine t = BootTimesLine.parse(line);
                if (t != null) {
                    times = t;
                }
                if (!line.isBlank()) {
                    lastLine = line.strip();
                }
                if (echo != null) {
                    echo.println(line);
                }
            }
        } catch (IOException e) {
            // the process ended or was killed: what it wrote so far is what there is
        }
    }

    long pid() {
        return process.pid();
    }

    long startEpochMs() {
        return startEpochMs;
    }

    /** Waits for the init marker; false after the timeout, or when the process ended without it. */
    boolean awaitMarker(long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!marker.await(200, TimeUnit.MILLISECONDS)) {
            if (!process.isAlive() && !reader.isAlive() || System.nanoTime() > deadline) {
                return markerNanos != 0;
            }
        }
        return true;
    }

    /** ms from the start to the marker. */
    long markerMs() {
        return TimeUnit.NANOSECONDS.toMillis(markerNanos - startNanos);
    }

    /** Waits for the process (and its output) to end; false after the timeout. */
    boolean awaitExit(long timeoutSeconds) throws InterruptedException {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            return false;
        }
        reader.join(5000);
        return true;
    }

    /** jkvm's boot-times line, or null (QEMU; or jkvm did not print it). */
    BootTimesLine times() {
        return times;
    }

    String lastLine() {
        return lastLine;
    }

    /** Ends the process: SIGTERM (jkvm stops its VM as on power-off), then SIGKILL after 10 s. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        reader.join(2000);
    }
}
