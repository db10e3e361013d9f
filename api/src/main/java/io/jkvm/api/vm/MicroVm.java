package io.jkvm.api.vm;

import io.jkvm.api.config.BadRequest;
import io.jkvm.api.config.BootSource;
import io.jkvm.api.config.Drive;
import io.jkvm.api.config.MachineConfig;
import io.jkvm.core.boot.Layout;
import io.jkvm.core.vm.VmConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one microVM of a {@code jkvm serve} process, and its life as Firecracker describes it: configured while
 * "Not started" (boot source, machine, drives, entropy), then InstanceStart once, then "Running" and "Paused" by
 * PATCH /vm. Configuration after the start and a second start are refused, as in Firecracker. Thread-safe: the API
 * thread calls it, and so may a configuration file before it.
 */
public final class MicroVm {
    /** Firecracker's names of the states, as GET / reports them. */
    public enum State {
        NOT_STARTED("Not started"), RUNNING("Running"), PAUSED("Paused");

        private final String apiName;

        State(String apiName) {
            this.apiName = apiName;
        }

        public String apiName() {
            return apiName;
        }
    }

    private State state = State.NOT_STARTED;
    private BootSource bootSource;
    private MachineConfig machine = MachineConfig.DEFAULT;
    private final Map<String, Drive> drives = new LinkedHashMap<>();
    private boolean entropy;
    private RunningVm running;

    public synchronized State state() {
        return state;
    }

    public synchronized MachineConfig machineConfig() {
        return machine;
    }

    public synchronized void setBootSource(BootSource b) {
        requireNotStarted("the boot source");
        bootSource = b;
    }

    public synchronized void setMachineConfig(MachineConfig m) {
        requireNotStarted("the machine configuration");
        machine = m;
    }

    /** Adds or replaces drive pathId; the body's drive_id must be the same (Firecracker's rule too). */
    public synchronized void putDrive(String pathId, Drive d) {
        requireNotStarted("drives");
        if (!pathId.equals(d.id())) {
            throw new BadRequest(String.format("drive_id \"%s\" in the body differs from \"%s\" in the path: give "
                    + "the same id in both", d.id(), pathId));
        }
        if (d.root()) {
            for (Drive other : drives.values()) {
                if (other.root() && !other.id().equals(d.id())) {
                    throw new BadRequest(String.format("drive \"%s\" cannot be the root device: drive \"%s\" "
                            + "already is; a microVM has one", d.id(), other.id()));
                }
            }
        }
        if (!drives.containsKey(d.id()) && devices() + 1 > Layout.MAX_VIRTIO_DEVICES) {
            throw new BadRequest(String.format("drive \"%s\" cannot be added: a jkvm guest has at most %d virtio "
                    + "devices", d.id(), Layout.MAX_VIRTIO_DEVICES));
        }
        drives.put(d.id(), d);
    }

    /** PUT /entropy: a virtio-rng device fed from the host's SecureRandom. */
    public synchronized void setEntropy() {
        requireNotStarted("the entropy device");
        if (!entropy && devices() + 1 > Layout.MAX_VIRTIO_DEVICES) {
            throw new BadRequest("the entropy device cannot be added: a jkvm guest has at most "
                    + Layout.MAX_VIRTIO_DEVICES + " virtio devices");
        }
        entropy = true;
    }

    /** InstanceStart: boots what was configured; refused without a boot source or once started. */
    public synchronized void start(Launcher launcher) {
        if (state != State.NOT_STARTED) {
            throw new BadRequest("InstanceStart is refused: the microVM has already been started (state "
                    + state.apiName() + "); one microVM per process");
        }
        VmConfig config = vmConfig();
        running = launcher.launch(config);
        state = State.RUNNING;
    }

    /** PATCH /vm "Paused"; pausing a paused microVM changes nothing. */
    public synchronized void pause() {
        requireStarted("pause");
        if (state == State.RUNNING) {
            running.pause();
            state = State.PAUSED;
        }
    }

    /** PATCH /vm "Resumed"; resuming a running microVM changes nothing. */
    public synchronized void resume() {
        requireStarted("resume");
        if (state == State.PAUSED) {
            running.resume();
            state = State.RUNNING;
        }
    }

    public synchronized void sendCtrlAltDel() {
        requireStarted("send Ctrl+Alt+Del to");
        running.sendCtrlAltDel();
    }

    /** The started VM's counters, or none before InstanceStart. */
    public synchronized Map<String, Long> metrics() {
        return running == null ? Map.of() : running.metrics();
    }

    /**
     * What {@code jkvm run} would boot: the root drive first, so that it is /dev/vda (as Firecracker orders them),
     * then the others in the order they were put; the root drive's root= after the boot_args.
     */
    public synchronized VmConfig vmConfig() {
        if (bootSource == null) {
            throw new BadRequest("InstanceStart is refused: no boot source; PUT /boot-source with "
                    + "kernel_image_path first");
        }
        List<Drive> ordered = new ArrayList<>();
        for (Drive d : drives.values()) {
            if (d.root()) {
                ordered.add(0, d);
            } else {
                ordered.add(d);
            }
        }
        List<VmConfig.Disk> disks = new ArrayList<>();
        String args = bootSource.bootArgs();
        for (int i = 0; i < ordered.size(); i++) {
            Drive d = ordered.get(i);
            disks.add(new VmConfig.Disk(d.path(), d.readOnly()));
            if (d.root()) {
                args = (args.isBlank() ? "" : args.trim() + " ") + d.rootArgument("vd" + (char) ('a' + i));
            }
        }
        return new VmConfig(bootSource.kernel(), bootSource.initrd(), args, machine.memSizeMib() * Layout.MiB,
                machine.vcpuCount(), disks, entropy, VmConfig.Console.SERIAL, VmConfig.Notify.IOEVENTFD,
                VmConfig.Registers.EXIT);
    }

    private int devices() {
        return drives.size() + (entropy ? 1 : 0);
    }

    private void requireNotStarted(String what) {
        if (state != State.NOT_STARTED) {
            throw new BadRequest(what + " can only be set before InstanceStart: the microVM is " + state.apiName());
        }
    }

    private void requireStarted(String verb) {
        if (state == State.NOT_STARTED) {
            throw new BadRequest("cannot " + verb + " the microVM: it is not started; send InstanceStart first");
        }
    }
}
