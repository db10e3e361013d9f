package io.jkvm.core.vm;

import io.jkvm.devices.bus.BusDevice;
import io.jkvm.devices.irq.IrqLine;

/**
 * The i8042 keyboard controller, as much of it as Linux uses with {@code i8042.noaux i8042.nomux i8042.dumbkbd}
 * (jkvm's base command line): the controller commands of its probe (read and write the control byte, the self
 * tests), the reset line for {@code reboot=k} (command 0xFE ends the VM), and an AT keyboard that never gets
 * commands, only scancodes pushed by the VMM (set 2, or set 1 when the control byte asks the controller to translate),
 * each with an edge on IRQ 1. That is how Ctrl+Alt+Del reaches
 * the guest, as in Firecracker. Port 0x60 is data, 0x64 status (read) and command (write); the bit names are
 * Linux's (drivers/input/serio/i8042.h).
 */
final class I8042 implements BusDevice {
    static final long BASE = 0x60;
    static final long LENGTH = 5; // 0x60 data .. 0x64 command/status
    static final int IRQ = 1;
    private static final long DATA = 0;
    private static final long COMMAND = 0x64 - BASE;

    // Status register.
    static final int STR_OBF = 0x01;
    static final int STR_SYSFLAG = 0x04;
    static final int STR_CMDDAT = 0x08;
    static final int STR_KEYLOCK = 0x10; // set: the keyboard is not inhibited

    // Control byte ("command byte").
    static final int CTR_KBDINT = 0x01;
    static final int CTR_SYSFLAG = 0x04;
    static final int CTR_KBDDIS = 0x10;
    static final int CTR_XLATE = 0x40;

    // Controller commands.
    static final int CMD_READ_CTR = 0x20;
    static final int CMD_WRITE_CTR = 0x60;
    static final int CMD_SELF_TEST = 0xaa;
    static final int CMD_KBD_TEST = 0xab;
    static final int CMD_KBD_DISABLE = 0xad;
    static final int CMD_KBD_ENABLE = 0xae;
    static final int CMD_READ_OUTPUT_PORT = 0xd0;
    static final int CMD_WRITE_OUTPUT_PORT = 0xd1;
    static final int CMD_RESET_CPU = 0xfe;
    static final int SELF_TEST_OK = 0x55;
    static final int KBD_ACK = 0xfa;

    /**
     * Ctrl, Alt, Delete pressed, then released in reverse order, as the keyboard sends them, in scancode set 2:
     * 0x14 left Ctrl, 0x11 left Alt, 0xE0 0x71 Delete, 0xF0 before a released key's code.
     */
    static final int[] CTRL_ALT_DEL = {0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14};
    /**
     * The same as the controller passes them on with XLATE set in the control byte, as a PC's firmware leaves it and
     * Linux keeps it (unless i8042.direct): set 1, where a release is the make code with bit 7 set. Linux's atkbd
     * then expects translated codes (its port is SERIO_8042_XL).
     */
    static final int[] CTRL_ALT_DEL_TRANSLATED = {0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d};

    /** What the controller holds for the guest: 16 bytes, as a real one's keyboard buffer. */
    private static final int BUFFER = 16;

    private final Runnable reset;
    private final IrqLine irq;
    private final int[] buffer = new int[BUFFER];
    private int head;
    private int count;
    private int control = CTR_KBDINT | CTR_SYSFLAG | CTR_XLATE;
    private int outputPort = 0x01; // bit 0: the reset line, high (not in reset)
    private int pendingCommand;
    private boolean lastWasCommand;

    I8042(Runnable reset, IrqLine irq) {
        this.reset = reset;
        this.irq = irq;
    }

    @Override
    public synchronized long read(long offset, int size) {
        if (offset == COMMAND) {
            return STR_SYSFLAG | STR_KEYLOCK | (count > 0 ? STR_OBF : 0) | (lastWasCommand ? STR_CMDDAT : 0);
        }
        if (offset != DATA || count == 0) {
            return 0;
        }
        int b = buffer[head];
        head = (head + 1) % BUFFER;
        count--;
        if (count > 0) {
            interrupt(); // one byte per interrupt: Linux's handler reads one and returns
        }
        return b;
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        int v = (int) (value & 0xff);
        if (offset == COMMAND) {
            lastWasCommand = true;
            command(v);
        } else if (offset == DATA) {
            lastWasCommand = false;
            data(v);
        }
    }

    /** Presses Ctrl+Alt+Del; false when the guest has not read earlier keys yet and there is no room. */
    synchronized boolean sendCtrlAltDel() {
        int[] codes = (control & CTR_XLATE) != 0 ? CTRL_ALT_DEL_TRANSLATED : CTRL_ALT_DEL;
        if (BUFFER - count < codes.length) {
            return false;
        }
        for (int b : codes) {
            push(b);
        }
        return true;
    }

    private void command(int c) {
        pendingCommand = 0;
        switch (c) {
            case CMD_READ_CTR -> push(control);
            case CMD_WRITE_CTR, CMD_WRITE_OUTPUT_PORT -> pendingCommand = c;
            case CMD_SELF_TEST -> push(SELF_TEST_OK);
            case CMD_KBD_TEST -> push(0x00);
            case CMD_KBD_DISABLE -> control |= CTR_KBDDIS;
            case CMD_KBD_ENABLE -> control &= ~CTR_KBDDIS;
            case CMD_READ_OUTPUT_PORT -> push(outputPort);
            case CMD_RESET_CPU -> reset.run();
            default -> {
                // The aux port and the other commands: not there (the kernel is told i8042.noaux).
            }
        }
    }

    private void data(int v) {
        int c = pendingCommand;
        pendingCommand = 0;
        if (c == CMD_WRITE_CTR) {
            control = v;
        } else if (c == CMD_WRITE_OUTPUT_PORT) {
            outputPort = v;
            if ((v & 0x01) == 0) {
                reset.run(); // the reset line pulled low
            }
        } else {
            push(KBD_ACK); // a byte for the keyboard: it acknowledges every command
        }
    }

    private void push(int b) {
        if (count == BUFFER) {
            return; // full: a real controller drops it too
        }
        buffer[(head + count) % BUFFER] = b;
        count++;
        if (count == 1) {
            interrupt();
        }
    }

    private void interrupt() {
        if ((control & CTR_KBDINT) != 0 && (control & CTR_KBDDIS) == 0) {
            irq.trigger();
        }
    }
}
