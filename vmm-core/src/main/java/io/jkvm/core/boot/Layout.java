package io.jkvm.core.boot;

import java.util.ArrayList;
import java.util.List;

/**
 * Where everything lives in the guest's physical address space. One place, so that the e820 map, the MP table,
 * the KVM memory slots and the virtio-mmio devices cannot disagree.
 *
 * <pre>
 * 0x0000_0000  IVT + BIOS data area (left zero: BDA 0x40E = 0 tells mpparse there is no EBDA to scan)
 * 0x0000_0500  GDT, then IDT
 * 0x0000_7000  zero page (struct boot_params)
 * 0x0000_8000  boot stack (one page, rsp at its top)
 * 0x0000_9000  PML4, PDPT, 4 x PD: identity map of the first 4 GiB
 * 0x0002_0000  kernel command line
 * 0x0009_FC00  e820 reserved up to 1 MiB: EBDA, VGA hole, BIOS area
 * 0x000F_0000  MP floating pointer + MP configuration table
 * 0x0010_0000  bzImage protected-mode kernel (decompresses itself to pref_address, 16 MiB by default)
 *    ...       initrd, as high as the kernel and the RAM allow
 * 0xC000_0000  32-bit MMIO hole: virtio-mmio windows from 0xD000_0000, IOAPIC, LAPIC, KVM's TSS pages
 * 0x1_0000_0000 RAM above 3 GiB continues here
 * </pre>
 *
 * Low-memory addresses follow Firecracker's (arch/x86_64/layout.rs, regs.rs) where there is no reason to differ.
 */
public final class Layout {
    private Layout() {
    }

    public static final long KiB = 1L << 10;
    public static final long MiB = 1L << 20;
    public static final long GiB = 1L << 30;
    public static final long PAGE_SIZE = 4 * KiB;

    /** GDT right after the real-mode IVT (0x000-0x3FF) and BIOS data area (0x400-0x4FF), which stay zero. */
    public static final long GDT_ADDRESS = 0x500;
    /** The IDT after the GDT's 6 slots: an empty table, so any early exception shuts the guest down visibly. */
    public static final long IDT_ADDRESS = 0x540;

    /** struct boot_params, 4 KiB; rsi points here at the 64-bit entry (boot.rst "64-bit Boot Protocol"). */
    public static final long ZERO_PAGE_ADDRESS = 0x7000;

    /**
     * The boot stack page [0x8000, 0x9000). The decompressor switches to its own stack in its first instructions
     * (arch/x86/boot/compressed/head_64.S), so this only has to be valid memory; 16 bytes below the top keeps it
     * 16-byte aligned as the ABI expects.
     */
    public static final long BOOT_STACK_POINTER = 0x8ff0;

    /** PML4, then PDPT, then one page directory per identity-mapped GiB. */
    public static final long PML4_ADDRESS = 0x9000;
    public static final long PDPT_ADDRESS = 0xa000;
    public static final long PD_ADDRESS = 0xb000;

    /**
     * How much the boot page tables identity-map: the first 4 GiB with 2 MiB pages, which costs 4 page directories
     * (16 KiB). boot.rst requires the zero page, the command line and [kernel, kernel + init_size) to be mapped;
     * 1 GiB (Firecracker's choice) covers those, but 4 GiB also covers an initrd high below 3 GiB and the MMIO hole,
     * so nothing the decompressor touches before it builds its own tables can fault.
     */
    public static final long IDENTITY_MAP_SIZE = 4 * GiB;
    /** 2 MiB pages (PDE.PS): always available in long mode, so no 4 KiB page tables are needed. */
    public static final long IDENTITY_PAGE_SIZE = 2 * MiB;

    /** Kernel command line, as Firecracker and kvmtool place it; the area ends before the EBDA. */
    public static final long CMDLINE_ADDRESS = 0x20000;
    public static final long CMDLINE_AREA_SIZE = 0x10000;

    /**
     * The Extended BIOS Data Area would start here: the last KiB of 640 KiB base memory, which mpparse scans
     * (639 * 0x400). From here to 1 MiB the e820 map says reserved (EBDA, VGA hole, option ROMs, BIOS).
     */
    public static final long EBDA_ADDRESS = 0x9fc00;
    /** End of the real-mode address space; RAM above it is "high memory" in boot.rst terms. */
    public static final long HIGH_MEMORY = MiB;

    /**
     * MP floating pointer, followed by the configuration table. mpparse scans [0, 1 KiB), [0x9FC00, +1 KiB) and
     * [0xF0000, 0x100000) (arch/x86/kernel/mpparse.c default_find_smp_config). The 64 KiB BIOS area holds the table
     * for the most vCPUs an MP table can describe (254: about 5.3 KiB), where the last KiB of base memory would hold
     * only 37.
     */
    public static final long MP_TABLE_ADDRESS = 0xf0000;
    public static final long MP_TABLE_AREA_SIZE = HIGH_MEMORY - MP_TABLE_ADDRESS;

    /**
     * Where the bzImage's protected-mode kernel is loaded: 1 MiB, the traditional bzImage address (code32_start's
     * default) used by kvmtool and Firecracker. A relocatable kernel moves itself to pref_address before
     * decompressing, a non-relocatable one decompresses to pref_address anyway.
     */
    public static final long KERNEL_ADDRESS = HIGH_MEMORY;
    /** The 64-bit entry point is 0x200 past the start of the loaded protected-mode kernel (boot.rst). */
    public static final long KERNEL_64BIT_ENTRY_OFFSET = 0x200;

