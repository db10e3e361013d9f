package io.jkvm.devices.net;

import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.virtio.ChainHandler;
import io.jkvm.devices.virtio.DescriptorChain;
import io.jkvm.devices.virtio.DeviceContext;
import io.jkvm.devices.virtio.VirtioDeviceBase;
import io.jkvm.devices.virtio.Virtqueue;
import io.jkvm.devices.virtio.VirtqueueException;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * virtio-net (virtio 1.2, 5.1 "Network Device") with one queue pair over a {@link NetBackend}: queue 0 receiveq
 * (backend to guest), queue 1 transmitq (guest to backend). Frames keep their {@link VirtioNetHeader}, so checksum
 * and segmentation offloads pass through to the backend untouched.
 *
 * <p>Receiving never drops a frame the guest has room for. A frame read from the backend waits in the device until
 * the receive queue has buffers for it; while it waits, the backend's readiness is off (the loop does not wake for
 * input it cannot place) and receive notifications are on, so the guest's next buffers (its RX doorbell) resume
 * delivery. A frame larger than the buffers the guest can ever offer is dropped whole and counted.
 *
 * <p>Transmitting goes through {@link io.jkvm.devices.virtio.QueueDrain}: a queue's worth of chains per wake-up,
 * one interrupt per batch where EVENT_IDX allows. A chain that cannot be a frame (short, empty, over-long, a header
 * with offloads the driver did not negotiate) is completed, counted and not sent.
 */
public final class VirtioNet extends VirtioDeviceBase {
    public static final int DEVICE_TYPE = 1;
    public static final int RECEIVEQ = 0;
    public static final int TRANSMITQ = 1;
    public static final int QUEUE_SIZE = 256;

    /** 5.1.3 feature bits. */
    public static final int F_CSUM = 0;
    public static final int F_GUEST_CSUM = 1;
    public static final int F_MAC = 5;
    public static final int F_GUEST_TSO4 = 7;
    public static final int F_GUEST_TSO6 = 8;
    public static final int F_HOST_TSO4 = 11;
    public static final int F_HOST_TSO6 = 12;
    public static final int F_MRG_RXBUF = 15;
    public static final int F_STATUS = 16;

    /** 5.1.4 status: the link is up. */
    public static final int S_LINK_UP = 1;

    /**
     * The largest frame either way, header included: a 64 KiB GSO super-frame behind an Ethernet header, the bound
     * of Linux's gso_max_size (as Firecracker's MAX_BUFFER_SIZE).
     */
    public static final int MAX_FRAME = VirtioNetHeader.SIZE + 14 + 65536;
    /** The shortest frame worth sending: a header and an Ethernet header. */
    public static final int MIN_FRAME = VirtioNetHeader.SIZE + 14;

    private final NetBackend backend;
    private final byte[] mac;
    private final NetMetrics metrics = new NetMetrics();
    private final VirtioNetHeader rxHeader = new VirtioNetHeader();
    private final VirtioNetHeader txHeader = new VirtioNetHeader();
    private final byte[] rxFrame;
    private final byte[] txFrame = new byte[MAX_FRAME];

    /** Bytes of the frame in rxFrame waiting for receive buffers, 0 when none. */
    private int rxPending;
    /** Whether the backend's readiness is on (guarded by this). */
    private boolean reading;
    private boolean listening;
    /** How many chains the last frame that did not fit found, and gave back. */
    private int rxShortOf;
    /** A receive pass is already asked for: readiness does not queue another. */
    private final AtomicBoolean rxKickPending = new AtomicBoolean();

    public VirtioNet(NetBackend backend, byte[] mac) {
        // 5.1.4 struct virtio_net_config: mac[6], status, max_virtqueue_pairs (no MQ: 1).
        super(DEVICE_TYPE, "virtio-net", 10, QUEUE_SIZE, QUEUE_SIZE);
        if (mac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, not " + mac.length);
        }
        this.backend = backend;
        this.mac = mac.clone();
        this.rxFrame = new byte[Math.max(backend.maxFrame(), MIN_FRAME)];
        for (int i = 0; i < 6; i++) {
            config.putByte(i, mac[i]);
        }
        config.putShort(6, S_LINK_UP);
        config.putShort(8, 1);
        serve(TRANSMITQ, new Transmitter());
    }

