package io.jkvm.devices.net;

import io.jkvm.devices.event.EventLoop;

import java.io.IOException;

/**
 * Where a {@link VirtioNet}'s frames go and come from (a tap in the VMM, a queue of frames in tests). Every frame
 * crosses with its {@link VirtioNetHeader} in front, in the layout of a tap with IFF_VNET_HDR and a 12-byte vnet
 * header size.
 *
 * <p>Threading: the device calls everything from the thread that serves it (the event loop, or a vCPU thread for a
 * notification that exits), never two at once.
 */
public interface NetBackend extends AutoCloseable {
    /** The largest frame, header included, that {@link #receive} returns: what buffers must be able to hold. */
    int maxFrame();

    /**
     * Reads the next frame (header, then the Ethernet frame) into buf; returns its length, or 0 when none is
     * waiting. buf holds {@link #maxFrame} bytes.
     */
    int receive(byte[] buf) throws IOException;

    /** Sends one frame (header, then the Ethernet frame) of len bytes. */
    void transmit(byte[] buf, int len) throws IOException;

    /**
     * From now on onReadable runs on loop whenever frames wait and reading is on; it is off until
     * {@link #setReadInterest}(true). Called once, at the device's first activation.
     */
    void listen(EventLoop loop, Runnable onReadable);

    /** Switches readiness on or off: off while the guest has no receive buffers, so the loop does not spin. */
    void setReadInterest(boolean on);

    /** Whether the backend can take checksum and segmentation offloads through the header. */
    boolean offloads();

    /**
     * Which offloaded frames the backend may hand to the guest (TUNSETOFFLOAD): partial checksums, TCPv4 and TCPv6
     * super-frames, as the driver accepted VIRTIO_NET_F_GUEST_CSUM, _GUEST_TSO4 and _GUEST_TSO6.
     */
    void setGuestOffloads(boolean csum, boolean tso4, boolean tso6) throws IOException;

    @Override
    void close();
}
