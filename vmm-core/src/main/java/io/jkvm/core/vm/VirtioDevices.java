package io.jkvm.core.vm;

import io.jkvm.core.boot.Layout;
import io.jkvm.core.bus.IoBus;
import io.jkvm.core.kvm.KvmCap;
import io.jkvm.core.kvm.KvmUserspaceMemoryRegion;
import io.jkvm.core.kvm.MmapRegion;
import io.jkvm.core.kvm.VmFd;
import io.jkvm.devices.blk.VirtioBlock;
import io.jkvm.devices.console.VirtioConsole;
import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.rng.VirtioRng;
import io.jkvm.devices.virtio.DoorbellRegistrar;
import io.jkvm.devices.virtio.MmioTransport;
import io.jkvm.devices.virtio.PageMapping;
import io.jkvm.devices.virtio.VirtioDevice;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The VM's virtio-mmio devices: each gets a 4 KiB window in the MMIO hole and an IOAPIC pin (in the order of
 * {@link VmConfig#kernelCmdline()}), an irqfd, and doorbells through KVM_IOEVENTFD (or exits, in exit mode). Their
 * queues are served on one Netty epoll event loop.
 */
final class VirtioDevices implements AutoCloseable {
    private final EventLoop loop;
    private final List<MmioTransport> transports = new ArrayList<>();
    private final List<IrqFdLine> irqs = new ArrayList<>();
    private final List<VirtioBlock> disks = new ArrayList<>();
    private VirtioConsole console;
    /** The register pages (Registers.MEMORY), unmapped after the VM stops. */
    private final List<MmapRegion> pages = new ArrayList<>();
    /** Memory slots of register pages: after guest RAM's (GuestRam uses one per RAM range, at most two). */
    private static final int FIRST_PAGE_SLOT = 8;
    private final VmConfig.Registers registers;
    private final long pollMicros;

    private VirtioDevices(EventLoop loop, VmConfig.Registers registers, long pollMicros) {
        this.loop = loop;
        this.registers = registers;
        this.pollMicros = pollMicros;
    }

    /** onLoopFailure hears of anything thrown on the event loop thread. */
    static VirtioDevices create(VmConfig config, VmFd vm, GuestMemory memory, IoBus mmio, OutputStream consoleOut,
            Consumer<Throwable> onLoopFailure) {
        VirtioDevices d = new VirtioDevices(config.virtioDeviceCount() == 0 ? null : new EventLoop("jkvm-virtio"),
                config.registers(), config.pollMicros());
        try {
            if (d.loop != null) {
                d.loop.onFailure(onLoopFailure);
            }
            DoorbellRegistrar doorbells = config.notifyMode() == VmConfig.Notify.IOEVENTFD
                    ? new IoEventFdDoorbells(vm) : DoorbellRegistrar.EXIT;
            if (config.registers() == VmConfig.Registers.MEMORY && config.virtioDeviceCount() > 0
                    && vm.checkExtension(KvmCap.READONLY_MEM) <= 0) {
                throw new IllegalStateException("this KVM has no KVM_CAP_READONLY_MEM, which --registers memory "
                        + "needs; use --registers exit");
            }
            for (VmConfig.Disk disk : config.disks()) {
                VirtioBlock blk = VirtioBlock.open(disk.path(), disk.readOnly());
                d.disks.add(blk);
                d.add(blk, vm, memory, mmio, doorbells);
            }
            if (config.rng()) {
                d.add(new VirtioRng(), vm, memory, mmio, doorbells);
            }
            if (config.console() == VmConfig.Console.VIRTIO) {
                d.console = new VirtioConsole(consoleOut);
                d.add(d.console, vm, memory, mmio, doorbells);
            }
            return d;
        } catch (Exception e) {
            d.close();
            throw e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e.getMessage(), e);
        }
    }

    private void add(VirtioDevice device, VmFd vm, GuestMemory memory, IoBus mmio, DoorbellRegistrar doorbells) {
        int index = transports.size();
        long base = Layout.virtioMmioWindow(index).start();
        IrqFdLine irq = new IrqFdLine(vm, Layout.virtioIrq(index));
        irqs.add(irq);
        MmioTransport t = new MmioTransport(device, memory, base, irq, doorbells, loop);
        t.pollBeforeSleeping(pollMicros * 1000);
        transports.add(t);
        if (registers == VmConfig.Registers.MEMORY) {
            // Reads of the window hit this page; writes to a read-only slot exit as MMIO, or signal an ioeventfd.
            MmapRegion page = MmapRegion.anonymous(MmioTransport.WINDOW_SIZE);
            pages.add(page);
            int slot = FIRST_PAGE_SLOT + index;
            PageMapping mapping = new PageMapping() {
                @Override
                public void unmap() { // a slot of size 0 is deleted (api.rst, KVM_SET_USER_MEMORY_REGION)
                    vm.setUserMemoryRegion(slot, KvmUserspaceMemoryRegion.KVM_MEM_READONLY, base, 0,
                            page.hostAddress());
                }

                @Override
                public void map() {
                    vm.setUserMemoryRegion(slot, KvmUserspaceMemoryRegion.KVM_MEM_READONLY, base,
                            MmioTransport.WINDOW_SIZE, page.hostAddress());
                }
            };
            t.mirrorRegisters(new GuestMemory(page.regions(0)), mapping);
            mapping.map();
        }
        mmio.add(base, MmioTransport.WINDOW_SIZE, device.name() + index, t);
    }

    /** The virtio console, or null when the console is the 8250. */
    VirtioConsole console() {
        return console;
    }

    /** Counters of every transport and device, prefixed with the device's bus name. */
    Map<String, Long> metrics() {
        Map<String, Long> m = new TreeMap<>();
        for (int i = 0; i < transports.size(); i++) {
            MmioTransport t = transports.get(i);
            String name = t.device().name() + i;
            t.metrics().snapshot().forEach((k, v) -> m.put(name + "." + k, v));
            t.device().metrics().snapshot().forEach((k, v) -> m.put(name + "." + k, v));
        }
        return m;
    }

    /** Each transport's and queue's state, for a stall report (see {@link MmioTransport#describe}). */
    List<String> describe() {
        List<String> lines = new ArrayList<>();
        for (MmioTransport t : transports) {
            lines.addAll(t.describe());
        }
        return lines;
    }

    /** Stops in the order the devices API asks: transports (doorbells off), the loop, then the backends. */
    @Override
    public void close() {
        for (MmioTransport t : transports) {
            t.close();
        }
        if (loop != null) {
            loop.close();
        }
        for (VirtioBlock b : disks) {
            try {
                b.close();
            } catch (Exception e) {
                // Closing releases the image lock; nothing else is pending (writes were acknowledged after they landed).
            }
        }
        for (IrqFdLine irq : irqs) {
            irq.close();
        }
        if (quiesced()) {
            for (MmapRegion page : pages) {
                page.close();
            }
        }
    }

    /**
     * False when closing gave up on a device stuck in a request: its thread may still touch guest RAM and its
     * register page, which then stay mapped until the process ends rather than fault under it.
     */
    public boolean quiesced() {
        return transports.stream().noneMatch(MmioTransport::abandoned);
    }
}
