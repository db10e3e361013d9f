package io.jkvm.devices.blk;

import io.jkvm.devices.log.RateLimitedLog;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.virtio.DescriptorChain;
import io.jkvm.devices.virtio.DeviceContext;
import io.jkvm.devices.virtio.VirtioDeviceBase;
import io.jkvm.devices.virtio.VirtioFeatures;
import io.jkvm.devices.virtio.Virtqueue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * virtio-blk (virtio 1.2, 5.2 "Block Device") on a raw image file: IN, OUT, FLUSH and GET_ID on one request queue,
 * served synchronously through a {@link FileChannel} straight into and out of guest RAM.
 *
 * <p>A write is acknowledged only after pwrite returned for all of it; FLUSH is {@code force(true)}. If the driver
 * did not negotiate VIRTIO_BLK_F_FLUSH, every write is also forced before completion (5.2.6.4: writes are then stable
 * when completed). The image is locked while open (exclusive for read-write, shared for read-only), so two VMs cannot
 * write one disk.
 */
public final class VirtioBlock extends VirtioDeviceBase implements AutoCloseable {
    public static final int DEVICE_TYPE = 2;
    /** 5.2.3 feature bits. */
    public static final int F_SEG_MAX = 2;
    public static final int F_RO = 5;
    public static final int F_BLK_SIZE = 6;
    public static final int F_FLUSH = 9;
    public static final int REQUEST_QUEUE = 0;
    public static final int QUEUE_SIZE = 256;
    /**
     * Data segments per request (5.2.4 seg_max); header and status take one descriptor each. Linux's virtio_blk
     * builds requests of up to seg_max + 2 descriptors whatever ring size it ends up with (vring_create_virtqueue
     * halves the ring when allocation fails), in an indirect table when the ring is smaller: such a request fits the
     * largest ring directly and an indirect table (up to {@link Virtqueue#MAX_INDIRECT_ENTRIES}) at every size.
     */
    public static final int SEG_MAX = QUEUE_SIZE - 2;

    private static final System.Logger LOG = System.getLogger(VirtioBlock.class.getName());

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;
    private final boolean readOnly;
    private final long capacitySectors;
    private final byte[] id;
    private final BlockMetrics metrics = new BlockMetrics();
    private final BlockRequest request = new BlockRequest();
    private final byte[] statusByte = new byte[1];
    /** A guest can make every request fail (a truncated or failing image): one line per reason and interval. */
    private final RateLimitedLog warnings;
    private boolean writeThrough;

    private VirtioBlock(Path path, FileChannel channel, FileLock lock, boolean readOnly, long capacitySectors,
                        byte[] id) {
        super(DEVICE_TYPE, "virtio-blk", 60, QUEUE_SIZE); // 5.2.4 struct virtio_blk_config is 60 bytes
        this.path = path;
        this.channel = channel;
        this.lock = lock;
        this.readOnly = readOnly;
        this.capacitySectors = capacitySectors;
        this.id = id;
        this.warnings = new RateLimitedLog(LOG, path.toString());
        // 5.2.4 struct virtio_blk_config.
        config.putLong(0, capacitySectors);
        config.putInt(12, SEG_MAX);
        config.putInt(20, BlockRequest.SECTOR_SIZE); // blk_size
        config.putShort(34, 1); // num_queues (read only with VIRTIO_BLK_F_MQ)
        serve(REQUEST_QUEUE, this::execute);
    }

    /** Opens image with the file name (first 20 bytes) as the device ID string. */
    public static VirtioBlock open(Path image, boolean readOnly) throws DiskImageException {
        Path name = image.getFileName();
        return open(image, readOnly, name == null ? "jkvm" : name.toString());
    }

