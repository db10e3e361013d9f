package io.jkvm.api.vm;

import java.util.Map;

/** A started microVM, as the API drives it after InstanceStart. */
public interface RunningVm {
    /** Stops every vCPU; returns once none runs guest code. */
    void pause();

    /** Lets the vCPUs run again. */
    void resume();

    /** Presses Ctrl+Alt+Del on the guest's i8042 keyboard. */
    void sendCtrlAltDel();

    /** jkvm's counters (exits, devices) under jkvm's own names, for the metrics file. */
    Map<String, Long> metrics();
}
