package io.jkvm.core.kvm;

import com.sun.jna.LastErrorException;

/** The /dev/kvm handle: system ioctls, and the factory of VMs (rust-vmm kvm-ioctls' {@code Kvm}). */
public final class Kvm implements AutoCloseable {
    public static final String DEVICE = "/dev/kvm";
    /** KVM_API_VERSION: the only version there has ever been, and the only one we speak. */
    public static final int KVM_API_VERSION = 12;

    private final Fd fd;
    private final int vcpuMmapSize;

    private Kvm(Fd fd) {
        this.fd = fd;
        try {
            int version = fd.ioctl(Ioctls.KVM_GET_API_VERSION, 0L);
            if (version != KVM_API_VERSION) {
                throw new IllegalStateException("KVM_GET_API_VERSION returned " + version + ", jkvm needs "
                        + KVM_API_VERSION + ": use a Linux kernel with a standard KVM");
            }
            this.vcpuMmapSize = fd.ioctl(Ioctls.KVM_GET_VCPU_MMAP_SIZE, 0L);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    public static Kvm open() {
        return open(DEVICE);
    }

    /** Opens the KVM device at path and checks its API version. */
    public static Kvm open(String path) {
        try {
            return new Kvm(new Fd(LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC), path));
        } catch (LastErrorException e) {
            throw new KvmException("open " + path, e.getErrorCode(), openHint(e.getErrorCode()));
        }
    }

    private static String openHint(int errno) {
        switch (errno) {
            case LibC.ENOENT:
                return "no KVM here: load kvm-intel or kvm-amd, or run under scripts/with-kvm";
            case 13: // EACCES
                return "add this user to the kvm group (or run as root)";
            default:
                return "";
        }
    }

    public int fd() {
        return fd.get();
    }

    public int apiVersion() {
        return fd.ioctl(Ioctls.KVM_GET_API_VERSION, 0L);
    }

    /** KVM_CHECK_EXTENSION: 0 when the capability is absent, else 1 or a capability-specific value. */
    public int checkExtension(int capability) {
        return fd.ioctl(Ioctls.KVM_CHECK_EXTENSION, capability);
    }

    /** Size of each vCPU's kvm_run mapping (KVM_GET_VCPU_MMAP_SIZE). */
    public int vcpuMmapSize() {
        return vcpuMmapSize;
    }

    /** The CPUID leaves this KVM can offer a guest (KVM_GET_SUPPORTED_CPUID), sized as the kernel needs. */
    public KvmCpuid2 supportedCpuid() {
        for (int capacity = 256; ; capacity *= 2) {
            KvmCpuid2 cpuid = new KvmCpuid2(capacity);
            try {
                fd.ioctl(Ioctls.KVM_GET_SUPPORTED_CPUID, cpuid);
                return cpuid;
            } catch (KvmException e) {
                if (e.errno() != LibC.E2BIG || capacity >= 1 << 16) {
                    throw e;
                }
            }
        }
    }

    /** The MSRs KVM_GET_MSRS / KVM_SET_MSRS know (KVM_GET_MSR_INDEX_LIST). */
    public int[] msrIndexList() {
        int capacity = 256;
        while (true) {
            KvmMsrList list = new KvmMsrList(capacity);
            try {
                fd.ioctl(Ioctls.KVM_GET_MSR_INDEX_LIST, list);
                return list.indices();
            } catch (KvmException e) {
                // On E2BIG the kernel has written the count it needs into nmsrs.
                if (e.errno() != LibC.E2BIG || list.nmsrs() <= capacity) {
                    throw e;
                }
                capacity = list.nmsrs();
            }
        }
    }

    /** KVM_CREATE_VM with the default machine type. */
    public VmFd createVm() {
        int vm = fd.ioctl(Ioctls.KVM_CREATE_VM, 0L);
        return new VmFd(new Fd(vm, "kvm-vm"), vcpuMmapSize);
    }

    /** Closing /dev/kvm does not end VMs made from it: each holds its own reference. */
    @Override
    public void close() {
        fd.close();
    }
}
