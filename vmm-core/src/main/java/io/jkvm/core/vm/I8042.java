package io.jkvm.core.vm;

import io.jkvm.devices.bus.BusDevice;

/**
 * Just enough of the i8042 keyboard controller for Linux's reboot=k: the command 0xFE (pulse the reset line) on
 * port 0x64 ends the VM. Status reads return 0 (input buffer empty), so the kernel's kb_wait() does not spin.
 */
final class I8042 implements BusDevice {
    static final long BASE = 0x60;
    static final long LENGTH = 5; // 0x60 data .. 0x64 command/status
    private static final long COMMAND = 0x64 - BASE;
    private static final int CMD_RESET_CPU = 0xfe;

    private final Runnable reset;

    I8042(Runnable reset) {
        this.reset = reset;
    }

    @Override
    public long read(long offset, int size) {
        return 0;
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset == COMMAND && (value & 0xff) == CMD_RESET_CPU) {
            reset.run();
        }
    }
}