    /** The initrd starts on a page boundary. */
    public static final long INITRD_ALIGNMENT = PAGE_SIZE;

    /**
     * The 32-bit MMIO hole [3 GiB, 4 GiB): 32-bit device addresses (IOAPIC, LAPIC, virtio-mmio) must lie below
     * 4 GiB, so RAM stops at 3 GiB and the rest continues at 4 GiB.
     */
    public static final long MMIO_HOLE_START = 3 * GiB;
    public static final long MMIO_HOLE_END = 4 * GiB;
    /** Where RAM beyond the first 3 GiB is mapped. */
    public static final long HIGH_RAM_START = MMIO_HOLE_END;

    /** virtio-mmio device windows: window i at VIRTIO_MMIO_BASE + i * 4 KiB (virtio 1.x 4.2.2 registers fit in 0x200). */
    public static final long VIRTIO_MMIO_BASE = 0xd000_0000L;
    public static final long VIRTIO_MMIO_SIZE = PAGE_SIZE;
    /**
     * IOAPIC pins for devices: 5..23, as Firecracker (layout.rs IRQ_BASE, IRQ_MAX). 0-4 are the PIT, keyboard,
     * cascade and the two serial ports; KVM's IOAPIC has 24 pins. One pin per virtio device.
     */
    public static final int VIRTIO_IRQ_FIRST = 5;
    public static final int VIRTIO_IRQ_LAST = 23;
    public static final int MAX_VIRTIO_DEVICES = VIRTIO_IRQ_LAST - VIRTIO_IRQ_FIRST + 1;

    /** IOAPIC and local APIC default bases (Linux arch/x86/include/asm/apicdef.h; MP spec 1.4 3.6.1). */
    public static final long IOAPIC_ADDRESS = 0xfec0_0000L;
    public static final long LAPIC_ADDRESS = 0xfee0_0000L;
    /** IOAPIC pins, as KVM's in-kernel IOAPIC (KVM_IOAPIC_NUM_PINS). */
    public static final int IOAPIC_PINS = 24;

    /**
     * KVM_SET_TSS_ADDR wants three pages of guest physical space that no RAM or device uses (Intel VMX needs them
     * for real-mode emulation). Firecracker's address: in the hole, above the LAPIC.
     */
    public static final long KVM_TSS_ADDRESS = 0xfffb_d000L;
    /** KVM_SET_IDENTITY_MAP_ADDR: one page, just below the TSS pages (Intel VMX without unrestricted guest). */
    public static final long KVM_IDENTITY_MAP_ADDRESS = 0xfffb_c000L;

    /** Guest-physical window of virtio-mmio device {@code index} (0-based). */
    public static GuestRange virtioMmioWindow(int index) {
        if (index < 0 || index >= MAX_VIRTIO_DEVICES) {
            throw new IllegalArgumentException("virtio-mmio device index " + index + " outside 0.." + (MAX_VIRTIO_DEVICES - 1));
        }
        return new GuestRange(VIRTIO_MMIO_BASE + index * VIRTIO_MMIO_SIZE, VIRTIO_MMIO_SIZE);
    }

    /** IOAPIC pin of virtio-mmio device {@code index}. */
    public static int virtioIrq(int index) {
        virtioMmioWindow(index);
        return VIRTIO_IRQ_FIRST + index;
    }

    /**
     * The RAM ranges for {@code ramSize} bytes: [0, min(ram, 3 GiB)) and, for more than 3 GiB, the remainder from
     * 4 GiB. These are the KVM memory slots and the GuestMemory regions; the e820 map is derived from them.
     */
    public static List<GuestRange> ramRanges(long ramSize) {
        if (ramSize < minimumRamSize()) {
            throw new BootException(String.format(
                    "guest memory %s is too small: the boot layout alone needs %s; raise --memory",
                    size(ramSize), size(minimumRamSize())));
        }
        if (ramSize % PAGE_SIZE != 0) {
            throw new BootException("guest memory " + ramSize + " bytes is not a multiple of 4 KiB: use a size in K, M or G");
        }
        List<GuestRange> ranges = new ArrayList<>(2);
        ranges.add(new GuestRange(0, Math.min(ramSize, MMIO_HOLE_START)));
        if (ramSize > MMIO_HOLE_START) {
            ranges.add(new GuestRange(HIGH_RAM_START, ramSize - MMIO_HOLE_START));
        }
        return ranges;
    }

    /** End of RAM below 4 GiB: where everything a 32-bit field points at (initrd, command line) must end. */
    public static long lowRamEnd(long ramSize) {
        return Math.min(ramSize, MMIO_HOLE_START);
    }

    /** Low memory plus a first byte of high memory: below this nothing fits, not even the kernel's first byte. */
    public static long minimumRamSize() {
        return HIGH_MEMORY + 2 * MiB;
    }

    /** A byte count for messages: "256 MiB", "1.5 GiB", "4000 bytes". */
    static String size(long bytes) {
        if (bytes >= GiB && bytes % (GiB / 2) == 0) {
            return bytes % GiB == 0 ? bytes / GiB + " GiB" : String.format("%.1f GiB", bytes / (double) GiB);
        }
        if (bytes >= MiB) {
            return (bytes + MiB - 1) / MiB + " MiB";
        }
        if (bytes >= KiB) {
            return (bytes + KiB - 1) / KiB + " KiB";
        }
        return bytes + " bytes";
    }

    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    static long alignDown(long value, long alignment) {
        return value & -alignment;
    }
}
