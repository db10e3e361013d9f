package io.jkvm.core.kvm;

import java.util.List;

/**
 * The KVM ioctl numbers, derived as include/uapi/asm-generic/ioctl.h does: direction (2 bits), argument size
 * (14 bits), type (8 bits, KVMIO = 0xAE) and number (8 bits), from linux/kvm.h's {@code _IO/_IOR/_IOW/_IOWR}.
 */
public final class Ioctls {
    /** The ioctl type of every KVM request. */
    public static final int KVMIO = 0xAE;

    private static final int IOC_NONE = 0;
    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;
    private static final int NR_SHIFT = 0;
    private static final int TYPE_SHIFT = 8;
    private static final int SIZE_SHIFT = 16;
    private static final int DIR_SHIFT = 30;
    private static final int SIZE_MASK = (1 << 14) - 1;

    // System ioctls, on the /dev/kvm fd.
    public static final Ioctl KVM_GET_API_VERSION = io("KVM_GET_API_VERSION", 0x00);
    public static final Ioctl KVM_CREATE_VM = io("KVM_CREATE_VM", 0x01);
    public static final Ioctl KVM_GET_MSR_INDEX_LIST = iowr("KVM_GET_MSR_INDEX_LIST", 0x02, KvmMsrList.SIZE);
    public static final Ioctl KVM_CHECK_EXTENSION = io("KVM_CHECK_EXTENSION", 0x03);
    public static final Ioctl KVM_GET_VCPU_MMAP_SIZE = io("KVM_GET_VCPU_MMAP_SIZE", 0x04);
    public static final Ioctl KVM_GET_SUPPORTED_CPUID = iowr("KVM_GET_SUPPORTED_CPUID", 0x05, KvmCpuid2.SIZE);

    // VM ioctls.
    public static final Ioctl KVM_CREATE_VCPU = io("KVM_CREATE_VCPU", 0x41);
    public static final Ioctl KVM_SET_USER_MEMORY_REGION =
            iow("KVM_SET_USER_MEMORY_REGION", 0x46, KvmUserspaceMemoryRegion.SIZE);
    public static final Ioctl KVM_SET_TSS_ADDR = io("KVM_SET_TSS_ADDR", 0x47);
    /** The argument is a pointer to a __u64. */
    public static final Ioctl KVM_SET_IDENTITY_MAP_ADDR = iow("KVM_SET_IDENTITY_MAP_ADDR", 0x48, 8);
    public static final Ioctl KVM_CREATE_IRQCHIP = io("KVM_CREATE_IRQCHIP", 0x60);
    public static final Ioctl KVM_IRQ_LINE = iow("KVM_IRQ_LINE", 0x61, KvmIrqLevel.SIZE);
    public static final Ioctl KVM_IRQFD = iow("KVM_IRQFD", 0x76, KvmIrqfd.SIZE);
    public static final Ioctl KVM_CREATE_PIT2 = iow("KVM_CREATE_PIT2", 0x77, KvmPitConfig.SIZE);
    public static final Ioctl KVM_IOEVENTFD = iow("KVM_IOEVENTFD", 0x79, KvmIoeventfd.SIZE);
    /** On a VM or a vCPU fd (KVM_CAP_BINARY_STATS_FD). */
    public static final Ioctl KVM_SET_CLOCK = iow("KVM_SET_CLOCK", 0x7b, KvmClockData.SIZE);
    public static final Ioctl KVM_GET_CLOCK = ior("KVM_GET_CLOCK", 0x7c, KvmClockData.SIZE);
    public static final Ioctl KVM_GET_STATS_FD = io("KVM_GET_STATS_FD", 0xce);

