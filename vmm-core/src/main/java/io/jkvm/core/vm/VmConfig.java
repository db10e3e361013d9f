package io.jkvm.core.vm;

import io.jkvm.core.boot.Layout;
import io.jkvm.devices.virtio.MmioTransport;

import java.nio.file.Path;
import java.util.List;

/** What to boot and with what: the validated form of {@code jkvm run}'s options. */
public record VmConfig(Path kernel, Path initrd, String userCmdline, long memory, int cpus, List<Disk> disks,
                       boolean rng, Console console, Notify notifyMode, Registers registers, long pollMicros) {
    /** A raw disk image, read-only or not. */
    public record Disk(Path path, boolean readOnly) {
    }

    /** Where the guest's console is: the 8250 UART (ttyS0) or virtio-console (hvc0). */
    public enum Console { SERIAL, VIRTIO }

    /**
     * How queue notifications reach the devices: KVM_IOEVENTFD signals an eventfd served on the event loop (no exit),
     * or every QueueNotify write exits to userspace and is served on the vCPU thread (for comparison).
     */
    public enum Notify { IOEVENTFD, EXIT }

    /**
     * How the guest's reads of virtio-mmio registers are served: each one exits to userspace (the spec's model), or
     * from a page that each device keeps up to date and KVM maps read-only over its window (writes still exit,
     * but for QueueNotify and InterruptACK, which go to ioeventfds): no exit at all per request.
     */
    public enum Registers { EXIT, MEMORY }

    /**
     * How the guest ends the VM: a reset through the i8042 (reboot=k), also after a panic (panic=-1). The i8042
     * has a keyboard only, which takes no commands (jkvm's I8042): the kernel is told so, and does not probe for more.
     */
    public static final String BASE_CMDLINE = "reboot=k panic=-1 i8042.noaux i8042.nomux i8042.dumbkbd";

    /** How long the event loop may poll a queue after serving it, by default (see --poll-us). */
    public static final long DEFAULT_POLL_MICROS = 0;

    public VmConfig {
        disks = List.copyOf(disks);
        if (pollMicros < 0) {
            throw new IllegalArgumentException("--poll-us " + pollMicros + ": use 0 (off) or more");
        }
    }

    public VmConfig(Path kernel, Path initrd, String userCmdline, long memory, int cpus, List<Disk> disks, boolean rng,
                    Console console, Notify notifyMode, Registers registers) {
        this(kernel, initrd, userCmdline, memory, cpus, disks, rng, console, notifyMode, registers,
                DEFAULT_POLL_MICROS);
    }

    public VmConfig(Path kernel, Path initrd, String userCmdline, long memory, int cpus, List<Disk> disks, boolean rng,
                    Console console, Notify notifyMode) {
        this(kernel, initrd, userCmdline, memory, cpus, disks, rng, console, notifyMode, Registers.EXIT);
    }

    public static VmConfig of(Path kernel, Path initrd, String cmdline, long memory, int cpus) {
        return new VmConfig(kernel, initrd, cmdline, memory, cpus, List.of(), false, Console.SERIAL, Notify.IOEVENTFD);
    }

    /** Devices in the order they get MMIO windows and IRQs: disks first, so the first --disk is /dev/vda. */
    public int virtioDeviceCount() {
        return disks.size() + (rng ? 1 : 0) + (console == Console.VIRTIO ? 1 : 0);
    }

    /** The command line the guest gets: console, reset method, one virtio_mmio.device per device, then the user's. */
    public String kernelCmdline() {
        StringBuilder sb = new StringBuilder(console == Console.VIRTIO ? "console=hvc0" : "console=ttyS0");
        sb.append(' ').append(BASE_CMDLINE);
        for (int i = 0; i < virtioDeviceCount(); i++) {
            sb.append(' ').append(MmioTransport.kernelCmdline(Layout.virtioMmioWindow(i).start(), Layout.virtioIrq(i)));
        }
        if (userCmdline != null && !userCmdline.isBlank()) {
            sb.append(' ').append(userCmdline.trim());
        }
        return sb.toString();
    }
}
