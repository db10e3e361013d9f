package io.jkvm.devices.net;

/**
 * struct virtio_net_hdr (virtio 1.2, 5.1.6 "Device Operation"), the 12 bytes in front of every frame on both queues.
 * With VIRTIO_F_VERSION_1 num_buffers is always there (5.1.6.1), so the header is 12 bytes whatever else was
 * negotiated; a tap set to the same size (TUNSETVNETHDRSZ) reads and writes the same layout, so frames cross between
 * the two unchanged but for num_buffers.
 *
 * <p>A mutable view that {@link #parse} fills from a frame buffer; reused, never allocated per frame.
 */
public final class VirtioNetHeader {
    public static final int SIZE = 12;

    /** 5.1.6 flags. */
    public static final int F_NEEDS_CSUM = 1;
    public static final int F_DATA_VALID = 2;
    public static final int F_RSC_INFO = 4;

    /** 5.1.6 gso_type. */
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    public static final int GSO_ECN = 0x80;

    /** Byte offset of num_buffers. */
    public static final int NUM_BUFFERS_OFFSET = 10;

    public int flags;
    public int gsoType;
    public int hdrLen;
    public int gsoSize;
    public int csumStart;
    public int csumOffset;
    public int numBuffers;

    /** Reads the header at buf[off..off+12). */
    public VirtioNetHeader parse(byte[] buf, int off) {
        flags = buf[off] & 0xff;
        gsoType = buf[off + 1] & 0xff;
        hdrLen = le16(buf, off + 2);
        gsoSize = le16(buf, off + 4);
        csumStart = le16(buf, off + 6);
        csumOffset = le16(buf, off + 8);
        numBuffers = le16(buf, off + 10);
        return this;
    }

    /** Writes this header at buf[off..off+12). */
    public void build(byte[] buf, int off) {
        buf[off] = (byte) flags;
        buf[off + 1] = (byte) gsoType;
        putLe16(buf, off + 2, hdrLen);
        putLe16(buf, off + 4, gsoSize);
        putLe16(buf, off + 6, csumStart);
        putLe16(buf, off + 8, csumOffset);
        putLe16(buf, off + 10, numBuffers);
    }

    /** A header with nothing to offload: a complete frame with a valid checksum. */
    public VirtioNetHeader clear() {
        flags = 0;
        gsoType = GSO_NONE;
        hdrLen = 0;
        gsoSize = 0;
        csumStart = 0;
        csumOffset = 0;
        numBuffers = 0;
        return this;
    }

    /** The segmentation kind without the ECN bit. */
    public int gsoKind() {
        return gsoType & ~GSO_ECN;
    }

    public boolean isGso() {
        return gsoKind() != GSO_NONE;
    }

    /**
     * Why a driver's transmit header cannot go to the backend, or null when it can (5.1.6.2 driver requirements):
     * an offload it did not negotiate, an unknown flag or gso_type, a checksum field outside the frame, a GSO frame
     * without a segment size. frameLength counts the bytes after the header.
     */
    public String transmitError(long features, int frameLength) {
        if ((flags & ~F_NEEDS_CSUM) != 0) { // DATA_VALID and RSC_INFO are the device's to set
            return "flags 0x" + Integer.toHexString(flags);
        }
        if ((flags & F_NEEDS_CSUM) != 0) {
            if (!has(features, VirtioNet.F_CSUM)) {
                return "NEEDS_CSUM without VIRTIO_NET_F_CSUM";
            }
            if ((long) csumStart + csumOffset + 2 > frameLength) {
                return "checksum at " + csumStart + "+" + csumOffset + " outside a " + frameLength + "-byte frame";
            }
        }
        switch (gsoKind()) {
            case GSO_NONE:
                return (gsoType & GSO_ECN) != 0 ? "ECN without segmentation" : null;
            case GSO_TCPV4:
                if (!has(features, VirtioNet.F_HOST_TSO4)) {
                    return "TCPv4 segmentation without VIRTIO_NET_F_HOST_TSO4";
                }
                break;
            case GSO_TCPV6:
                if (!has(features, VirtioNet.F_HOST_TSO6)) {
                    return "TCPv6 segmentation without VIRTIO_NET_F_HOST_TSO6";
                }
                break;
            default:
                return "gso_type " + gsoType;
        }
        if ((gsoType & GSO_ECN) != 0) {
            return "ECN segmentation without VIRTIO_NET_F_HOST_ECN"; // not offered
        }
        // 5.1.6.2: segmentation needs the checksum offload too, and a segment size.
        if ((flags & F_NEEDS_CSUM) == 0) {
            return "segmentation without NEEDS_CSUM";
        }
        if (gsoSize == 0) {
            return "segmentation with gso_size 0";
        }
        return null;
    }

    private static boolean has(long features, int bit) {
        return (features & (1L << bit)) != 0;
    }

    static int le16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    static void putLe16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }
}
