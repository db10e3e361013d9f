package io.jkvm.core.kvm;

import com.sun.jna.Memory;

/**
 * A VM: memory slots, the in-kernel interrupt controllers and PIT, interrupt lines, ioeventfds and irqfds, vCPUs
 * (rust-vmm kvm-ioctls' {@code VmFd}). Safe to call from several threads; each call's argument structure is reused
 * under this object's lock.
 */
public final class VmFd implements AutoCloseable {
    private final KvmClockData clockData = new KvmClockData();
    private final Fd fd;
    private final int vcpuMmapSize;
    private final KvmUserspaceMemoryRegion region = new KvmUserspaceMemoryRegion();
    private final KvmIoeventfd ioeventfd = new KvmIoeventfd();
    private final KvmIrqfd irqfd = new KvmIrqfd();
    private final KvmIrqLevel irqLevel = new KvmIrqLevel();
    private final Memory u64 = new Memory(8);

    VmFd(Fd fd, int vcpuMmapSize) {
        this.fd = fd;
        this.vcpuMmapSize = vcpuMmapSize;
    }

    public int fd() {
        return fd.get();
    }

    /** KVM_CHECK_EXTENSION on the VM (KVM_CAP_CHECK_EXTENSION_VM): the answer for this VM. */
    public int checkExtension(int capability) {
        return fd.ioctl(Ioctls.KVM_CHECK_EXTENSION, capability);
    }

    /**
     * Maps host memory at userspaceAddr into the guest at guestPhysAddr (KVM_SET_USER_MEMORY_REGION). Addresses and
     * size must be page-aligned; size 0 deletes the slot.
     *
     * @param flags 0, or {@link KvmUserspaceMemoryRegion#KVM_MEM_READONLY} (guest writes exit as MMIO) and/or
     *              {@link KvmUserspaceMemoryRegion#KVM_MEM_LOG_DIRTY_PAGES}
     */
    public synchronized void setUserMemoryRegion(int slot, int flags, long guestPhysAddr, long memorySize,
                                                 long userspaceAddr) {
        region.set(slot, flags, guestPhysAddr, memorySize, userspaceAddr);
        fd.ioctl(Ioctls.KVM_SET_USER_MEMORY_REGION, region);
    }

    /** Three pages of guest physical space, below 4 GiB and outside RAM, for Intel's real-mode TSS. */
    public void setTssAddr(long address) {
        fd.ioctl(Ioctls.KVM_SET_TSS_ADDR, address);
    }

    /** One page below 4 GiB, outside RAM, for Intel's identity map in real mode; before any vCPU exists. */
    public synchronized void setIdentityMapAddr(long address) {
        u64.setLong(0, address);
        fd.ioctl(Ioctls.KVM_SET_IDENTITY_MAP_ADDR, u64);
    }

    /** The in-kernel PIC pair, IOAPIC and per-vCPU local APICs, with GSIs 0-23 routed. Before any vCPU. */
    public void createIrqchip() {
        fd.ioctl(Ioctls.KVM_CREATE_IRQCHIP, 0L);
    }

    /** The in-kernel i8254 PIT, after {@link #createIrqchip()}. */
    public void createPit2(int flags) {
        fd.ioctl(Ioctls.KVM_CREATE_PIT2, new KvmPitConfig(flags));
    }

    /** The guest's kvmclock now, in nanoseconds (KVM_GET_CLOCK). */
    public synchronized long getClock() {
        fd.ioctl(Ioctls.KVM_GET_CLOCK, clockData);
        return clockData.clock();
    }

    /** Sets the guest's kvmclock (KVM_SET_CLOCK); every vCPU's pvclock page is updated before it runs again. */
    public synchronized void setClock(long nanos) {
        clockData.set(nanos);
        fd.ioctl(Ioctls.KVM_SET_CLOCK, clockData);
    }

