package io.jkvm.core.kvm;

import com.sun.jna.Pointer;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The vCPU's mmapped struct kvm_run, read in place after every KVM_RUN: exit reason, then the union member for
 * that exit at its fixed offset. Nothing here allocates; the vCPU loop calls these millions of times.
 *
 * <p>The mapping also holds the data page of port I/O exits ({@code io.data_offset} points into it). A KvmRun is
 * valid until its {@link VcpuFd} is closed.
 */
public final class KvmRun {
    public static final int REQUEST_INTERRUPT_WINDOW = 0;
    public static final int IMMEDIATE_EXIT = 1;
    public static final int EXIT_REASON = 8;
    public static final int READY_FOR_INTERRUPT_INJECTION = 12;
    public static final int IF_FLAG = 13;
    public static final int FLAGS = 14;
    public static final int CR8 = 16;
    public static final int APIC_BASE = 24;
    /** The exit union; every member below starts here. */
    public static final int EXIT_UNION = 32;

    /** hw (KVM_EXIT_UNKNOWN). */
    public static final int HW_HARDWARE_EXIT_REASON = 32;
    /** fail_entry (KVM_EXIT_FAIL_ENTRY). */
    public static final int FAIL_ENTRY_HARDWARE_ENTRY_FAILURE_REASON = 32;
    public static final int FAIL_ENTRY_CPU = 40;
    /** ex (KVM_EXIT_EXCEPTION). */
    public static final int EX_EXCEPTION = 32;
    public static final int EX_ERROR_CODE = 36;
    /** io (KVM_EXIT_IO). */
    public static final int IO_DIRECTION = 32;
    public static final int IO_SIZE = 33;
    public static final int IO_PORT = 34;
    public static final int IO_COUNT = 36;
    public static final int IO_DATA_OFFSET = 40;
    /** mmio (KVM_EXIT_MMIO). */
    public static final int MMIO_PHYS_ADDR = 32;
    public static final int MMIO_DATA = 40;
    public static final int MMIO_LEN = 48;
    public static final int MMIO_IS_WRITE = 52;
    /** internal (KVM_EXIT_INTERNAL_ERROR). */
    public static final int INTERNAL_SUBERROR = 32;
    public static final int INTERNAL_NDATA = 36;
    public static final int INTERNAL_DATA = 40;
    /** system_event (KVM_EXIT_SYSTEM_EVENT). */
    public static final int SYSTEM_EVENT_TYPE = 32;
    public static final int SYSTEM_EVENT_NDATA = 36;
    public static final int SYSTEM_EVENT_DATA = 40;
    /** sizeof(struct kvm_run) on x86-64, sync regs included; the mapping is larger (KVM_GET_VCPU_MMAP_SIZE). */
    public static final int SIZE = 2352;

    private final Pointer address;
    private final ByteBuffer run;

    KvmRun(Pointer address, int mmapSize) {
        this.address = address;
        this.run = address.getByteBuffer(0, mmapSize).order(ByteOrder.nativeOrder());
    }

    Pointer address() {
        return address;
    }

    public int exitReason() {
        return run.getInt(EXIT_REASON);
    }

    /** Ask KVM to exit as soon as the guest can take an interrupt (for a userspace PIC; unused with irqchip). */
    public void requestInterruptWindow(boolean on) {
        run.put(REQUEST_INTERRUPT_WINDOW, (byte) (on ? 1 : 0));
    }

    public boolean readyForInterruptInjection() {
        return run.get(READY_FOR_INTERRUPT_INJECTION) != 0;
    }

    public boolean ifFlag() {
        return run.get(IF_FLAG) != 0;
    }

    /**
     * Make the next (or current, once a signal kicks it) KVM_RUN return EINTR without entering the guest
     * (KVM_CAP_IMMEDIATE_EXIT). Safe from any thread; the fence orders it before a following signal.
     */
    public void immediateExit(boolean on) {
        run.put(IMMEDIATE_EXIT, (byte) (on ? 1 : 0));
        VarHandle.fullFence();
    }

    public boolean immediateExit() {
        return run.get(IMMEDIATE_EXIT) != 0;
    }

    // KVM_EXIT_IO

    /** {@link KvmExit#IO_IN} or {@link KvmExit#IO_OUT}. */
    public int ioDirection() {
        return run.get(IO_DIRECTION);
    }

    /** Bytes per access: 1, 2 or 4. */
    public int ioSize() {
        return run.get(IO_SIZE);
    }

    public int ioPort() {
        return run.getShort(IO_PORT) & 0xffff;
    }

    /** Accesses in this exit: more than 1 for a rep ins/outs. */
    public int ioCount() {
        return run.getInt(IO_COUNT);
    }

    /** Where the data of this exit sits in the mapping. */
    public int ioDataOffset() {
        return (int) run.getLong(IO_DATA_OFFSET);
    }

    /** The value of the first (usually only) access: what the guest wrote, zero-extended. */
    public long ioData() {
        return ioData(0);
    }

    /** The value of access i (0 ≤ i < {@link #ioCount()}). */
    public long ioData(int i) {
        int size = ioSize();
        return load(ioDataOffset() + i * size, size);
    }

    /** Sets what the guest's in instruction reads (the low {@link #ioSize()} bytes). */
    public void setIoData(long value) {
        setIoData(0, value);
    }

