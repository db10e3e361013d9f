package io.jkvm.api.vm;

import io.jkvm.core.vm.VmConfig;

/** Starts a microVM from its configuration (InstanceStart); throws {@code BadRequest} for input KVM cannot boot. */
public interface Launcher {
    RunningVm launch(VmConfig config);
}
