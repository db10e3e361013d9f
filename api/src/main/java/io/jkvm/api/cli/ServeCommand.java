package io.jkvm.api.cli;

import io.jkvm.api.http.ApiLog;
import io.jkvm.api.http.ApiRouter;
import io.jkvm.api.http.ApiServer;
import io.jkvm.api.http.MetricsFile;
import io.jkvm.api.vm.KvmLauncher;
import io.jkvm.api.vm.MicroVm;
import io.jkvm.core.cli.Main;
import io.jkvm.core.cli.Preflight;
import io.jkvm.core.cli.ShutdownStop;
import io.jkvm.core.vm.Vm;
import io.jkvm.core.vm.VmExit;
import io.jkvm.devices.virtio.MmioTransport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * {@code jkvm serve}: one microVM per process, configured and started through Firecracker's REST API on a unix
 * socket. The guest's serial console is on stdin/stdout as with {@code jkvm run}; the process ends when the guest
 * does, with {@code jkvm run}'s exit statuses.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve Firecracker's REST API on a unix socket for one microVM: PUT /boot-source, "
                + "/machine-config, /drives/{id}, /entropy, /logger, /metrics, /actions (InstanceStart, SendCtrlAltDel, "
                + "FlushMetrics), PATCH /vm (Paused, Resumed), GET /, /version, /machine-config.",
                "The guest's serial console is on stdin/stdout."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the guest powered off or reset the machine (SendCtrlAltDel included)",
            "1:the guest failed (kernel panic, triple fault) or the VMM did",
            "2:bad input: an option, or --api-sock exists or cannot be created (one line says which)",
            "3:this host cannot run guests (see 'jkvm check')",
            "128+N:signal N (SIGHUP 129, SIGINT 130, SIGTERM 143): the VM, if started, was stopped and its disks "
                    + "flushed; the socket is removed"})
public final class ServeCommand implements Callable<Integer> {
    /** Firecracker's rule for --id: letters, digits and '-', 1 to 64 of them. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
    /** Firecracker flushes metrics every 60 s; jkvm does too once a metrics file is set. */
    private static final long METRICS_PERIOD_SECONDS = 60;

    @Option(names = "--api-sock", required = true, paramLabel = "PATH",
            description = "The unix socket to serve the API on; it must not exist, and is removed at exit.")
    Path socket;

    @Option(names = "--id", paramLabel = "NAME", description = "The microVM's id, reported by GET / "
            + "(default: ${DEFAULT-VALUE}).")
    String id = "anonymous-instance";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        String problem = checkOptions();
        if (problem != null) {
            err.println("jkvm: " + problem);
            return Main.EXIT_USAGE;
        }
        try {
            Preflight.requireKvm();
        } catch (Preflight.HostCannotRunGuests e) {
            err.println("jkvm: " + e.getMessage());
            return Main.EXIT_NO_KVM;
        }
        WarmUp.loadModulesOf(Vm.class, MmioTransport.class);

        CompletableFuture<VmExit> ended = new CompletableFuture<>();
        AtomicReference<Vm> started = new AtomicReference<>();
        OutputStream console = new FileOutputStream(FileDescriptor.out);
        KvmLauncher launcher = new KvmLauncher(System.in, console, (vm, exit) -> {
            started.set(vm);
            ended.complete(exit);
        });
        MicroVm microVm = new MicroVm();
        ApiLog log = new ApiLog(id);
        MetricsFile metrics = new MetricsFile();
        ApiRouter router = new ApiRouter(id, version(), microVm, launcher, log, metrics);
        ApiServer server;
        try {
            server = ApiServer.start(socket, router);
        } catch (RuntimeException e) {
            err.println("jkvm: cannot serve on --api-sock " + socket + ": " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        server.schedule(() -> flush(metrics, microVm), METRICS_PERIOD_SECONDS);
        err.println("jkvm: serving Firecracker's API for microVM " + id + " on " + socket);
        err.flush();
        VmExit exit;
        // A signal before InstanceStart ends the wait; after it, it stops the VM as a power-off does.
        try (ShutdownStop signals = ShutdownStop.install(e -> {
            if (!launcher.stop(e)) {
                ended.complete(e);
            }
        })) {
            try {
                exit = ended.get();
                Vm vm = started.get();
                console.flush();
                if (vm != null) {
                    vm.close(); // closes the disks, which fsyncs each writable one
                }
            } catch (ExecutionException e) {
                exit = VmExit.failed("the VM failed: " + e.getCause());
            } finally {
                server.close();
                Files.deleteIfExists(socket);
                flush(metrics, microVm);
                metrics.close();
                log.info("microVM ended");
                log.close();
            }
        }
        if (exit.status() != 0) {
            err.println("jkvm: " + exit.reason());
        }
        err.flush();
        return exit.status();
    }

    /** The one-line problem with the options, or null. */
    String checkOptions() {
        if (!ID.matcher(id).matches()) {
            return "--id " + id + ": use 1 to 64 letters, digits and '-'";
        }
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return "--api-sock " + socket + " exists: remove it (a socket left by a jkvm that was killed?) or "
                    + "choose another path";
        }
        Path dir = socket.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return "--api-sock " + socket + ": its folder does not exist";
        }
        if (!Files.isWritable(dir)) {
            return "--api-sock " + socket + ": its folder " + dir + " is not writable";
        }
        // sun_path holds 108 bytes with the terminating NUL (unix(7)).
        if (socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
            return "--api-sock " + socket + " is longer than the 107 bytes a unix socket path can hold";
        }
        return null;
    }

    private static void flush(MetricsFile metrics, MicroVm vm) {
        try {
            metrics.flush(vm.metrics());
        } catch (IOException e) {
            // The reader of a metrics pipe went away: the next flush tries again.
        }
    }

    private static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-dev" : v;
    }
}
