package io.jkvm.core.serial;

import io.jkvm.devices.bus.BusDevice;
import io.jkvm.devices.irq.IrqLine;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;

/**
 * A 16550A-compatible UART, as much of it as Linux's 8250 driver uses: transmit straight to an output stream,
 * receive from a bounded FIFO that the host's input thread fills, THR-empty and data-ready interrupts, the divisor
 * latch, scratch register and loopback mode (the driver's probe checks it). Register semantics follow the
 * National Semiconductor PC16550D data sheet; the shape follows rust-vmm's vm-superio.
 *
 * <p>Called from vCPU threads (port I/O exits) and from the input thread, hence synchronized.
 */
public final class Serial8250 implements BusDevice {
    // Register offsets from the base port.
    private static final int DATA = 0;        // RBR on read, THR on write; DLL with DLAB
    private static final int IER = 1;         // DLM with DLAB
    private static final int IIR_FCR = 2;
    private static final int LCR = 3;
    private static final int MCR = 4;
    private static final int LSR = 5;
    private static final int MSR = 6;
    private static final int SCR = 7;

    private static final int IER_RDA = 0x01;
    private static final int IER_THRE = 0x02;
    private static final int IER_MASK = 0x0f;

    private static final int IIR_NONE = 0x01;
    private static final int IIR_THRE = 0x02;
    private static final int IIR_RDA = 0x04;
    private static final int IIR_FIFO_ENABLED = 0xc0;

    private static final int LCR_DLAB = 0x80;

    private static final int LSR_DATA_READY = 0x01;
    private static final int LSR_THR_EMPTY = 0x20;
    private static final int LSR_IDLE = 0x40;

    private static final int MCR_DTR = 0x01;
    private static final int MCR_RTS = 0x02;
    private static final int MCR_OUT1 = 0x04;
    private static final int MCR_OUT2 = 0x08;
    private static final int MCR_LOOP = 0x10;

    private static final int MSR_CTS = 0x10;
    private static final int MSR_DSR = 0x20;
    private static final int MSR_RI = 0x40;
    private static final int MSR_DCD = 0x80;

    /** A 16550A has a 16-byte FIFO; we allow more so that pasted input is not lost while the guest is slow. */
    private static final int RX_CAPACITY = 4096;

    private final IrqLine irq;
    private final OutputStream out;
    private final ArrayDeque<Byte> rx = new ArrayDeque<>();

    private int ier;
    private int lcr = 0x03; // 8N1, as after reset
    private int mcr = MCR_OUT2;
    private int msr = MSR_DSR | MSR_CTS | MSR_DCD;
    private int scr;
    private int dll = 0x0c; // 9600 baud
    private int dlm;
    private boolean thrEmptyPending;
    private long bytesOut;
    private long bytesDropped;

    public Serial8250(IrqLine irq, OutputStream out) {
        this.irq = irq;
        this.out = out;
    }

    @Override
    public synchronized long read(long offset, int size) {
        switch ((int) offset) {
            case DATA:
                if ((lcr & LCR_DLAB) != 0) {
                    return dll;
                }
                Byte b = rx.poll();
                if (!rx.isEmpty()) {
                    raiseIf(IER_RDA);
                }
                return b == null ? 0 : b & 0xff;
            case IER:
                return (lcr & LCR_DLAB) != 0 ? dlm : ier;
            case IIR_FCR:
                return IIR_FIFO_ENABLED | interruptIdentification(true);
            case LCR:
                return lcr;
            case MCR:
                return mcr;
            case LSR:
                return LSR_THR_EMPTY | LSR_IDLE | (rx.isEmpty() ? 0 : LSR_DATA_READY);
            case MSR:
                return (mcr & MCR_LOOP) != 0 ? loopbackMsr() : msr;
            case SCR:
                return scr;
            default:
                return 0;
        }
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        int v = (int) (value & 0xff);
        switch ((int) offset) {
            case DATA:
                if ((lcr & LCR_DLAB) != 0) {
                    dll = v;
                } else if ((mcr & MCR_LOOP) != 0) {
                    // Loopback: what is sent comes back as received data (the driver's probe relies on it).
                    enqueue(v);
                } else {
                    transmit(v);
                }
                break;
            case IER:
                if ((lcr & LCR_DLAB) != 0) {
                    dlm = v;
                } else {
                    ier = v & IER_MASK;
                    // Enabling THRE with an empty THR raises the interrupt at once: the driver waits for it.
                    if ((ier & IER_THRE) != 0) {
                        thrEmptyPending = true;
                    }
                    raiseIf(IER_THRE | IER_RDA);
                }
                break;
            case IIR_FCR:
                if ((v & 0x02) != 0) {
                    rx.clear(); // FCR: clear receive FIFO
                }
                break;
            case LCR:
                lcr = v;
                break;
            case MCR:
                mcr = v & 0x1f;
                break;
            case SCR:
                scr = v;
                break;
            default:
                break; // LSR and MSR are read-only
        }
    }

    /**
     * Feeds host input to the guest. Returns false when the byte cannot be taken yet, and the caller offers it
     * again: while the FIFO is full (counted), and until the guest's driver has enabled the data-ready interrupt
     * outside loopback. Before that, bytes would be lost: the driver's probe runs in loopback, and its start-up
     * clears the FIFO; input piped into jkvm arrives long before the guest reads its console.
     */
    public synchronized boolean receive(byte b) {
        if ((mcr & MCR_LOOP) != 0 || (ier & IER_RDA) == 0) {
            return false;
        }
        return enqueue(b & 0xff);
    }

    public synchronized long bytesOut() {
        return bytesOut;
    }

    public synchronized long bytesDropped() {
        return bytesDropped;
    }

    private boolean enqueue(int v) {
        if (rx.size() >= RX_CAPACITY) {
            bytesDropped++;
            return false;
        }
        boolean wasEmpty = rx.isEmpty();
        rx.add((byte) v);
        if (wasEmpty) {
            raiseIf(IER_RDA);
        }
        return true;
    }

    private void transmit(int v) {
        try {
            out.write(v);
            out.flush();
        } catch (IOException e) {
            // The console went away (closed pipe): the guest must not notice or stall.
        }
        bytesOut++;
        thrEmptyPending = true;
        raiseIf(IER_THRE);
    }

    /** Reading IIR reports the highest-priority pending cause and, for THRE, acknowledges it (16550D, table 4). */
    private int interruptIdentification(boolean acknowledge) {
        if ((ier & IER_RDA) != 0 && !rx.isEmpty()) {
            return IIR_RDA;
        }
        if ((ier & IER_THRE) != 0 && thrEmptyPending) {
            if (acknowledge) {
                thrEmptyPending = false;
            }
            return IIR_THRE;
        }
        return IIR_NONE;
    }

    private void raiseIf(int causes) {
        boolean pending = ((causes & IER_RDA) != 0 && (ier & IER_RDA) != 0 && !rx.isEmpty())
                || ((causes & IER_THRE) != 0 && (ier & IER_THRE) != 0 && thrEmptyPending);
        // OUT2 gates the UART's interrupt output on PC hardware; Linux sets it before enabling interrupts.
        if (pending && (mcr & MCR_OUT2) != 0) {
            irq.trigger();
        }
    }

    private int loopbackMsr() {
        int m = 0;
        if ((mcr & MCR_RTS) != 0) m |= MSR_CTS;
        if ((mcr & MCR_DTR) != 0) m |= MSR_DSR;
        if ((mcr & MCR_OUT1) != 0) m |= MSR_RI;
        if ((mcr & MCR_OUT2) != 0) m |= MSR_DCD;
        return m;
    }
}
