package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The Intel MultiProcessor Specification 1.4 tables that tell the guest how many CPUs it has and how the IOAPIC is
 * wired: an MP floating pointer structure (4.1) followed by an MP configuration table (4.2) with processor, bus,
 * I/O APIC, I/O interrupt and local interrupt entries (4.3). Linux reads them in arch/x86/kernel/mpparse.c when
 * there is no ACPI, which is jkvm's case.
 */
public final class MpTable {
    // Entry types and sizes (MP spec table 4-3).
    public static final int PROCESSOR = 0;
    public static final int BUS = 1;
    public static final int IOAPIC = 2;
    public static final int IO_INTERRUPT = 3;
    public static final int LOCAL_INTERRUPT = 4;
    public static final int FLOATING_POINTER_SIZE = 16;
    public static final int HEADER_SIZE = 44;
    public static final int PROCESSOR_SIZE = 20;
    /** Bus, I/O APIC, I/O interrupt and local interrupt entries are all 8 bytes. */
    public static final int SMALL_ENTRY_SIZE = 8;

    public static final int SPEC_REVISION = 4;
    /** Interrupt types (MP spec table 4-11). */
    public static final int INT = 0;
    public static final int NMI = 1;
    public static final int EXTINT = 3;
    /**
     * I/O interrupt flags (table 4-10): PO = 01 (active high), EL = 01 (edge). What "conforms to bus" means for ISA, written
     * out so that pins 16..23, which no ISA bus has, say the same: virtio interrupts arrive through irqfd as edges.
     */
    public static final int FLAGS_EDGE_ACTIVE_HIGH = 0x0005;
    /** Destination local APIC ID 0xFF: every local APIC. */
    public static final int ALL_APICS = 0xff;

    public static final int CPU_ENABLED = 1;
    public static final int CPU_BOOTPROCESSOR = 1 << 1;
    public static final int IOAPIC_USABLE = 1;
    /** Local APIC version of KVM's in-kernel LAPIC (arch/x86/kvm/lapic.c APIC_VERSION), as Firecracker. */
    public static final int LAPIC_VERSION = 0x14;
    /** IOAPIC version register of KVM's in-kernel IOAPIC (arch/x86/kvm/ioapic.h IOAPIC_VERSION_ID). */
    public static final int IOAPIC_VERSION = 0x11;
    /** CPU signature family 6, and feature flags FPU | APIC (CPUID.1:EDX bits 0 and 9), as Firecracker writes. */
    public static final int CPU_SIGNATURE = 0x600;
    public static final int CPU_FEATURES = 0x201;
    public static final int ISA_BUS_ID = 0;

    /**
     * xAPIC IDs are 8 bits and 0xFF is the broadcast ID; the IOAPIC takes the ID after the last CPU, so 254 CPUs
     * (IDs 0..253, IOAPIC 254) is the most an MP table can describe.
     */
    public static final int MAX_CPUS = 254;

    private MpTable() {
    }

    /** Bytes of floating pointer plus configuration table for cpus vCPUs. */
    public static int size(int cpus) {
        return FLOATING_POINTER_SIZE + HEADER_SIZE + cpus * PROCESSOR_SIZE
                + SMALL_ENTRY_SIZE * (1 + 1 + Layout.IOAPIC_PINS + 2);
    }

    /** Entries in the configuration table: processors, the ISA bus, the IOAPIC, its pins, LINT0 and LINT1. */
    public static int entryCount(int cpus) {
        return cpus + 1 + 1 + Layout.IOAPIC_PINS + 2;
    }

