package io.jkvm.core.kvm;

import java.io.ByteArrayOutputStream;

/**
 * Just enough 16-bit x86 machine code for the guest tests, hand-encoded (Intel SDM vol. 2). Code runs in real mode
 * with CS base 0, so an offset in the code segment is a guest physical address.
 */
final class Asm16 {
    private final ByteArrayOutputStream code = new ByteArrayOutputStream();
    private final int origin;

    Asm16(int origin) {
        this.origin = origin;
    }

    /** The guest address of the next instruction. */
    int here() {
        return origin + code.size();
    }

    /** out dx, al/ax/eax with dx = port and the accumulator = value. */
    Asm16 out(int port, int size, long value) {
        movDx(port);
        movAccumulator(size, value);
        switch (size) {
            case 1: return bytes(0xee);
            case 2: return bytes(0xef);
            case 4: return bytes(0x66, 0xef);
            default: throw new IllegalArgumentException("no " + size + "-byte out");
        }
    }

    /** out dx, al with dx = port and al as it is. */
    Asm16 outAl(int port) {
        movDx(port);
        return bytes(0xee);
    }

    /** out imm8, al (the short form, ports below 0x100). */
    Asm16 outImm8(int port, int al) {
        return bytes(0xb0, al, 0xe6, port);
    }

    /**
     * A store of size bytes of value to DS:offset: mov moffs, al/ax/eax; for 8 bytes an MMX movq from an inline
     * constant (CS-relative), the only 8-byte store there is without long mode.
     */
    Asm16 store(int offset, int size, long value) {
        switch (size) {
            case 1:
                movAccumulator(1, value);
                return bytes(0xa2).word(offset);
            case 2:
                movAccumulator(2, value);
                return bytes(0xa3).word(offset);
            case 4:
                movAccumulator(4, value);
                return bytes(0x66, 0xa3).word(offset);
            case 8:
                bytes(0xeb, 8); // jmp over the constant
                int constant = here();
                for (int i = 0; i < 8; i++) {
                    bytes((int) (value >>> (8 * i)));
                }
                bytes(0x2e, 0x0f, 0x6f, 0x06).word(constant); // movq mm0, cs:[constant]
                return bytes(0x0f, 0x7f, 0x06).word(offset);   // movq [offset], mm0
            default:
                throw new IllegalArgumentException("no " + size + "-byte store");
        }
    }

    /** mov al, [DS:offset]. */
    Asm16 loadAl(int offset) {
        return bytes(0xa0).word(offset);
    }

    Asm16 hlt() {
        return bytes(0xf4);
    }

    Asm16 sti() {
        return bytes(0xfb);
    }

    Asm16 iret() {
        return bytes(0xcf);
    }

    /** mov ax, selector; mov ds, ax (real mode: DS base = selector * 16). */
    Asm16 movDs(int selector) {
        return bytes(0xb8).word(selector).bytes(0x8e, 0xd8);
    }

    /** mov cx, count. */
    Asm16 movCx(int count) {
        return bytes(0xb9).word(count);
    }

    /** loop target: decrement cx, jump while it is not zero. */
    Asm16 loop(int target) {
        int rel = target - (here() + 2);
        if (rel < -128) {
            throw new IllegalArgumentException("loop target too far for a short jump");
        }
        return bytes(0xe2, rel);
    }

    /** add ax, bx. */
    Asm16 addAxBx() {
        return bytes(0x01, 0xd8);
    }

    /** jmp short to a guest address within 128 bytes. */
    Asm16 jmp(int target) {
        int rel = target - (here() + 2);
        if (rel < -128 || rel > 127) {
            throw new IllegalArgumentException("jmp target too far for a short jump");
        }
        return bytes(0xeb, rel);
    }

    /** jmp $: spin until something stops the vCPU. */
    Asm16 spin() {
        return bytes(0xeb, 0xfe);
    }

    byte[] build() {
        return code.toByteArray();
    }

    private void movDx(int port) {
        bytes(0xba).word(port);
    }

    private void movAccumulator(int size, long value) {
        switch (size) {
            case 1:
                bytes(0xb0, (int) value);
                break;
            case 2:
                bytes(0xb8).word((int) value);
                break;
            case 4:
                bytes(0x66, 0xb8).word((int) value).word((int) (value >>> 16));
                break;
            default:
                throw new IllegalArgumentException("no " + size + "-byte accumulator");
        }
    }

    private Asm16 word(int v) {
        return bytes(v, v >>> 8);
    }

    private Asm16 bytes(int... bs) {
        for (int b : bs) {
            code.write(b);
        }
        return this;
    }
}