    public void setIoData(int i, long value) {
        int size = ioSize();
        store(ioDataOffset() + i * size, size, value);
    }

    // KVM_EXIT_MMIO

    public long mmioPhysAddr() {
        return run.getLong(MMIO_PHYS_ADDR);
    }

    /**
     * 1 to 8: any of them, not only the natural sizes. KVM hands an access that crosses a page to userspace in one
     * exit per page (arch/x86/kvm/x86.c, emulator_read_write), so a 4-byte store at 0x...ffd arrives as a
     * 3-byte and a 1-byte exit, and an 8-byte one in pieces of 1 to 7 bytes.
     */
    public int mmioLen() {
        return run.getInt(MMIO_LEN);
    }

    public boolean mmioIsWrite() {
        return run.get(MMIO_IS_WRITE) != 0;
    }

    /** What the guest wrote, the low {@link #mmioLen()} bytes, zero-extended. */
    public long mmioData() {
        return load(MMIO_DATA, mmioLen());
    }

    /** Sets what the guest's read returns. */
    public void setMmioData(long value) {
        store(MMIO_DATA, mmioLen(), value);
    }

    // KVM_EXIT_FAIL_ENTRY, KVM_EXIT_UNKNOWN, KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_SYSTEM_EVENT

    public long failEntryHardwareEntryFailureReason() {
        return run.getLong(FAIL_ENTRY_HARDWARE_ENTRY_FAILURE_REASON);
    }

    public int failEntryCpu() {
        return run.getInt(FAIL_ENTRY_CPU);
    }

    public long hardwareExitReason() {
        return run.getLong(HW_HARDWARE_EXIT_REASON);
    }

    public int internalSuberror() {
        return run.getInt(INTERNAL_SUBERROR);
    }

    public int internalNdata() {
        return run.getInt(INTERNAL_NDATA);
    }

    /** internal.data[i], i < 16. */
    public long internalData(int i) {
        return run.getLong(INTERNAL_DATA + 8 * Objects.checkIndex(i, 16));
    }

    public int systemEventType() {
        return run.getInt(SYSTEM_EVENT_TYPE);
    }

    public int systemEventNdata() {
        return run.getInt(SYSTEM_EVENT_NDATA);
    }

    /** system_event.data[i] (data[0] is the older flags field), i < 16. */
    public long systemEventData(int i) {
        return run.getLong(SYSTEM_EVENT_DATA + 8 * Objects.checkIndex(i, 16));
    }

    /** The whole mapping, native order, for what has no accessor (e.g. rep ins/outs buffers). */
    public ByteBuffer buffer() {
        return run;
    }

    /** A one-line description of the current exit, for errors and logs (allocates: not for the hot path). */
    public String describe() {
        int reason = exitReason();
        switch (reason) {
            case KvmExit.IO:
                return String.format("%s %s port 0x%x size %d count %d data 0x%x", KvmExit.name(reason),
                        ioDirection() == KvmExit.IO_OUT ? "out" : "in", ioPort(), ioSize(), ioCount(), ioData());
            case KvmExit.MMIO:
                return String.format("%s %s 0x%x len %d data 0x%x", KvmExit.name(reason),
                        mmioIsWrite() ? "write" : "read", mmioPhysAddr(), mmioLen(), mmioData());
            case KvmExit.FAIL_ENTRY:
                return String.format("%s hardware_entry_failure_reason 0x%x cpu %d", KvmExit.name(reason),
                        failEntryHardwareEntryFailureReason(), failEntryCpu());
            case KvmExit.INTERNAL_ERROR:
                return String.format("%s suberror %d ndata %d", KvmExit.name(reason), internalSuberror(),
                        internalNdata());
            case KvmExit.SYSTEM_EVENT:
                return String.format("%s type %d", KvmExit.name(reason), systemEventType());
            case KvmExit.UNKNOWN:
                return String.format("%s hardware_exit_reason 0x%x", KvmExit.name(reason), hardwareExitReason());
            default:
                return KvmExit.name(reason);
        }
    }

    /** The little-endian value of the size bytes at offset (1 to 8), zero-extended. */
    private long load(int offset, int size) {
        switch (size) {
            case 1: return run.get(offset) & 0xffL;
            case 2: return run.getShort(offset) & 0xffffL;
            case 4: return run.getInt(offset) & 0xffffffffL;
            case 8: return run.getLong(offset);
            default:
                checkSize(size);
                long v = 0;
                for (int i = size - 1; i >= 0; i--) {
                    v = v << 8 | run.get(offset + i) & 0xffL;
                }
                return v;
        }
    }

    /** Writes the low size bytes of value at offset (1 to 8), little-endian; the bytes after them stay. */
    private void store(int offset, int size, long value) {
        switch (size) {
            case 1: run.put(offset, (byte) value); break;
            case 2: run.putShort(offset, (short) value); break;
            case 4: run.putInt(offset, (int) value); break;
            case 8: run.putLong(offset, value); break;
            default:
                checkSize(size);
                for (int i = 0; i < size; i++) {
                    run.put(offset + i, (byte) (value >>> 8 * i));
                }
                break;
        }
    }

    /** mmio.data is 8 bytes (linux/kvm.h): a length beyond it is not an exit KVM makes. */
    private static void checkSize(int size) {
        if (size < 1 || size > 8) {
            throw new IllegalStateException("kvm_run access size " + size + " (KVM gives 1 to 8)");
        }
    }
}
