package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Loads a Linux bzImage for the 64-bit boot protocol: checks that everything fits, then writes the kernel, initrd,
 * command line, zero page, MP table, page tables and GDT into guest memory and returns the boot vCPU's registers.
 * Every refusal is a {@link BootException} whose one-line message says what to change.
 */
public final class LinuxLoader {
    /** What was placed where, for logging, and the registers to start the boot vCPU with. */
    public record Loaded(BootCpuState cpu, BzImage image, ElfKernel elf, GuestRange kernel, GuestRange kernelRuntime,
                         GuestRange initrd, GuestRange cmdline, GuestRange mpTable, E820Map e820) {
        /** One line per placement, e.g. for --verbose. */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            if (elf != null) {
                sb.append(String.format("kernel %s: ELF vmlinux, segments at %s, entry 0x%x%n", elf.path(), kernel,
                        cpu.rip()));
            } else {
                sb.append(String.format("kernel %s: protocol %s%s%n", image.path(), image.protocolVersion(),
                    image.kernelVersion().isEmpty() ? "" : ", " + image.kernelVersion()));
            sb.append(String.format("  loaded at %s (%s), runs at %s (init_size %s), entry 0x%x%n", kernel,
                    Layout.size(kernel.size()), kernelRuntime, Layout.size(image.initSize()), cpu.rip()));
            }
            if (initrd != null) {
                sb.append(String.format("  initrd at %s (%s)%n", initrd, Layout.size(initrd.size())));
            }
            sb.append(String.format("  command line at %s, zero page at 0x%x, MP table at %s%n", cmdline,
                    cpu.rsi(), mpTable));
            return sb.toString();
        }
    }

    private LinuxLoader() {
    }

    /**
     * Loads kernel (a bzImage) and optionally initrd into memory, which must already hold the RAM ranges of
     * {@link Layout#ramRanges}(ramSize).
     *
     * @param initrd an initramfs/initrd file, or null for none
     * @param cpus   vCPUs to describe in the MP table (APIC IDs 0..cpus-1)
     */
    public static Loaded load(GuestMemory memory, Path kernel, Path initrd, String cmdline, int cpus, long ramSize) {
        for (GuestRange ram : Layout.ramRanges(ramSize)) {
            if (!memory.contains(ram.start(), ram.size())) {
                throw new IllegalArgumentException(String.format(
                        "guest memory does not hold RAM range %s of a %s guest: map Layout.ramRanges(ramSize)",
                        ram, Layout.size(ramSize)));
            }
        }
        Plan plan = plan(kernel, initrd, cmdline, cpus, ramSize);
        if (plan.elf() != null) {
            return loadElf(memory, plan, initrd, cpus, ramSize);
        }
        BzImage image = plan.image();
        byte[] cmdlineBytes = plan.cmdline();
        GuestRange runtime = plan.runtime();
        GuestRange initrdRange = plan.initrd();

        // Start from a clean first page: the BIOS data area must say "no EBDA" (0x40E = 0) to mpparse.
        memory.fill(0, Layout.PAGE_SIZE, (byte) 0);
        image.loadKernel(memory, Layout.KERNEL_ADDRESS);
        if (initrdRange != null) {
            loadInitrd(memory, initrd, initrdRange);
        }
        GuestRange cmdlineRange = new GuestRange(Layout.CMDLINE_ADDRESS, cmdlineBytes.length);
        memory.write(Layout.CMDLINE_ADDRESS, cmdlineBytes, 0, cmdlineBytes.length);

        E820Map e820 = E820Map.forRam(ramSize);
        BootParams params = new BootParams(image, Layout.KERNEL_ADDRESS)
                .commandLine(Layout.CMDLINE_ADDRESS)
                .e820(e820);
        if (initrdRange != null) {
            params.ramdisk(initrdRange);
        }
        params.writeTo(memory, Layout.ZERO_PAGE_ADDRESS);

        GuestRange mpTable = MpTable.write(memory, cpus);
        long cr3 = PageTables.write(memory);
        Gdt.write(memory);
        BootCpuState cpu = BootCpuState.longMode(Layout.KERNEL_ADDRESS + Layout.KERNEL_64BIT_ENTRY_OFFSET,
                Layout.ZERO_PAGE_ADDRESS, cr3);
        return new Loaded(cpu, image, null, new GuestRange(Layout.KERNEL_ADDRESS, image.kernelSize()), runtime,
                initrdRange, cmdlineRange, mpTable, e820);
    }

    /** The command line as the kernel reads it: bytes plus a terminating NUL, checked against cmdline_size. */
    /** What {@link #load} will place where, decided from the files alone. */
    public record Plan(BzImage image, ElfKernel elf, byte[] cmdline, GuestRange footprint, GuestRange runtime, GuestRange initrd) {
    }

    /**
     * Every check of {@link #load} that needs no guest memory: the kernel is a bzImage we can boot, the command line
     * fits, the vCPU count fits the MP table, kernel and initrd fit in ramSize. The VMM calls it before it opens
     * anything, so that bad input ends with one line and nothing half-started.
     */
    public static Plan plan(Path kernel, Path initrd, String cmdline, int cpus, long ramSize) {
        Layout.ramRanges(ramSize); // too small or not page-aligned
        MpTable.checkCpus(cpus);
        if (ElfKernel.isElf(kernel)) {
            return planElf(kernel, initrd, cmdline, ramSize);
        }
        BzImage image = BzImage.open(kernel);
        byte[] cmdlineBytes = commandLineBytes(image, cmdline);

        long lowEnd = Layout.lowRamEnd(ramSize);
        GuestRange footprint = image.footprint(Layout.KERNEL_ADDRESS);
        GuestRange runtime = new GuestRange(image.runtimeStart(Layout.KERNEL_ADDRESS), image.initSize());
        if (footprint.end() > lowEnd) {
            throw new BootException(String.format("guest memory %s is too small for kernel %s: it runs at 0x%x and "
                            + "needs init_size %s, so at least %s; raise --memory", Layout.size(ramSize), kernel,
                    runtime.start(), Layout.size(image.initSize()), Layout.size(roundUpMiB(footprint.end()))));
        }
        long initrdSize = initrd == null ? 0 : initrdSize(initrd);
        GuestRange initrdRange = initrd == null ? null : placeInitrd(image, initrd, initrdSize, footprint, ramSize);
        return new Plan(image, null, cmdlineBytes, footprint, runtime, initrdRange);
    }

    /** An ELF vmlinux runs where its segments are: above the boot structures, inside RAM below the 4 GiB hole. */
    private static Plan planElf(Path kernel, Path initrd, String cmdline, long ramSize) {
        ElfKernel elf = ElfKernel.open(kernel);
        byte[] cmdlineBytes = commandLineBytes(cmdline, Math.min(ElfKernel.CMDLINE_SIZE - 1,
                Layout.CMDLINE_AREA_SIZE - 1), kernel);
        GuestRange footprint = elf.footprint();
        long lowEnd = Layout.lowRamEnd(ramSize);
        if (footprint.start() < Layout.KERNEL_ADDRESS) {
            throw new BootException(String.format("kernel %s loads at 0x%x, below 1 MiB where the boot structures "
                    + "are: give a vmlinux linked at 1 MiB or above", kernel, footprint.start()));
        }
        if (footprint.end() > lowEnd) {
            throw new BootException(String.format("guest memory %s is too small for kernel %s: its segments end at "
                    + "0x%x, so it needs at least %s; raise --memory", Layout.size(ramSize), kernel, footprint.end(),
                    Layout.size(roundUpMiB(footprint.end()))));
        }
        GuestRange initrdRange = initrd == null ? null
                : placeInitrd(ElfKernel.INITRD_ADDR_MAX, initrd, initrdSize(initrd), footprint, ramSize);
        return new Plan(null, elf, cmdlineBytes, footprint, footprint, initrdRange);
    }

    private static Loaded loadElf(GuestMemory memory, Plan plan, Path initrd, int cpus, long ramSize) {
        ElfKernel elf = plan.elf();
        memory.fill(0, Layout.PAGE_SIZE, (byte) 0); // no EBDA, as for a bzImage
        elf.load(memory);
        if (plan.initrd() != null) {
            loadInitrd(memory, initrd, plan.initrd());
        }
        byte[] cmdlineBytes = plan.cmdline();
        memory.write(Layout.CMDLINE_ADDRESS, cmdlineBytes, 0, cmdlineBytes.length);
        E820Map e820 = E820Map.forRam(ramSize);
        BootParams params = BootParams.forElf().commandLine(Layout.CMDLINE_ADDRESS).e820(e820);
        if (plan.initrd() != null) {
            params.ramdisk(plan.initrd());
        }
        params.writeTo(memory, Layout.ZERO_PAGE_ADDRESS);
        GuestRange mpTable = MpTable.write(memory, cpus);
        long cr3 = PageTables.write(memory);
        Gdt.write(memory);
        BootCpuState cpu = BootCpuState.longMode(elf.entry(), Layout.ZERO_PAGE_ADDRESS, cr3);
        return new Loaded(cpu, null, elf, plan.footprint(), plan.footprint(), plan.initrd(),
                new GuestRange(Layout.CMDLINE_ADDRESS, cmdlineBytes.length), mpTable, e820);
    }

    static byte[] commandLineBytes(BzImage image, String cmdline) {
        return commandLineBytes(cmdline, Math.min(image.cmdlineSize(), Layout.CMDLINE_AREA_SIZE - 1), image.path());
    }

    static byte[] commandLineBytes(String cmdline, long max, Path kernel) {
        byte[] text = cmdline.getBytes(StandardCharsets.UTF_8);
        for (byte c : text) {
            if (c == 0) {
                throw new BootException("kernel command line contains a NUL character, which would end it early: remove it");
            }
        }
        if (text.length > max) {
            throw new BootException(String.format("kernel command line is %d bytes, but %s accepts at most %d "
                    + "(cmdline_size): shorten it", text.length, kernel.getFileName(), max));
        }
        byte[] withNul = new byte[text.length + 1];
        System.arraycopy(text, 0, withNul, 0, text.length);
        return withNul;
    }

    /**
     * The initrd goes as high as possible: page-aligned, ending at or below both the kernel's initrd_addr_max and
     * the end of RAM below 4 GiB, and above everything the kernel occupies before it reads the memory map.
     */
    static GuestRange placeInitrd(BzImage image, Path initrd, long size, GuestRange kernel, long ramSize) {
        return placeInitrd(image.initrdAddrMax(), initrd, size, kernel, ramSize);
    }

    static GuestRange placeInitrd(long initrdAddrMax, Path initrd, long size, GuestRange kernel, long ramSize) {
        long kernelLimit = initrdAddrMax + 1;
        long lowEnd = Layout.lowRamEnd(ramSize);
        long limit = Math.min(kernelLimit, lowEnd);
        long start = Layout.alignDown(limit - size, Layout.INITRD_ALIGNMENT);
        if (size <= limit && start >= kernel.end()) {
            return new GuestRange(start, size);
        }
        long needed = Layout.alignUp(kernel.end(), Layout.INITRD_ALIGNMENT) + size;
        if (kernelLimit <= lowEnd || needed > kernelLimit) {
            throw new BootException(String.format("initrd %s (%s) does not fit between the kernel's end at 0x%x and "
                            + "its initrd_addr_max 0x%x: use a smaller initrd", initrd, Layout.size(size), kernel.end(),
                    initrdAddrMax));
        }
        throw new BootException(String.format("guest memory %s is too small for the kernel (up to 0x%x) and initrd "
                        + "%s (%s): it needs at least %s; raise --memory", Layout.size(ramSize), kernel.end(),
                initrd, Layout.size(size), Layout.size(roundUpMiB(needed))));
    }

    private static long initrdSize(Path initrd) {
        try {
            long size = java.nio.file.Files.size(initrd);
            if (size == 0) {
                throw new BootException("initrd " + initrd + " is empty: give an initramfs (cpio) or drop --initrd");
            }
            return size;
        } catch (IOException e) {
            throw new BootException("cannot read initrd " + initrd + ": " + BzImage.describe(e), e);
        }
    }

    private static void loadInitrd(GuestMemory memory, Path initrd, GuestRange range) {
        try (FileChannel ch = FileChannel.open(initrd, StandardOpenOption.READ)) {
            BzImage.readFully(ch, 0, range.size(), memory, range.start(), initrd);
        } catch (IOException e) {
            throw new BootException("cannot read initrd " + initrd + ": " + BzImage.describe(e), e);
        }
    }

    private static long roundUpMiB(long bytes) {
        return Layout.alignUp(bytes, Layout.MiB);
    }
}