    /** Refuses a vCPU count the table cannot describe. */
    public static void checkCpus(int cpus) {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new BootException("cannot boot " + cpus + " vCPUs: the MP table describes 1 to " + MAX_CPUS
                    + " (8-bit APIC IDs, one taken by the IOAPIC); use --cpus 1.." + MAX_CPUS);
        }
    }

    /** Writes the tables for cpus vCPUs at {@link Layout#MP_TABLE_ADDRESS}; returns the range they occupy. */
    public static GuestRange write(GuestMemory memory, int cpus) {
        return write(memory, Layout.MP_TABLE_ADDRESS, cpus);
    }

    static GuestRange write(GuestMemory memory, long address, int cpus) {
        checkCpus(cpus);
        if ((address & 15) != 0) {
            throw new IllegalArgumentException("the MP floating pointer must be 16-byte aligned (MP spec 4.1)");
        }
        int ioapicId = cpus;
        ByteBuffer b = ByteBuffer.allocate(size(cpus)).order(ByteOrder.LITTLE_ENDIAN);
        long tableAddress = address + FLOATING_POINTER_SIZE;

        // MP floating pointer structure (4.1): signature, physical address pointer, length in 16-byte units,
        // spec revision, checksum, feature bytes all 0 (a configuration table is present; virtual wire mode).
        b.put(ascii("_MP_"));
        b.putInt((int) tableAddress);
        b.put((byte) 1);
        b.put((byte) SPEC_REVISION);
        b.put((byte) 0);
        b.put(new byte[5]);
        b.put(10, checksum(b.array(), 0, FLOATING_POINTER_SIZE));

        // Configuration table header (4.2); length, entry count and checksum are filled in below.
        int table = b.position();
        b.put(ascii("PCMP"));
        b.putShort((short) 0);
        b.put((byte) SPEC_REVISION);
        b.put((byte) 0);
        b.put(padded("JKVM", 8));
        b.put(padded("JKVM MPTABLE", 12));
        b.putInt(0);                 // no OEM table
        b.putShort((short) 0);
        b.putShort((short) entryCount(cpus));
        b.putInt((int) Layout.LAPIC_ADDRESS);
        b.putShort((short) 0);       // no extended table
        b.put((byte) 0);
        b.put((byte) 0);

        for (int cpu = 0; cpu < cpus; cpu++) {
            b.put((byte) PROCESSOR);
            b.put((byte) cpu);       // APIC ID = vCPU index, as KVM assigns by default
            b.put((byte) LAPIC_VERSION);
            b.put((byte) (CPU_ENABLED | (cpu == 0 ? CPU_BOOTPROCESSOR : 0)));
            b.putInt(CPU_SIGNATURE);
            b.putInt(CPU_FEATURES);
            b.putLong(0);
        }

        b.put((byte) BUS);
        b.put((byte) ISA_BUS_ID);
        b.put(ascii("ISA   "));

        b.put((byte) IOAPIC);
        b.put((byte) ioapicId);
        b.put((byte) IOAPIC_VERSION);
        b.put((byte) IOAPIC_USABLE);
        b.putInt((int) Layout.IOAPIC_ADDRESS);

        // ISA IRQ n to IOAPIC pin n for every pin, as KVM's default GSI routing (kvm_setup_default_irq_routing).
        for (int irq = 0; irq < Layout.IOAPIC_PINS; irq++) {
            b.put((byte) IO_INTERRUPT);
            b.put((byte) INT);
            b.putShort((short) FLAGS_EDGE_ACTIVE_HIGH);
            b.put((byte) ISA_BUS_ID);
            b.put((byte) irq);
            b.put((byte) ioapicId);
            b.put((byte) irq);
        }

        // The 8259's ExtINT on LINT0 and NMI on LINT1 of every local APIC: as the MP spec's default
        // configurations (chapter 5) wire them and Linux's construct_default_ISA_mptable() does.
        localInterrupt(b, EXTINT, 0);
        localInterrupt(b, NMI, 1);

        int length = b.position() - table;
        b.putShort(table + 4, (short) length);
        b.put(table + 7, checksum(b.array(), table, length));

        if (!memory.contains(address, b.capacity())) {
            throw new BootException(String.format("guest memory does not cover the MP table at 0x%x+0x%x",
                    address, b.capacity()));
        }
        memory.write(address, b.array(), 0, b.capacity());
        return new GuestRange(address, b.capacity());
    }

    private static void localInterrupt(ByteBuffer b, int type, int lint) {
        b.put((byte) LOCAL_INTERRUPT);
        b.put((byte) type);
        b.putShort((short) 0);       // conforms to the bus
        b.put((byte) ISA_BUS_ID);
        b.put((byte) 0);
        b.put((byte) ALL_APICS);
        b.put((byte) lint);
    }

    /** The byte that makes the sum of bytes [from, from+length) zero mod 256, given that byte is 0 now. */
    static byte checksum(byte[] bytes, int from, int length) {
        int sum = 0;
        for (int i = from; i < from + length; i++) {
            sum += bytes[i];
        }
        return (byte) -sum;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** An ID string padded with spaces, as the spec's examples are. */
    private static byte[] padded(String s, int length) {
        byte[] out = new byte[length];
        java.util.Arrays.fill(out, (byte) ' ');
        byte[] src = ascii(s);
        System.arraycopy(src, 0, out, 0, Math.min(src.length, length));
        return out;
    }
}
