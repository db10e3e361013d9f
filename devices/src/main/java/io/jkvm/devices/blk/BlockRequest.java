package io.jkvm.devices.blk;

import io.jkvm.devices.virtio.DescriptorChain;

/**
 * A descriptor chain read as a virtio_blk_req (virtio 1.2, 5.2.6): a 16-byte header (le32 type, le32 reserved,
 * le64 sector) in the device-readable part, data, and the status byte as the last device-writable byte. No assumption
 * is made about how the driver split this into descriptors (2.7.4). One instance is reused for every request.
 */
public final class BlockRequest {
    public static final int T_IN = 0;
    public static final int T_OUT = 1;
    public static final int T_FLUSH = 4;
    public static final int T_GET_ID = 8;
    public static final int S_OK = 0;
    public static final int S_IOERR = 1;
    public static final int S_UNSUPP = 2;
    public static final int HEADER_SIZE = 16;
    public static final int SECTOR_SIZE = 512;
    /** VIRTIO_BLK_ID_BYTES. */
    public static final int ID_BYTES = 20;

    private final byte[] header = new byte[HEADER_SIZE];
    private DescriptorChain chain;
    private int type;
    private long sector;
    private long dataLength;

    /**
     * Parses chain against a disk of capacity sectors. On success the request's fields are set; on failure the
     * exception says which status to report (see {@link BlockRequestException.Kind#status()}).
     */
    public void parse(DescriptorChain c, long capacitySectors) throws BlockRequestException {
        chain = c;
        type = -1;
        sector = 0;
        dataLength = 0;
        if (c.writableLength() < 1) {
            throw new BlockRequestException(BlockRequestException.Kind.NO_STATUS_BYTE,
                    "request at head " + c.head() + " has no device-writable status byte");
        }
        if (c.read(0, header, 0, HEADER_SIZE) < HEADER_SIZE) {
            throw new BlockRequestException(BlockRequestException.Kind.HEADER_TOO_SHORT,
                    "request header is " + c.readableLength() + " bytes, needs 16");
        }
        type = le32(0);
        sector = le64(8);
        switch (type) {
            case T_IN:
                dataLength = c.writableLength() - 1;
                checkRange(capacitySectors);
                break;
            case T_OUT:
                dataLength = c.readableLength() - HEADER_SIZE;
                checkRange(capacitySectors);
                break;
            case T_GET_ID:
                dataLength = Math.min(c.writableLength() - 1, ID_BYTES);
                break;
            case T_FLUSH:
                break;
            default:
                throw new BlockRequestException(BlockRequestException.Kind.UNSUPPORTED_TYPE,
                        "request type " + Integer.toUnsignedString(type) + " is not supported");
        }
    }

    private void checkRange(long capacitySectors) throws BlockRequestException {
        if (dataLength % SECTOR_SIZE != 0) {
            throw new BlockRequestException(BlockRequestException.Kind.DATA_NOT_SECTOR_MULTIPLE,
                    "data length " + dataLength + " is not a multiple of 512");
        }
        long sectors = dataLength / SECTOR_SIZE;
        // Unsigned sector, and no overflow: sector + sectors <= capacity.
        if (Long.compareUnsigned(sector, capacitySectors) > 0 || sectors > capacitySectors - sector) {
            throw new BlockRequestException(BlockRequestException.Kind.OUT_OF_RANGE, String.format(
                    "sectors %s+%d are past the end of the disk (%d sectors)",
                    Long.toUnsignedString(sector), sectors, capacitySectors));
        }
    }

    private int le32(int o) {
        return (header[o] & 0xff) | (header[o + 1] & 0xff) << 8 | (header[o + 2] & 0xff) << 16
                | (header[o + 3] & 0xff) << 24;
    }

    private long le64(int o) {
        return Integer.toUnsignedLong(le32(o)) | (long) le32(o + 4) << 32;
    }

    public DescriptorChain chain() {
        return chain;
    }

    public int type() {
        return type;
    }

    public long sector() {
        return sector;
    }

    /** File offset of the first byte. */
    public long offset() {
        return sector * SECTOR_SIZE;
    }

    /**
     * Bytes of data: for IN and GET_ID the start of the device-writable part, for OUT the device-readable part
     * after the header.
     */
    public long dataLength() {
        return dataLength;
    }

    /** Where the data starts inside its part of the chain. */
    public long dataOffset() {
        return type == T_OUT ? HEADER_SIZE : 0;
    }

    /** Offset of the status byte inside the device-writable part. */
    public long statusOffset() {
        return chain.writableLength() - 1;
    }
}
