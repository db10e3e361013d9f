package io.jkvm.core.boot;

/**
 * A segment register's hidden state, field for field as struct kvm_segment (linux/kvm.h), so the VMM copies it
 * into kvm_sregs without translation. limit is in bytes (already scaled by G), as KVM wants it.
 */
public record Segment(long base, int limit, int selector, int type, int present, int dpl, int db, int s, int l,
                      int g, int avl, int unusable) {

    /**
     * Decodes a GDT descriptor (Intel SDM vol. 3, 3.4.5 "Segment Descriptors") loaded through selector. For a
     * 16-byte system descriptor in long mode pass the low 8 bytes; the base bits 63:32 of jkvm's TSS are 0.
     */
    public static Segment fromDescriptor(long descriptor, int selector) {
        long base = (descriptor >>> 16 & 0xff_ffffL) | (descriptor >>> 56 & 0xff) << 24;
        int rawLimit = (int) (descriptor & 0xffff) | (int) (descriptor >>> 48 & 0xf) << 16;
        int g = bit(descriptor, 55);
        int limit = g == 1 ? rawLimit << 12 | 0xfff : rawLimit;
        int present = bit(descriptor, 47);
        return new Segment(base, limit, selector,
                (int) (descriptor >>> 40 & 0xf), present, (int) (descriptor >>> 45 & 3),
                bit(descriptor, 54), bit(descriptor, 44), bit(descriptor, 53), g, bit(descriptor, 52),
                present == 0 ? 1 : 0);
    }

    private static int bit(long value, int n) {
        return (int) (value >>> n & 1);
    }

    @Override
    public String toString() {
        return String.format("{sel=0x%x base=0x%x limit=0x%x type=%d p=%d dpl=%d db=%d s=%d l=%d g=%d avl=%d%s}",
                selector, base, limit, type, present, dpl, db, s, l, g, avl, unusable == 1 ? " unusable" : "");
    }
}
