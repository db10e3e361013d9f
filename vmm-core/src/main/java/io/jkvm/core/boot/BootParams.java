package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The zero page, struct boot_params (arch/x86/include/uapi/asm/bootparam.h, Documentation/arch/x86/zero-page.rst):
 * built in a 4 KiB buffer that starts all zero, as the 64-bit boot protocol requires, with the image's setup header
 * copied in at 0x1f1 and the loader's fields filled in; then written to guest memory in one piece.
 */
public final class BootParams {
    public static final int SIZE = 4096;

    // struct boot_params (zero-page.rst)
    public static final int EXT_RAMDISK_IMAGE = 0x0c0;
    public static final int EXT_RAMDISK_SIZE = 0x0c4;
    public static final int EXT_CMD_LINE_PTR = 0x0c8;
    public static final int E820_ENTRIES = 0x1e8;
    public static final int HDR = 0x1f1;
    public static final int E820_TABLE = 0x2d0;

    // struct setup_header, at its offsets inside boot_params (boot.rst)
    public static final int VID_MODE = 0x1fa;
    public static final int TYPE_OF_LOADER = 0x210;
    public static final int LOADFLAGS = 0x211;
    public static final int CODE32_START = 0x214;
    public static final int RAMDISK_IMAGE = 0x218;
    public static final int RAMDISK_SIZE = 0x21c;
    public static final int HEAP_END_PTR = 0x224;
    public static final int CMD_LINE_PTR = 0x228;

    /** type_of_loader 0xFF: "undefined", for a boot loader without an assigned id (boot.rst). */
    public static final int LOADER_UNDEFINED = 0xff;
    /** vid_mode 0xFFFF: "normal" (80x25) text mode, i.e. ask for nothing. */
    public static final int VID_MODE_NORMAL = 0xffff;
    public static final int CAN_USE_HEAP = 1 << 7;
    /** Obsolete for 64-bit entry (the kernel loads its own segments); cleared so it is not taken from the image. */
    public static final int KEEP_SEGMENTS = 1 << 6;
    /**
     * heap_end_ptr as in boot.rst's sample boot configuration (heap_end 0xe000 minus 0x200). Only the real-mode
     * setup code reads it, which the 64-bit entry skips; set with CAN_USE_HEAP so the header is complete.
     */
    public static final int HEAP_END = 0xe000 - 0x200;

    private final ByteBuffer page = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);

    /**
     * A zero page for the image: the setup header copied in, type_of_loader, loadflags, heap_end_ptr, vid_mode
     * and code32_start set. Command line, initrd and e820 map are set separately.
     */
    public BootParams(BzImage image, long kernelAddress) {
        byte[] hdr = image.setupHeader();
        page.put(HDR, hdr);
        page.put(TYPE_OF_LOADER, (byte) LOADER_UNDEFINED);
        int loadflags = (image.loadflags() | CAN_USE_HEAP) & ~KEEP_SEGMENTS;
        page.put(LOADFLAGS, (byte) loadflags);
        page.putShort(HEAP_END_PTR, (short) HEAP_END);
        page.putShort(VID_MODE, (short) VID_MODE_NORMAL);
        // code32_start is the 32-bit entry; boot loaders that load the kernel elsewhere than 1 MiB update it.
        page.putInt(CODE32_START, (int) kernelAddress);
    }

    /**
     * A zero page for an ELF kernel, which has no setup header to copy: the fields a 64-bit entry reads are set as
     * a boot loader fills them (boot.rst): boot_flag, the "HdrS" magic, type_of_loader, kernel_alignment and
     * cmdline_size; loadflags LOADED_HIGH, since the kernel is above 1 MiB.
     */
    public static BootParams forElf() {
        return new BootParams();
    }

    private BootParams() {
        page.putShort(BzImage.BOOT_FLAG, (short) BzImage.BOOT_FLAG_MAGIC);
        page.putInt(BzImage.HEADER, BzImage.HEADER_MAGIC);
        page.put(TYPE_OF_LOADER, (byte) LOADER_UNDEFINED);
        page.put(LOADFLAGS, (byte) BzImage.LOADED_HIGH);
        page.putInt(BzImage.KERNEL_ALIGNMENT, 0x0100_0000);
        page.putInt(BzImage.CMDLINE_SIZE, ElfKernel.CMDLINE_SIZE);
        page.putShort(VID_MODE, (short) VID_MODE_NORMAL);
    }

    /** cmd_line_ptr and ext_cmd_line_ptr: the command line's guest address, split into low and high 32 bits. */
    public BootParams commandLine(long address) {
        page.putInt(CMD_LINE_PTR, (int) address);
        page.putInt(EXT_CMD_LINE_PTR, (int) (address >>> 32));
        return this;
    }

    /** ramdisk_image/ramdisk_size and their ext_ high halves. */
    public BootParams ramdisk(GuestRange initrd) {
        page.putInt(RAMDISK_IMAGE, (int) initrd.start());
        page.putInt(EXT_RAMDISK_IMAGE, (int) (initrd.start() >>> 32));
        page.putInt(RAMDISK_SIZE, (int) initrd.size());
        page.putInt(EXT_RAMDISK_SIZE, (int) (initrd.size() >>> 32));
        return this;
    }

    /** e820_entries and e820_table. */
    public BootParams e820(E820Map map) {
        int i = 0;
        for (E820Map.Entry e : map.entries()) {
            int at = E820_TABLE + i * E820Map.Entry.SIZE;
            page.putLong(at, e.address());
            page.putLong(at + 8, e.size());
            page.putInt(at + 16, e.type());
            i++;
        }
        page.put(E820_ENTRIES, (byte) i);
        return this;
    }

    /** The 4 KiB as they will be in the guest. */
    public byte[] bytes() {
        return page.array().clone();
    }

    public void writeTo(GuestMemory memory, long address) {
        memory.write(address, page.array(), 0, SIZE);
    }
}
