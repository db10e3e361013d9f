package io.jkvm.core.host;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class CpuFlagsTest {
    @Test
    void findsSvmOrVmx() {
        assertEquals("svm", CpuFlags.parse("processor\t: 0\nflags\t\t: fpu vme svm sse\n").virtualization());
        assertEquals("vmx", CpuFlags.parse("flags\t: fpu vmx\nflags\t: fpu vmx\n").virtualization());
    }

    @Test
    void noFlagNoVirtualization() {
        assertNull(CpuFlags.parse("flags\t: fpu vme hypervisor\n").virtualization());
        assertNull(CpuFlags.parse("").virtualization());
    }
}