    public byte[] mac() {
        return mac.clone();
    }

    @Override
    public long deviceFeatures() {
        long f = bit(F_MAC) | bit(F_STATUS) | bit(F_MRG_RXBUF);
        if (backend.offloads()) {
            f |= bit(F_CSUM) | bit(F_GUEST_CSUM) | bit(F_HOST_TSO4) | bit(F_HOST_TSO6)
                    | bit(F_GUEST_TSO4) | bit(F_GUEST_TSO6);
        }
        return f;
    }

    private static long bit(int n) {
        return 1L << n;
    }

    @Override
    public NetMetrics metrics() {
        return metrics;
    }

    @Override
    public void activate(DeviceContext ctx) {
        super.activate(ctx);
        if (backend.offloads()) {
            try {
                backend.setGuestOffloads(ctx.hasFeature(F_GUEST_CSUM), ctx.hasFeature(F_GUEST_TSO4),
                        ctx.hasFeature(F_GUEST_TSO6));
            } catch (IOException e) {
                ctx.fail("cannot set the backend's offloads: " + e.getMessage());
                return;
            }
        }
        if (!listening) {
            listening = true;
            backend.listen(ctx.eventLoop(), this::readable);
        }
        rxKickPending.set(true);
        ctx.kick(RECEIVEQ); // frames may be waiting already
    }

    @Override
    public void reset() {
        super.reset();
        setReading(false);
        if (rxPending > 0) {
            metrics.rxDropReset.inc();
            rxPending = 0;
        }
        rxKickPending.set(false);
    }

    /**
     * Backend readiness, on the loop thread: reading goes off and a receive pass is asked for, which turns it on
     * again once it has read the backend empty. Readiness is level-triggered, so left on it would wake the loop
     * again and again for a pass that does not run (a device in DEVICE_NEEDS_RESET is not served).
     */
    private void readable() {
        setReading(false);
        DeviceContext ctx = context();
        if (ctx != null && rxKickPending.compareAndSet(false, true)) {
            ctx.kick(RECEIVEQ);
        }
    }

    @Override
    public void process(int queueIndex) throws VirtqueueException {
        if (queueIndex != RECEIVEQ) {
            super.process(queueIndex);
            return;
        }
        // Not through QueueDrain: with MRG_RXBUF one frame takes several chains, published together.
        rxKickPending.set(false);
        DeviceContext ctx = context();
        Virtqueue q = ctx == null ? null : ctx.queue(RECEIVEQ);
        if (q != null) {
            receive(ctx, q);
        }
    }

    /** Both the serving thread and readiness switch reading; the backend sees the switches in this order. */
    private synchronized void setReading(boolean on) {
        if (reading != on) {
            reading = on;
            backend.setReadInterest(on);
        }
    }

    /**
     * Moves frames from the backend into receive buffers: at most a queue's worth per pass (readiness, still on,
     * brings the next pass), until the backend has none (readiness on) or the queue has no room (readiness off).
     */
    private void receive(DeviceContext ctx, Virtqueue q) throws VirtqueueException {
        boolean mrg = ctx.hasFeature(F_MRG_RXBUF);
        int budget = q.size();
        while (true) {
            if (rxPending == 0) {
                if (budget-- == 0) {
                    setReading(true);
                    return;
                }
                try {
                    rxPending = backend.receive(rxFrame);
                } catch (IOException e) {
                    metrics.rxErrors.inc();
                    rxPending = 0;
                }
                if (rxPending == 0) {
                    setReading(true);
                    return;
                }
                if (rxPending < MIN_FRAME || rxPending > rxFrame.length) {
                    metrics.rxErrors.inc();
                    rxPending = 0;
                    continue;
                }
            }
            if (deliver(q, mrg)) {
                rxPending = 0;
                continue;
            }
            // 2.7.10: ask for the driver's next buffers, then look again, as they may have come in between. The
            // chains given back are available still; only more than those can hold the frame now.
            q.enableNotification();
            if (q.available() > rxShortOf) {
                continue;
            }
            metrics.rxStalls.inc();
            setReading(false);
            return;
        }
    }