    // vCPU ioctls.
    public static final Ioctl KVM_RUN = io("KVM_RUN", 0x80);
    public static final Ioctl KVM_GET_REGS = ior("KVM_GET_REGS", 0x81, KvmRegs.SIZE);
    public static final Ioctl KVM_SET_REGS = iow("KVM_SET_REGS", 0x82, KvmRegs.SIZE);
    public static final Ioctl KVM_GET_SREGS = ior("KVM_GET_SREGS", 0x83, KvmSregs.SIZE);
    public static final Ioctl KVM_SET_SREGS = iow("KVM_SET_SREGS", 0x84, KvmSregs.SIZE);
    public static final Ioctl KVM_GET_MSRS = iowr("KVM_GET_MSRS", 0x88, KvmMsrs.SIZE);
    public static final Ioctl KVM_SET_MSRS = iow("KVM_SET_MSRS", 0x89, KvmMsrs.SIZE);
    public static final Ioctl KVM_GET_FPU = ior("KVM_GET_FPU", 0x8c, KvmFpu.SIZE);
    public static final Ioctl KVM_SET_FPU = iow("KVM_SET_FPU", 0x8d, KvmFpu.SIZE);
    public static final Ioctl KVM_GET_LAPIC = ior("KVM_GET_LAPIC", 0x8e, KvmLapicState.SIZE);
    public static final Ioctl KVM_SET_LAPIC = iow("KVM_SET_LAPIC", 0x8f, KvmLapicState.SIZE);
    public static final Ioctl KVM_SET_CPUID2 = iow("KVM_SET_CPUID2", 0x90, KvmCpuid2.SIZE);

    /** Every request above, for the ABI test. */
    public static final List<Ioctl> ALL = List.of(KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_GET_MSR_INDEX_LIST,
            KVM_CHECK_EXTENSION, KVM_GET_VCPU_MMAP_SIZE, KVM_GET_SUPPORTED_CPUID, KVM_CREATE_VCPU,
            KVM_SET_USER_MEMORY_REGION, KVM_SET_TSS_ADDR, KVM_SET_IDENTITY_MAP_ADDR, KVM_CREATE_IRQCHIP, KVM_IRQ_LINE,
            KVM_IRQFD, KVM_CREATE_PIT2, KVM_IOEVENTFD, KVM_SET_CLOCK, KVM_GET_CLOCK, KVM_GET_STATS_FD, KVM_RUN, KVM_GET_REGS, KVM_SET_REGS,
            KVM_GET_SREGS, KVM_SET_SREGS, KVM_GET_MSRS, KVM_SET_MSRS, KVM_GET_FPU, KVM_SET_FPU, KVM_GET_LAPIC,
            KVM_SET_LAPIC, KVM_SET_CPUID2);

    private Ioctls() {
    }

    /** _IOC(dir, type, nr, size). */
    static long ioc(int dir, int type, int nr, int size) {
        if (size < 0 || size > SIZE_MASK) {
            throw new IllegalArgumentException("ioctl argument size " + size + " does not fit in 14 bits");
        }
        return ((long) dir << DIR_SHIFT) | ((long) size << SIZE_SHIFT) | ((long) type << TYPE_SHIFT) | ((long) nr << NR_SHIFT);
    }

    /** _IO(KVMIO, nr): no argument, or an integer passed by value. */
    static Ioctl io(String name, int nr) {
        return new Ioctl(name, ioc(IOC_NONE, KVMIO, nr, 0));
    }

    /** _IOR(KVMIO, nr, size): the kernel writes a structure of this size. */
    static Ioctl ior(String name, int nr, int size) {
        return new Ioctl(name, ioc(IOC_READ, KVMIO, nr, size));
    }

    /** _IOW(KVMIO, nr, size): the kernel reads a structure of this size. */
    static Ioctl iow(String name, int nr, int size) {
        return new Ioctl(name, ioc(IOC_WRITE, KVMIO, nr, size));
    }

    /** _IOWR(KVMIO, nr, size): both. */
    static Ioctl iowr(String name, int nr, int size) {
        return new Ioctl(name, ioc(IOC_READ | IOC_WRITE, KVMIO, nr, size));
    }
}
