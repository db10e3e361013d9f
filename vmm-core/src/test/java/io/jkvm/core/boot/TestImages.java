package io.jkvm.core.boot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Stream;

/** Synthetic bzImages laid out as boot.rst describes, and the real one the guest-images build leaves in the cache. */
final class TestImages {
    static final int HEADER_END = 0x26c;
    static final String VERSION_STRING = "6.1.0-jkvm-test (builder@jkvm) #1 SMP";

    int setupSects = 4;
    int bootFlag = 0xaa55;
    int headerMagic = 0x53726448;
    int protocol = 0x020f;
    int loadflags = BzImage.LOADED_HIGH;
    int xloadflags = BzImage.XLF_KERNEL_64 | BzImage.XLF_CAN_BE_LOADED_ABOVE_4G;
    long initrdAddrMax = 0x7fff_ffffL;
    long kernelAlignment = 0x20_0000;
    int relocatable = 1;
    long cmdlineSize = 2047;
    long prefAddress = 0x100_0000;
    long initSize = 0x40_0000;
    int payloadSize = 64 * 1024;

    /** The protected-mode kernel bytes: a pattern that a misplaced copy cannot reproduce. */
    byte[] payload() {
        byte[] p = new byte[payloadSize];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (i * 31 + (i >> 8));
        }
        return p;
    }

    byte[] bytes() {
        int sects = setupSects == 0 ? 4 : setupSects;
        ByteBuffer b = ByteBuffer.allocate((sects + 1) * 512 + payloadSize).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1ef, (byte) 0xff);                 // sentinel, as header.S sets it
        b.put(0x1f1, (byte) setupSects);
        b.putShort(0x1fe, (short) bootFlag);
        b.put(0x200, (byte) 0xeb);                 // jmp short over the header
        b.put(0x201, (byte) (HEADER_END - 0x202));
        b.putInt(0x202, headerMagic);
        b.putShort(0x206, (short) protocol);
        b.putShort(0x20e, (short) (0x400 - 0x200));
        b.put(0x400, VERSION_STRING.getBytes(StandardCharsets.US_ASCII));
        b.put(0x211, (byte) loadflags);
        b.putInt(0x214, 0x10_0000);
        b.putInt(0x22c, (int) initrdAddrMax);
        b.putInt(0x230, (int) kernelAlignment);
        b.put(0x234, (byte) relocatable);
        b.put(0x235, (byte) 21);
        b.putShort(0x236, (short) xloadflags);
        b.putInt(0x238, (int) cmdlineSize);
        b.putLong(0x258, prefAddress);
        b.putInt(0x260, (int) initSize);
        b.put((sects + 1) * 512, payload());
        return b.array();
    }

    Path write(Path dir, String name) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes());
        return p;
    }

    static Path file(Path dir, String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    static byte[] pattern(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 7 + seed + (i >> 12));
        }
        return b;
    }

    static byte[] truncated(byte[] b, int length) {
        return Arrays.copyOf(b, length);
    }

    /**
     * A real bzImage: -Djkvm.test.bzImage=<file> if given, else one from the guest-images cache
     * (~/.cache/jkvm/images/<name>/bzImage) if one has been built.
     */
    static Optional<Path> realBzImage() {
        String given = System.getProperty("jkvm.test.bzImage");
        if (given != null && !given.isEmpty()) {
            return Optional.of(Path.of(given));
        }
        Path images = Path.of(System.getProperty("user.home"), ".cache", "jkvm", "images");
        if (!Files.isDirectory(images)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(images)) {
            return dirs.map(d -> d.resolve("bzImage")).filter(Files::isRegularFile).sorted().findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
