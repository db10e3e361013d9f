package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * An uncompressed x86-64 Linux kernel as an ELF executable ({@code vmlinux}, the format Firecracker boots): its
 * PT_LOAD segments go to their physical addresses (p_paddr) and the vCPU enters at e_entry, which the kernel's
 * linker script makes the physical address of startup_64, the 64-bit entry. Field offsets are the ELF-64 object
 * file format's (System V gABI, "ELF Header" and "Program Header").
 */
public final class ElfKernel {
    static final int EI_CLASS = 4;
    static final int EI_DATA = 5;
    static final int ELFCLASS64 = 2;
    static final int ELFDATA2LSB = 1;
    static final int E_TYPE = 16;
    static final int E_MACHINE = 18;
    static final int E_ENTRY = 24;
    static final int E_PHOFF = 32;
    static final int E_PHENTSIZE = 54;
    static final int E_PHNUM = 56;
    static final int EHDR_SIZE = 64;
    static final int PHDR_SIZE = 56;
    static final int ET_EXEC = 2;
    static final int EM_X86_64 = 62;
    static final int PT_LOAD = 1;
    /** More program headers than any kernel has: a guard against a hostile count, not a limit of the format. */
    static final int MAX_PHNUM = 64;
    /** COMMAND_LINE_SIZE of x86 (arch/x86/include/asm/setup.h): an ELF kernel has no cmdline_size field. */
    public static final int CMDLINE_SIZE = 2048;
    /** initrd_addr_max of a 64-bit kernel's setup header; an ELF kernel has none to read. */
    public static final long INITRD_ADDR_MAX = 0x7fff_ffffL;

    /** One PT_LOAD segment: file bytes at offset, placed at paddr, zero-filled up to memSize. */
    public record Segment(long offset, long paddr, long fileSize, long memSize) {
    }

    private final Path path;
    private final long entry;
    private final List<Segment> segments;

    private ElfKernel(Path path, long entry, List<Segment> segments) {
        this.path = path;
        this.entry = entry;
        this.segments = List.copyOf(segments);
    }

    /** Whether the file starts with the ELF magic (0x7f 'E' 'L' 'F'). */
    public static boolean isElf(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4);
            ch.read(b, 0);
            return b.position() == 4 && b.get(0) == 0x7f && b.get(1) == 'E' && b.get(2) == 'L' && b.get(3) == 'F';
        } catch (IOException e) {
            return false; // BzImage.open says what is wrong with the file
        }
    }

    public static ElfKernel open(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer h = read(ch, 0, EHDR_SIZE, size, path);
            if (h.get(EI_CLASS) != ELFCLASS64 || h.get(EI_DATA) != ELFDATA2LSB) {
                throw bad(path, "not a 64-bit little-endian ELF file");
            }
            if (h.getShort(E_TYPE) != ET_EXEC || h.getShort(E_MACHINE) != EM_X86_64) {
                throw bad(path, String.format("not an x86-64 executable (e_type %d, e_machine %d)", h.getShort(E_TYPE),
                        h.getShort(E_MACHINE)));
            }
            int phnum = Short.toUnsignedInt(h.getShort(E_PHNUM));
            int phentsize = Short.toUnsignedInt(h.getShort(E_PHENTSIZE));
            long phoff = h.getLong(E_PHOFF);
            if (phnum == 0 || phnum > MAX_PHNUM || phentsize < PHDR_SIZE) {
                throw bad(path, "program header table of " + phnum + " entries of " + phentsize + " bytes");
            }
            List<Segment> segments = new ArrayList<>();
            for (int i = 0; i < phnum; i++) {
                ByteBuffer p = read(ch, phoff + (long) i * phentsize, PHDR_SIZE, size, path);
                if (p.getInt(0) != PT_LOAD || p.getLong(40) == 0) {
                    continue;
                }
                Segment s = new Segment(p.getLong(8), p.getLong(24), p.getLong(32), p.getLong(40));
                if (s.fileSize() < 0 || s.memSize() < s.fileSize() || s.offset() < 0
                        || s.offset() > size - s.fileSize() || s.paddr() < 0 || s.paddr() > Long.MAX_VALUE - s.memSize()) {
                    throw bad(path, String.format("segment %d (offset 0x%x, paddr 0x%x, filesz 0x%x, memsz 0x%x) does "
                            + "not fit the file or the address space", i, s.offset(), s.paddr(), s.fileSize(),
                            s.memSize()));
                }
                segments.add(s);
            }
            if (segments.isEmpty()) {
                throw bad(path, "no PT_LOAD segment");
            }
            ElfKernel k = new ElfKernel(path, h.getLong(E_ENTRY), segments);
            GuestRange f = k.footprint();
            if (k.entry < f.start() || k.entry >= f.end()) {
                throw bad(path, String.format("entry 0x%x is outside its segments %s", k.entry, f));
            }
            return k;
        } catch (IOException e) {
            throw new BootException("cannot read kernel " + path + ": " + BzImage.describe(e), e);
        }
    }

    private static ByteBuffer read(FileChannel ch, long at, int len, long size, Path path) throws IOException {
        if (at < 0 || at > size - len) {
            throw bad(path, "truncated (" + size + " bytes)");
        }
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw bad(path, "truncated");
            }
        }
        return b;
    }

    private static BootException bad(Path path, String why) {
        return new BootException("kernel " + path + " is an ELF file but not an x86-64 vmlinux jkvm can boot: " + why
                + "; give a vmlinux or a bzImage");
    }

    public Path path() {
        return path;
    }

    /** The 64-bit entry point, a physical address. */
    public long entry() {
        return entry;
    }

    public List<Segment> segments() {
        return segments;
    }

    /** From the lowest segment's start to the highest one's end, bss included. */
    public GuestRange footprint() {
        long start = Long.MAX_VALUE;
        long end = 0;
        for (Segment s : segments) {
            start = Math.min(start, s.paddr());
            end = Math.max(end, s.paddr() + s.memSize());
        }
        return new GuestRange(start, end - start);
    }

    /** Copies each segment to its physical address and zeroes the rest of its memory size (the bss). */
    public void load(GuestMemory memory) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            for (Segment s : segments) {
                if (!memory.contains(s.paddr(), s.memSize())) {
                    throw new BootException(String.format("kernel %s: segment at 0x%x (%s) is outside guest RAM: "
                            + "raise --memory", path, s.paddr(), Layout.size(s.memSize())));
                }
                BzImage.readFully(ch, s.offset(), s.fileSize(), memory, s.paddr(), path);
                long zero = s.memSize() - s.fileSize();
                if (zero > 0) {
                    memory.fill(s.paddr() + s.fileSize(), zero, (byte) 0);
                }
            }
        } catch (IOException e) {
            throw new BootException("cannot read kernel " + path + ": " + BzImage.describe(e), e);
        }
    }
}
