package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A Linux x86 bzImage: the real-mode setup sectors with the setup header, followed by the protected-mode kernel.
 * Parsing follows Documentation/arch/x86/boot.rst ("The Real-Mode Kernel Header"); field offsets are from the start
 * of the file, which are also their offsets in struct boot_params.
 *
 * <p>Only the setup sectors are read here; the protected-mode kernel is streamed into guest memory by
 * {@link #loadKernel}.
 */
public final class BzImage {
    // Setup header fields (boot.rst; struct setup_header in arch/x86/include/uapi/asm/bootparam.h).
    static final int SETUP_SECTS = 0x1f1;
    static final int BOOT_FLAG = 0x1fe;
    static final int JUMP = 0x200;
    static final int HEADER = 0x202;
    static final int VERSION = 0x206;
    static final int KERNEL_VERSION = 0x20e;
    static final int LOADFLAGS = 0x211;
    static final int CODE32_START = 0x214;
    static final int INITRD_ADDR_MAX = 0x22c;
    static final int KERNEL_ALIGNMENT = 0x230;
    static final int RELOCATABLE_KERNEL = 0x234;
    static final int XLOADFLAGS = 0x236;
    static final int CMDLINE_SIZE = 0x238;
    static final int PREF_ADDRESS = 0x258;
    static final int INIT_SIZE = 0x260;

    /** The setup header starts at 0x1f1 and, per boot.rst, ends at 0x202 + the byte at 0x201. */
    static final int SETUP_HEADER_START = SETUP_SECTS;
    /** Room for the setup header in struct boot_params: it must end before edd_mbr_sig_buffer at 0x290. */
    static final int SETUP_HEADER_MAX_END = 0x290;
    /** The last setup-header field this loader reads, init_size, ends here; every 2.12 header reaches it. */
    static final int SETUP_HEADER_MIN_END = INIT_SIZE + 4;

    static final int BOOT_FLAG_MAGIC = 0xaa55;
    /** "HdrS" read as a little-endian u32. */
    static final int HEADER_MAGIC = 0x53726448;
    /** 2.12 introduced xloadflags and with it XLF_KERNEL_64, the flag that promises the 64-bit entry point. */
    public static final int MIN_PROTOCOL = 0x020c;

    public static final int LOADED_HIGH = 1;
    public static final int XLF_KERNEL_64 = 1;
    public static final int XLF_CAN_BE_LOADED_ABOVE_4G = 1 << 1;

    private static final int SECTOR = 512;
    /** setup_sects = 0 means 4 for compatibility with very old kernels (boot.rst). */
    private static final int DEFAULT_SETUP_SECTS = 4;

    private final Path path;
    private final byte[] setupHeader;
    private final int protocol;
    private final int setupSects;
    private final long kernelOffset;
    private final long kernelSize;
    private final String kernelVersion;

    private BzImage(Path path, byte[] setupHeader, int protocol, int setupSects, long kernelOffset, long kernelSize,
                    String kernelVersion) {
        this.path = path;
        this.setupHeader = setupHeader;
        this.protocol = protocol;
        this.setupSects = setupSects;
        this.kernelOffset = kernelOffset;
        this.kernelSize = kernelSize;
        this.kernelVersion = kernelVersion;
    }

    /** Reads and checks the setup header of the bzImage at path. */
    public static BzImage open(Path path) {
        long fileSize;
        byte[] setup;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            fileSize = ch.size();
            if (fileSize < 2 * SECTOR) {
                throw notBzImage(path, "file is " + fileSize + " bytes, too short for a boot sector and setup header");
            }
            // At most 255 setup sectors plus the boot sector follow; read what the file has of them.
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(fileSize, 256L * SECTOR));
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // keep reading: a FileChannel may return short counts
            }
            setup = Arrays.copyOf(buf.array(), buf.position());
        } catch (IOException e) {
            throw new BootException("cannot read kernel " + path + ": " + describe(e), e);
        }
        return parse(path, setup, fileSize);
    }

    static BzImage parse(Path path, byte[] setup, long fileSize) {
        ByteBuffer b = ByteBuffer.wrap(setup).order(ByteOrder.LITTLE_ENDIAN);
        if ((b.getShort(BOOT_FLAG) & 0xffff) != BOOT_FLAG_MAGIC) {
            throw notBzImage(path, String.format("no boot sector signature 0xAA55 at 0x1fe (found 0x%04x)",
                    b.getShort(BOOT_FLAG) & 0xffff));
        }
        if (b.getInt(HEADER) != HEADER_MAGIC) {
            throw notBzImage(path, "no HdrS signature at 0x202 (a pre-2.00 kernel or not a kernel at all)");
        }
        int protocol = b.getShort(VERSION) & 0xffff;
        if (protocol < MIN_PROTOCOL) {
            throw new BootException(String.format("%s: boot protocol %s is too old: jkvm needs 2.12 or newer for the "
                    + "64-bit entry point (Linux 3.8+); use a newer kernel", path, protocolString(protocol)));
        }
        int headerEnd = 0x202 + (setup[JUMP + 1] & 0xff);
        if (headerEnd < SETUP_HEADER_MIN_END || headerEnd > SETUP_HEADER_MAX_END) {
            throw notBzImage(path, String.format("setup header ends at 0x%x, expected 0x%x..0x%x for protocol %s",
                    headerEnd, SETUP_HEADER_MIN_END, SETUP_HEADER_MAX_END, protocolString(protocol)));
        }
        if ((b.get(LOADFLAGS) & LOADED_HIGH) == 0) {
            throw notBzImage(path, "LOADED_HIGH is clear: this is a zImage, which loads at 0x10000; build a bzImage");
        }
        int xloadflags = b.getShort(XLOADFLAGS) & 0xffff;
        if ((xloadflags & XLF_KERNEL_64) == 0) {
            throw new BootException(path + ": kernel has no 64-bit entry point (XLF_KERNEL_64 clear in xloadflags): "
                    + "use an x86_64 kernel");
        }
        int sects = setup[SETUP_SECTS] & 0xff;
        if (sects == 0) {
            sects = DEFAULT_SETUP_SECTS;
        }
        long kernelOffset = (sects + 1L) * SECTOR;
        if (kernelOffset >= fileSize) {
            throw notBzImage(path, String.format("file is %d bytes but setup_sects=%d puts the kernel at %d",
                    fileSize, sects, kernelOffset));
        }
        if (b.get(RELOCATABLE_KERNEL) != 0) {
            long align = b.getInt(KERNEL_ALIGNMENT) & 0xffffffffL;
            if (align == 0 || Long.bitCount(align) != 1) {
                throw notBzImage(path, String.format("kernel_alignment 0x%x is not a power of two", align));
            }
        }
        return new BzImage(path, Arrays.copyOfRange(setup, SETUP_HEADER_START, headerEnd), protocol, sects,
                kernelOffset, fileSize - kernelOffset, readVersionString(setup));
    }

    /** kernel_version points (minus 0x200) at a NUL-terminated string in the setup code, e.g. "6.1.0-28-amd64 (...)". */
    private static String readVersionString(byte[] setup) {
        int ptr = (setup[KERNEL_VERSION] & 0xff) | (setup[KERNEL_VERSION + 1] & 0xff) << 8;
        if (ptr == 0) {
            return "";
        }
        int start = ptr + 0x200;
        int end = start;
        while (end < setup.length && end - start < 256 && setup[end] != 0) {
            end++;
        }
        return start < setup.length ? new String(setup, start, end - start, StandardCharsets.US_ASCII) : "";
    }

    private static BootException notBzImage(Path path, String why) {
        return new BootException(path + ": not a bzImage: " + why);
    }

    static String describe(IOException e) {
        String kind = e.getClass().getSimpleName();
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? kind : kind + " " + e.getMessage();
    }

    static String protocolString(int protocol) {
        return (protocol >> 8) + "." + String.format("%02d", protocol & 0xff);
    }

    /**
     * Copies the protected-mode kernel to guest memory at address. Straight from the file into guest RAM, one
     * contiguous slice at a time.
     */
    public void loadKernel(GuestMemory memory, long address) {
        if (!memory.contains(address, kernelSize)) {
            throw new BootException(String.format("kernel %s (%s) does not fit in guest memory at 0x%x: raise --memory",
                    path, Layout.size(kernelSize), address));
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            readFully(ch, kernelOffset, kernelSize, memory, address, path);
        } catch (IOException e) {
            throw new BootException("cannot read kernel " + path + ": " + describe(e), e);
        }
    }

    /** Reads length bytes of ch from position into guest memory at address. */
    static void readFully(FileChannel ch, long position, long length, GuestMemory memory, long address, Path path)
            throws IOException {
        long done = 0;
        while (done < length) {
            int chunk = memory.contiguousLength(address + done, (int) Math.min(length - done, 1 << 30));
            if (chunk == 0) {
                throw new BootException(String.format("%s: guest address 0x%x is not RAM", path, address + done));
            }
            ByteBuffer dst = memory.slice(address + done, chunk);
            while (dst.hasRemaining()) {
                if (ch.read(dst, position + done + dst.position()) < 0) {
                    throw new BootException(path + " shrank while it was being loaded");
                }
            }
            done += chunk;
        }
    }

    public Path path() {
        return path;
    }

    /** The setup header as in the file, from 0x1f1 up to its end: what goes into boot_params at 0x1f1. */
    public byte[] setupHeader() {
        return setupHeader.clone();
    }

    /** Boot protocol version, e.g. 0x020f for 2.15. */
    public int protocol() {
        return protocol;
    }

    public String protocolVersion() {
        return protocolString(protocol);
    }

    /** Setup sectors after the boot sector (0 in the file already replaced by 4). */
    public int setupSects() {
        return setupSects;
    }

    /** Offset of the protected-mode kernel in the file: (setup_sects + 1) * 512. */
    public long kernelOffset() {
        return kernelOffset;
    }

    /** Size of the protected-mode kernel: the rest of the file. */
    public long kernelSize() {
        return kernelSize;
    }

    /** The version string the kernel_version field points at, or "" when there is none. */
    public String kernelVersion() {
        return kernelVersion;
    }

    public int loadflags() {
        return u8(LOADFLAGS);
    }

    public int xloadflags() {
        return u16(XLOADFLAGS);
    }

    public long code32Start() {
        return u32(CODE32_START);
    }

    /** Highest address the initrd may occupy (its last byte), protocol 2.03+. */
    public long initrdAddrMax() {
        return u32(INITRD_ADDR_MAX);
    }

    public long kernelAlignment() {
        return u32(KERNEL_ALIGNMENT);
    }

    public boolean relocatable() {
        return u8(RELOCATABLE_KERNEL) != 0;
    }

    /** Longest command line the kernel accepts, without the terminating NUL (protocol 2.06+). */
    public long cmdlineSize() {
        return u32(CMDLINE_SIZE);
    }

    /** Where the kernel prefers to run (LOAD_PHYSICAL_ADDR, 16 MiB on distribution kernels). */
    public long prefAddress() {
        return u64(PREF_ADDRESS);
    }

    /** Linear memory the kernel needs from its runtime start until it can read the memory map. */
    public long initSize() {
        return u32(INIT_SIZE);
    }

    /**
     * Where the decompressed kernel will run when the image is loaded at loadAddress: boot.rst, init_size.
     * A relocatable kernel moves up to pref_address if loaded below it, then aligns to kernel_alignment.
     */
    public long runtimeStart(long loadAddress) {
        if (relocatable()) {
            return Layout.alignUp(Math.max(loadAddress, prefAddress()), kernelAlignment());
        }
        return prefAddress();
    }

    /**
     * Everything the kernel occupies until it has read the e820 map: the loaded image and its decompressed
     * runtime footprint [runtime start, + init_size).
     */
    public GuestRange footprint(long loadAddress) {
        long end = Math.max(loadAddress + kernelSize, runtimeStart(loadAddress) + initSize());
        return GuestRange.between(loadAddress, end);
    }

    private int u8(int fileOffset) {
        return setupHeader[fileOffset - SETUP_HEADER_START] & 0xff;
    }

    private int u16(int fileOffset) {
        return u8(fileOffset) | u8(fileOffset + 1) << 8;
    }

    private long u32(int fileOffset) {
        return (u16(fileOffset) | (long) u16(fileOffset + 2) << 16) & 0xffffffffL;
    }

    private long u64(int fileOffset) {
        return u32(fileOffset) | u32(fileOffset + 4) << 32;
    }

    @Override
    public String toString() {
        return String.format("bzImage %s: protocol %s, %s kernel at file offset 0x%x, pref_address 0x%x, "
                        + "init_size %s%s", path, protocolVersion(), Layout.size(kernelSize), kernelOffset,
                prefAddress(), Layout.size(initSize()), kernelVersion.isEmpty() ? "" : ", " + kernelVersion);
    }
}
