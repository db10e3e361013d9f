package io.jkvm.core.kvm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The errno path of the direct-mapped calls, on any Linux, without KVM. */
class NativeCallsTest {
    @Test
    void aFailedIoctlNamesTheRequestAndErrno() {
        Fd closed = new Fd(-1, "nothing");
        KvmException e = assertThrows(KvmException.class, () -> closed.ioctl(Ioctls.KVM_GET_API_VERSION, 0L));
        assertEquals("KVM_GET_API_VERSION", e.operation());
        assertEquals(LibC.EBADF, e.errno());
        assertEquals("KVM_GET_API_VERSION failed: errno 9 (Bad file descriptor)", e.getMessage());
    }

    @Test
    void theIoctlOnARealFdReportsItsOwnErrno() {
        // An eventfd knows no KVM ioctl: ENOTTY (25), not a stale errno from earlier calls.
        try (EventFd fd = new EventFd()) {
            Fd borrowed = new Fd(fd.fd(), "eventfd");
            KvmException e = assertThrows(KvmException.class,
                    () -> borrowed.ioctl(Ioctls.KVM_SET_USER_MEMORY_REGION, new KvmUserspaceMemoryRegion()));
            assertEquals(25, e.errno());
            assertEquals("KVM_SET_USER_MEMORY_REGION failed: errno 25 (Inappropriate ioctl for device)",
                    e.getMessage());
        }
    }

    @Test
    void openingAMissingDeviceSaysWhatToDo() {
        KvmException e = assertThrows(KvmException.class, () -> Kvm.open("/nonexistent/kvm"));
        assertEquals("open /nonexistent/kvm", e.operation());
        assertEquals(LibC.ENOENT, e.errno());
        assertTrue(e.getMessage().startsWith("open /nonexistent/kvm failed: errno 2 (No such file or directory); "),
                e.getMessage());
        assertTrue(e.getMessage().contains("scripts/with-kvm"), e.getMessage());
    }

    @Test
    void ioctlNumbersAreTheDocumentedOnes() {
        // Values printed by a C program on x86-64 (KvmAbiTest checks all of them where gcc exists).
        assertEquals(0xAE80L, Ioctls.KVM_RUN.number());
        assertEquals(0xAE00L, Ioctls.KVM_GET_API_VERSION.number());
        assertEquals(0x4020AE46L, Ioctls.KVM_SET_USER_MEMORY_REGION.number());
        assertEquals(0x8090AE81L, Ioctls.KVM_GET_REGS.number());
        assertEquals(0x4138AE84L, Ioctls.KVM_SET_SREGS.number());
        assertEquals(0xC008AE05L, Ioctls.KVM_GET_SUPPORTED_CPUID.number());
        assertEquals(0x4040AE79L, Ioctls.KVM_IOEVENTFD.number());
    }

    @Test
    void anIoctlSizeMustFitItsField() {
        assertThrows(IllegalArgumentException.class, () -> Ioctls.iow("TOO_BIG", 1, 1 << 14));
    }

    @Test
    void exitNames() {
        assertEquals("KVM_EXIT_MMIO", KvmExit.name(KvmExit.MMIO));
        assertEquals("KVM_EXIT_SYSTEM_EVENT", KvmExit.name(24));
        assertEquals("KVM_EXIT_99", KvmExit.name(99));
        assertEquals("KVM_EXIT_-1", KvmExit.name(-1));
    }
}
