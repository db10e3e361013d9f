package io.jkvm.devices.blk;

/** A virtio-blk request the device will not execute, and the status the driver gets for it. */
public final class BlockRequestException extends Exception {
    public enum Kind {
        /** No device-writable byte to put the status in: the request cannot even be failed properly. */
        NO_STATUS_BYTE(-1),
        /** Fewer than 16 device-readable bytes: no complete virtio_blk_req header. */
        HEADER_TOO_SHORT(BlockRequest.S_IOERR),
        /** IN/OUT data not a multiple of 512 bytes (5.2.6). */
        DATA_NOT_SECTOR_MULTIPLE(BlockRequest.S_IOERR),
        /** The sectors run past the end of the disk. */
        OUT_OF_RANGE(BlockRequest.S_IOERR),
        /** A request type this device does not implement. */
        UNSUPPORTED_TYPE(BlockRequest.S_UNSUPP);

        private final int status;

        Kind(int status) {
            this.status = status;
        }

        /** The VIRTIO_BLK_S_* value to report, or -1 when there is nowhere to report it. */
        public int status() {
            return status;
        }
    }

    private final Kind kind;

    public BlockRequestException(Kind kind, String message) {
        super(message, null, false, false); // guest-triggered and counted: no stack trace needed
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
