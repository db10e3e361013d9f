package io.jkvm.api.vm;

import io.jkvm.api.config.BadRequest;
import io.jkvm.core.cli.ConsoleInput;
import io.jkvm.core.cli.Preflight;
import io.jkvm.core.vm.Vm;
import io.jkvm.core.vm.VmConfig;
import io.jkvm.core.vm.VmExit;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * InstanceStart on KVM: the same checks and the same {@link Vm} as {@code jkvm run}, the guest's serial console on
 * this process's stdin and stdout (as Firecracker's), the vCPUs run from a thread of their own. When the guest ends
 * the VM, onExit gets the VM (to close) and how it ended.
 */
public final class KvmLauncher implements Launcher {
    private final InputStream consoleIn;
    private final OutputStream consoleOut;
    private final BiConsumer<Vm, VmExit> onExit;
    private volatile Vm current;

    public KvmLauncher(InputStream consoleIn, OutputStream consoleOut, BiConsumer<Vm, VmExit> onExit) {
        this.consoleIn = consoleIn;
        this.consoleOut = consoleOut;
        this.onExit = onExit;
    }

    @Override
    public RunningVm launch(VmConfig config) {
        try {
            Preflight.check(config, "machine-config mem_size_mib", "machine-config vcpu_count");
        } catch (Preflight.HostCannotRunGuests e) {
            throw new BadRequest("InstanceStart failed: this host cannot run guests: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new BadRequest("InstanceStart is refused: " + e.getMessage(), e);
        }
        Vm vm;
        try {
            vm = Vm.create(config, consoleOut);
        } catch (RuntimeException e) { // a disk locked by another VM, a KVM call that failed
            throw new BadRequest("InstanceStart failed: cannot start the guest: " + e.getMessage(), e);
        }
        current = vm;
        Thread t = new Thread(() -> {
            VmExit exit;
            try {
                exit = vm.run(0);
            } catch (InterruptedException e) {
                exit = VmExit.failed("interrupted while the guest ran");
            } catch (RuntimeException | Error e) {
                exit = VmExit.failed("the VM failed: " + e);
            }
            onExit.accept(vm, exit);
        }, "jkvm-vm");
        t.start();
        if (consoleIn != null) {
            new ConsoleInput(consoleIn, vm::receiveInput, false, () -> vm.stop(VmExit.ok("quit from the console (Ctrl-A x)")))
                    .start();
        }
        return new Handle(vm);
    }

    /** Stops the started VM with exit (a signal); false when none was started. */
    public boolean stop(VmExit exit) {
        Vm vm = current;
        if (vm == null) {
            return false;
        }
        vm.stop(exit);
        return true;
    }

    /** The API's view of a running {@link Vm}. */
    private static final class Handle implements RunningVm {
        private final Vm vm;

        Handle(Vm vm) {
            this.vm = vm;
        }

        @Override
        public void pause() {
            try {
                vm.pause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BadRequest("pause interrupted", e);
            }
        }

        @Override
        public void resume() {
            vm.resume();
        }

        @Override
        public void sendCtrlAltDel() {
            vm.sendCtrlAltDel();
        }

        @Override
        public Map<String, Long> metrics() {
            Map<String, Long> m = new TreeMap<>();
            vm.exitsByReason().forEach((k, v) -> m.put("exits." + k, v));
            m.putAll(vm.deviceMetrics());
            return m;
        }
    }
}
