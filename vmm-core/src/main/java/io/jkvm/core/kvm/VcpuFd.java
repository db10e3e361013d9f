package io.jkvm.core.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;

/**
 * A vCPU: KVM_RUN and register state, with its mmapped {@link KvmRun} (rust-vmm kvm-ioctls' {@code VcpuFd}).
 *
 * <p>Apart from {@link #kick()}, call it from one thread, the vCPU's own: api.rst warns that a vCPU ioctl from
 * another thread than the last one may be slow, and {@link #run()} remembers its thread for the kick. The register
 * structures are the caller's, allocated once and reused.
 */
public final class VcpuFd implements AutoCloseable {
    private static final long KVM_RUN = Ioctls.KVM_RUN.number();

    private final Fd fd;
    private final int id;
    private final int mmapSize;
    private final KvmRun run;
    /** The kernel thread id of the thread in {@link #run()}, for the kick; 0 before the first run. */
    private volatile int runningTid;

    VcpuFd(Fd fd, int id, int mmapSize) {
        this.fd = fd;
        this.id = id;
        this.mmapSize = mmapSize;
        long address;
        try {
            address = LibC.mmap(0, mmapSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd.get(), 0);
        } catch (LastErrorException e) {
            throw new KvmException("mmap kvm_run of vcpu " + id, e.getErrorCode());
        }
        this.run = new KvmRun(new Pointer(address), mmapSize);
    }

    public int id() {
        return id;
    }

    public int fd() {
        return fd.get();
    }

    /** The shared kvm_run: read the exit from it after {@link #run()}, write IN/MMIO-read data into it. */
    public KvmRun kvmRun() {
        return run;
    }

    /**
     * Enters the guest until it exits to userspace (KVM_RUN) and returns kvm_run.exit_reason, or
     * {@link KvmExit#INTR} when a signal or {@link #kick()} interrupted it; immediate_exit is then cleared again
     * and the caller checks its own reason to stop. No allocation on the way in or out, unless KVM_RUN fails.
     */
    public int run() {
        if (runningTid == 0) {
            runningTid = LibC.gettid();
        }
        try {
            LibC.ioctl(fd.get(), KVM_RUN, 0L);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.EINTR) {
                run.immediateExit(false);
                return KvmExit.INTR;
            }
            throw new KvmException("KVM_RUN", e.getErrorCode());
        }
        return run.exitReason();
    }

    /**
     * Makes {@link #run()} return {@link KvmExit#INTR} soon, from any thread: sets immediate_exit (so a KVM_RUN
     * about to start returns at once) and sends SIGPIPE to the vCPU thread (so one in progress, even halted in the
     * kernel, returns EINTR). HotSpot's own SIGPIPE handler ignores the signal itself. Set the stop reason (a
     * volatile field) before calling this.
     */
    public void kick() {
        run.immediateExit(true);
        int tid = runningTid;
        if (tid != 0) {
            try {
                LibC.tgkill(LibC.getpid(), tid, LibC.SIGPIPE);
            } catch (LastErrorException e) {
                // ESRCH: the thread has ended, and with it any KVM_RUN to interrupt.
            }
        }
    }

    public void getRegs(KvmRegs regs) {
        fd.ioctl(Ioctls.KVM_GET_REGS, regs);
    }

    public void setRegs(KvmRegs regs) {
        fd.ioctl(Ioctls.KVM_SET_REGS, regs);
    }

    public void getSregs(KvmSregs sregs) {
        fd.ioctl(Ioctls.KVM_GET_SREGS, sregs);
    }

    public void setSregs(KvmSregs sregs) {
        fd.ioctl(Ioctls.KVM_SET_SREGS, sregs);
    }

    public void getFpu(KvmFpu fpu) {
        fd.ioctl(Ioctls.KVM_GET_FPU, fpu);
    }

    public void setFpu(KvmFpu fpu) {
        fd.ioctl(Ioctls.KVM_SET_FPU, fpu);
    }

    /** The CPUID the guest sees, e.g. {@link Kvm#supportedCpuid()} adjusted per vCPU. Before the first run. */
    public void setCpuid2(KvmCpuid2 cpuid) {
        fd.ioctl(Ioctls.KVM_SET_CPUID2, cpuid);
    }

    /** Fills in the data of each listed MSR; returns how many were read (fewer on an unknown MSR). */
    public int getMsrs(KvmMsrs msrs) {
        return fd.ioctl(Ioctls.KVM_GET_MSRS, msrs);
    }

    /** Sets each listed MSR; returns how many were set: KVM stops at the first it refuses. */
    public int setMsrs(KvmMsrs msrs) {
        return fd.ioctl(Ioctls.KVM_SET_MSRS, msrs);
    }

    public void getLapic(KvmLapicState lapic) {
        fd.ioctl(Ioctls.KVM_GET_LAPIC, lapic);
    }

    public void setLapic(KvmLapicState lapic) {
        fd.ioctl(Ioctls.KVM_SET_LAPIC, lapic);
    }

    /** This vCPU's binary statistics (KVM_GET_STATS_FD): "exits", "io_exits", "mmio_exits", "halt_exits"... */
    public KvmStats stats() {
        return new KvmStats(new Fd(fd.ioctl(Ioctls.KVM_GET_STATS_FD, 0L), "kvm-vcpu-stats " + id));
    }

    /** Unmaps kvm_run (the {@link KvmRun} is unusable afterwards) and closes the fd. Not while run() is in use. */
    @Override
    public synchronized void close() {
        if (fd.get() < 0) {
            return;
        }
        runningTid = 0;
        try {
            LibC.munmap(Pointer.nativeValue(run.address()), mmapSize);
        } catch (LastErrorException e) {
            throw new KvmException("munmap kvm_run of vcpu " + id, e.getErrorCode());
        } finally {
            fd.close();
        }
    }
}
