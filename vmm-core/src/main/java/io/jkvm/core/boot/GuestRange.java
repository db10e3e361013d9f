package io.jkvm.core.boot;

/** A range [start, start+size) of guest physical addresses, for placement checks and logging. */
public record GuestRange(long start, long size) {
    public GuestRange {
        if (start < 0 || size < 0 || start + size < start) {
            throw new IllegalArgumentException(String.format("bad guest range 0x%x+0x%x", start, size));
        }
    }

    public static GuestRange between(long start, long end) {
        return new GuestRange(start, end - start);
    }

    /** The first address past the range. */
    public long end() {
        return start + size;
    }

    public boolean overlaps(GuestRange other) {
        return start < other.end() && other.start < end();
    }

    public boolean contains(GuestRange other) {
        return other.start >= start && other.end() <= end();
    }

    @Override
    public String toString() {
        return String.format("[0x%x-0x%x)", start, end());
    }
}
