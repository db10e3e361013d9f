package io.jkvm.core.host;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostCheckTest {
    @Test
    void aMissingDeviceSaysSoAndPointsAtWithKvm() {
        HostCheck c = HostCheck.run("/nonexistent/kvm");
        assertNotNull(c.problem());
        assertTrue(c.problem().contains("no /nonexistent/kvm"), c.problem());
        assertTrue(c.problem().contains("scripts/with-kvm"), c.problem());
        assertFalse(c.items().get(0).ok());
    }

    @Test
    void aDeviceThatIsNotKvmIsRefused() {
        HostCheck c = HostCheck.run("/dev/null");
        assertNotNull(c.problem());
        assertTrue(c.problem().contains("/dev/null"), c.problem());
    }

    /** On this machine kind (kvm_pvm, no svm/vmx) the real device must be refused with the reason; elsewhere accepted. */
    @Test
    void theRealDeviceIsJudgedByTheCpuFlag() {
        HostCheck c = HostCheck.run("/dev/kvm");
        if (CpuFlags.read().virtualization() == null) {
            assertNotNull(c.problem());
            assertTrue(c.problem().contains("scripts/with-kvm"), c.problem());
        }
    }
}
