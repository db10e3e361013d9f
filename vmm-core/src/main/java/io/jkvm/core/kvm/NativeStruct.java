package io.jkvm.core.kvm;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A C structure in native memory, allocated once and reused for every ioctl that takes it, read and written at
 * fixed offsets through a direct {@link ByteBuffer} (no JNA {@code Structure} reflection, no JNI call per field).
 * The offsets are those of linux/kvm.h on x86-64; {@code KvmAbiTest} checks each one against the C compiler.
 */
public abstract class NativeStruct {
    private final Memory memory;
    protected final ByteBuffer buffer;

    protected NativeStruct(long size) {
        memory = new Memory(size);
        memory.clear();
        buffer = memory.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
    }

    /** The structure's address, for the ioctl. */
    public Pointer pointer() {
        return memory;
    }

    /** Bytes allocated (for a structure with a flexible array: header plus capacity). */
    public int byteSize() {
        return buffer.capacity();
    }

    /** The raw bytes, little-endian, for fields without an accessor. */
    public ByteBuffer buffer() {
        return buffer;
    }

    public void clear() {
        memory.clear();
    }
}