    /** Drives a GSI of the in-kernel irqchip high or low (KVM_IRQ_LINE): an edge is high then low. */
    public synchronized void setIrqLine(int gsi, boolean high) {
        irqLevel.set(gsi, high ? 1 : 0);
        fd.ioctl(Ioctls.KVM_IRQ_LINE, irqLevel);
    }

    /**
     * Guest writes of exactly length bytes of value datamatch to address signal eventFd instead of exiting
     * (KVM_IOEVENTFD with DATAMATCH). Other values, lengths and addresses still exit.
     *
     * @param length 1, 2, 4 or 8 (a port write is at most 4 bytes, so an 8-byte PIO ioeventfd never fires)
     */
    public synchronized void registerIoevent(int eventFd, IoEventAddress address, int length, long datamatch) {
        ioeventfd(eventFd, address, length, datamatch, KvmIoeventfd.KVM_IOEVENTFD_FLAG_DATAMATCH);
    }

    /** Guest writes of length bytes (any value) to address signal eventFd; length 0 matches any length. */
    public synchronized void registerIoevent(int eventFd, IoEventAddress address, int length) {
        ioeventfd(eventFd, address, length, 0, 0);
    }

    /** Removes what {@link #registerIoevent(int, IoEventAddress, int, long)} registered (same arguments). */
    public synchronized void unregisterIoevent(int eventFd, IoEventAddress address, int length, long datamatch) {
        ioeventfd(eventFd, address, length, datamatch,
                KvmIoeventfd.KVM_IOEVENTFD_FLAG_DATAMATCH | KvmIoeventfd.KVM_IOEVENTFD_FLAG_DEASSIGN);
    }

    /** Removes what {@link #registerIoevent(int, IoEventAddress, int)} registered (same arguments). */
    public synchronized void unregisterIoevent(int eventFd, IoEventAddress address, int length) {
        ioeventfd(eventFd, address, length, 0, KvmIoeventfd.KVM_IOEVENTFD_FLAG_DEASSIGN);
    }

    private void ioeventfd(int eventFd, IoEventAddress address, int length, long datamatch, int flags) {
        if (address.space() == IoEventAddress.Space.PIO) {
            flags |= KvmIoeventfd.KVM_IOEVENTFD_FLAG_PIO;
        }
        ioeventfd.set(datamatch, address.address(), length, eventFd, flags);
        fd.ioctl(Ioctls.KVM_IOEVENTFD, ioeventfd);
    }

    /** Each signal of eventFd raises an edge on the GSI (KVM_IRQFD); needs {@link #createIrqchip()}. */
    public synchronized void registerIrqfd(int eventFd, int gsi) {
        irqfd.set(eventFd, gsi, 0);
        fd.ioctl(Ioctls.KVM_IRQFD, irqfd);
    }

    public synchronized void unregisterIrqfd(int eventFd, int gsi) {
        irqfd.set(eventFd, gsi, KvmIrqfd.KVM_IRQFD_FLAG_DEASSIGN);
        fd.ioctl(Ioctls.KVM_IRQFD, irqfd);
    }

    /** KVM_CREATE_VCPU, and its kvm_run mapped. The id is also the vCPU's initial APIC ID. */
    public VcpuFd createVcpu(int id) {
        Fd vcpu = new Fd(fd.ioctl(Ioctls.KVM_CREATE_VCPU, id), "kvm-vcpu " + id);
        try {
            return new VcpuFd(vcpu, id, vcpuMmapSize);
        } catch (RuntimeException e) {
            vcpu.close();
            throw e;
        }
    }

    /** The VM's binary statistics (KVM_GET_STATS_FD, KVM_CAP_BINARY_STATS_FD). */
    public KvmStats stats() {
        return new KvmStats(new Fd(fd.ioctl(Ioctls.KVM_GET_STATS_FD, 0L), "kvm-vm-stats"));
    }

    /** The VM ends when this and every vCPU fd are closed. */
    @Override
    public void close() {
        fd.close();
    }
}
