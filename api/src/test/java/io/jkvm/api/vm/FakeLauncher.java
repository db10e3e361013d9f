package io.jkvm.api.vm;

import io.jkvm.core.vm.VmConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A launcher that records what it was asked to boot and what the API did to the VM afterwards. */
public final class FakeLauncher implements Launcher {
    public final List<VmConfig> launched = new ArrayList<>();
    public final List<String> calls = new ArrayList<>();

    @Override
    public RunningVm launch(VmConfig config) {
        launched.add(config);
        return new RunningVm() {
            @Override
            public void pause() {
                calls.add("pause");
            }

            @Override
            public void resume() {
                calls.add("resume");
            }

            @Override
            public void sendCtrlAltDel() {
                calls.add("ctrl-alt-del");
            }

            @Override
            public Map<String, Long> metrics() {
                return Map.of("exits.io", 42L);
            }
        };
    }
}