    /**
     * Opens and locks image. Fails with a message naming the file when it is missing, not a regular file, not
     * accessible, or locked by another process (another VM).
     */
    public static VirtioBlock open(Path image, boolean readOnly, String serial) throws DiskImageException {
        if (Files.isDirectory(image)) {
            throw new DiskImageException("disk image " + image + " is a directory; give the path of a raw image file");
        }
        FileChannel ch;
        try {
            ch = readOnly ? FileChannel.open(image, StandardOpenOption.READ)
                    : FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new DiskImageException("disk image " + image + " does not exist; check the path");
        } catch (AccessDeniedException e) {
            throw new DiskImageException("disk image " + image + " is not " + (readOnly ? "readable" : "writable")
                    + " by this user; fix its permissions" + (readOnly ? "" : " or attach it read-only"));
        } catch (IOException e) {
            throw new DiskImageException("cannot open disk image " + image + ": " + e.getMessage(), e);
        }
        try {
            FileLock lock;
            try {
                lock = ch.tryLock(0, Long.MAX_VALUE, readOnly);
            } catch (OverlappingFileLockException e) {
                lock = null; // this JVM already holds it
            }
            if (lock == null) {
                throw new DiskImageException("disk image " + image + " is locked by another VM or process; stop it, "
                        + "or give each VM its own copy of the image");
            }
            long size = ch.size();
            if (size % BlockRequest.SECTOR_SIZE != 0) {
                LOG.log(System.Logger.Level.WARNING, "disk image " + image + " is " + size
                        + " bytes, not a multiple of 512: the last " + (size % BlockRequest.SECTOR_SIZE)
                        + " bytes are not visible to the guest");
            }
            byte[] id = new byte[BlockRequest.ID_BYTES];
            byte[] s = serial.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(s, 0, id, 0, Math.min(s.length, id.length)); // NUL-padded (5.2.6)
            return new VirtioBlock(image, ch, lock, readOnly, size / BlockRequest.SECTOR_SIZE, id);
        } catch (IOException e) {
            closeQuietly(ch);
            if (e instanceof DiskImageException) {
                throw (DiskImageException) e;
            }
            throw new DiskImageException("cannot lock disk image " + image + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
    }

    public Path path() {
        return path;
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    public long capacitySectors() {
        return capacitySectors;
    }

    @Override
    public long deviceFeatures() {
        long f = VirtioFeatures.bit(F_SEG_MAX) | VirtioFeatures.bit(F_BLK_SIZE) | VirtioFeatures.bit(F_FLUSH);
        return readOnly ? f | VirtioFeatures.bit(F_RO) : f;
    }

    @Override
    public void activate(DeviceContext ctx) {
        writeThrough = !ctx.hasFeature(F_FLUSH);
        super.activate(ctx);
    }

    @Override
    public BlockMetrics metrics() {
        return metrics;
    }

    /** Runs one request; returns the used length (bytes written into the chain, status included). */
    private long execute(DescriptorChain chain) {
        try {
            request.parse(chain, capacitySectors);
        } catch (BlockRequestException e) {
            switch (e.kind()) {
                case NO_STATUS_BYTE:
                    metrics.noStatus.inc();
                    return 0;
                case OUT_OF_RANGE:
                    metrics.outOfRange.inc();
                    break;
                case UNSUPPORTED_TYPE:
                    metrics.unsupported.inc();
                    break;
                default:
                    metrics.invalidRequests.inc();
            }
            return complete(chain, e.kind().status(), 0);
        }
        switch (request.type()) {
            case BlockRequest.T_IN:
                return complete(chain, read(), request.dataLength());
            case BlockRequest.T_OUT:
                return complete(chain, write(), 0);
            case BlockRequest.T_FLUSH:
                return complete(chain, flush(), 0);
            case BlockRequest.T_GET_ID:
                metrics.getIds.inc();
                chain.write(0, id, 0, (int) request.dataLength());
                return complete(chain, BlockRequest.S_OK, request.dataLength());
            default:
                throw new IllegalStateException("parse let through type " + request.type());
        }
    }

    /** Writes the status byte; the used length counts data only when the request succeeded. */
    private int complete(DescriptorChain chain, int status, long dataWritten) {
        statusByte[0] = (byte) status;
        chain.write(request.statusOffset(), statusByte, 0, 1);
        return (int) ((status == BlockRequest.S_OK ? dataWritten : 0) + 1);
    }

    private int read() {
        metrics.reads.inc();
        try {
            transfer(true);
            metrics.readBytes.add(request.dataLength());
            return BlockRequest.S_OK;
        } catch (IOException e) {
            return ioError("read", e);
        }
    }

    private int write() {
        if (readOnly) {
            // 5.2.6.2 device requirements: IOERR and no data written.
            metrics.readOnlyRefused.inc();
            return BlockRequest.S_IOERR;
        }
        metrics.writes.inc();
        try {
            transfer(false);
            if (writeThrough) {
                channel.force(false);
            }
            metrics.writeBytes.add(request.dataLength());
            return BlockRequest.S_OK;
        } catch (IOException e) {
            return ioError("write", e);
        }
    }

    private int flush() {
        metrics.flushes.inc();
        if (readOnly) {
            return BlockRequest.S_OK; // nothing of ours to make stable; refusing would break firmware that flushes
        }
        try {
            channel.force(true);
            return BlockRequest.S_OK;
        } catch (IOException e) {
            return ioError("flush", e);
        }
    }

    private int ioError(String what, IOException e) {
        metrics.ioErrors.inc();
        warnings.warn(what + " failed", String.format("at sector %s: %s", Long.toUnsignedString(request.sector()), e));
        return BlockRequest.S_IOERR;
    }

    /**
     * Moves the request's data between the file and guest RAM without copying: each buffer (split where guest RAM
     * regions meet) is a ByteBuffer view handed to pread/pwrite.
     */
    private void transfer(boolean toGuest) throws IOException {
        DescriptorChain c = request.chain();
        GuestMemory mem = c.memory();
        int from = toGuest ? c.readableCount() : 0;
        int to = toGuest ? c.count() : c.readableCount();
        long skip = request.dataOffset();
        long remaining = request.dataLength();
        long pos = request.offset();
        for (int i = from; i < to && remaining > 0; i++) {
            long len = c.len(i);
            if (skip >= len) {
                skip -= len;
                continue;
            }
            long addr = c.addr(i) + skip;
            long n = Math.min(len - skip, remaining);
            skip = 0;
            while (n > 0) {
                int chunk = mem.contiguousLength(addr, (int) Math.min(n, Integer.MAX_VALUE));
                ByteBuffer bb = mem.slice(addr, chunk);
                if (toGuest) {
                    readFully(bb, pos);
                } else {
                    writeFully(bb, pos);
                }
                addr += chunk;
                pos += chunk;
                n -= chunk;
                remaining -= chunk;
            }
        }
    }

    private void readFully(ByteBuffer bb, long pos) throws IOException {
        while (bb.hasRemaining()) {
            int r = channel.read(bb, pos);
            if (r < 0) {
                throw new EOFException("image ends at " + pos + " (was it truncated?)");
            }
            pos += r;
        }
    }

    private void writeFully(ByteBuffer bb, long pos) throws IOException {
        while (bb.hasRemaining()) {
            pos += channel.write(bb, pos);
        }
    }

    /**
     * Makes every acknowledged write stable (a guest stopped from outside, e.g. by a signal, had no chance to flush),
     * then releases the image lock and closes the file.
     */
    @Override
    public void close() throws IOException {
        warnings.flush();
        try {
            if (!readOnly && channel.isOpen()) {
                channel.force(true);
            }
        } finally {
            release();
        }
    }

    private void release() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }
}