    /**
     * Puts the pending frame into receive buffers. Returns false, with every chain given back, when the queue has
     * too few; true when the frame was delivered or dropped (too large for any buffers the guest can offer).
     */
    private boolean deliver(Virtqueue q, boolean mrg) throws VirtqueueException {
        int len = rxPending;
        int used = 0;
        int off = 0;
        long numBuffersLo = -1;
        long numBuffersHi = -1;
        GuestMemory memory = null;
        while (off < len) {
            if (used == q.size()) {
                q.unpop(used);
                metrics.rxDropOversize.inc();
                return true;
            }
            DescriptorChain c = q.pop();
            if (c == null) {
                q.unpop(used);
                rxShortOf = used;
                return false;
            }
            long room = c.writableLength();
            if (used == 0 && room < VirtioNetHeader.SIZE) {
                // 5.1.6.3.1: every buffer holds at least a header. Nothing is filled yet, so the chain goes back alone.
                q.addUsed(c.head(), 0);
                metrics.rxBadChains.inc();
                continue;
            }
            if (!mrg && room < len) {
                // 5.1.6.3.1: one chain per frame without MRG_RXBUF; Linux's buffers are all one size, so the next
                // chain would not hold it either.
                q.unpop(1);
                metrics.rxDropOversize.inc();
                return true;
            }
            int n = (int) Math.min(room, len - off);
            c.write(0, rxFrame, off, n);
            if (used == 0) {
                memory = c.memory();
                numBuffersLo = writableAddress(c, VirtioNetHeader.NUM_BUFFERS_OFFSET);
                numBuffersHi = writableAddress(c, VirtioNetHeader.NUM_BUFFERS_OFFSET + 1);
            }
            q.fillUsed(used, c.head(), n);
            used++;
            off += n;
        }
        // 5.1.6.4: num_buffers, the chains this frame fills (1 without MRG_RXBUF); the header is in the first one.
        memory.putByte(numBuffersLo, (byte) used);
        memory.putByte(numBuffersHi, (byte) (used >>> 8));
        // All at once: Linux's receive_mergeable drops a frame whose later buffers are not yet in the used ring.
        q.flushUsed(used);
        metrics.rxFrames.inc();
        metrics.rxBytes.add(len - VirtioNetHeader.SIZE);
        metrics.rxBuffers.add(used);
        if (rxHeader.parse(rxFrame, 0).isGso()) {
            metrics.rxGsoFrames.inc();
        }
        return true;
    }

    /** The guest address of byte offset of c's writable part, which holds more than offset bytes. */
    private static long writableAddress(DescriptorChain c, long offset) {
        long skip = offset;
        for (int i = c.readableCount(); i < c.count(); i++) {
            if (skip < c.len(i)) {
                return c.addr(i) + skip;
            }
            skip -= c.len(i);
        }
        throw new IllegalStateException("offset " + offset + " past the writable part");
    }

    /** transmitq: each chain's readable part is one frame with its header (5.1.6.2); nothing is written back. */
    private final class Transmitter implements ChainHandler {
        @Override
        public long handle(DescriptorChain chain) {
            long len = chain.readableLength();
            if (len < MIN_FRAME) {
                (len == VirtioNetHeader.SIZE ? metrics.txDropEmpty : metrics.txDropShort).inc();
                return 0;
            }
            if (len > MAX_FRAME) {
                metrics.txDropOversize.inc();
                return 0;
            }
            int n = chain.read(0, txFrame, 0, (int) len);
            DeviceContext ctx = context();
            long features = ctx == null ? 0 : ctx.features();
            if (txHeader.parse(txFrame, 0).transmitError(features, n - VirtioNetHeader.SIZE) != null) {
                metrics.txDropBadHeader.inc();
                return 0;
            }
            try {
                backend.transmit(txFrame, n);
            } catch (IOException e) {
                metrics.txErrors.inc();
                return 0;
            }
            metrics.txFrames.inc();
            metrics.txBytes.add(n - VirtioNetHeader.SIZE);
            if (txHeader.isGso()) {
                metrics.txGsoFrames.inc();
            }
            return 0;
        }
    }
}
