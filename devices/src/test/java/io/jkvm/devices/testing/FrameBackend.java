package io.jkvm.devices.testing;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.net.NetBackend;
import io.jkvm.devices.net.VirtioNet;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link NetBackend} over plain memory: frames offered by a test wait in a queue for the device, frames sent are
 * kept. Readiness is level-triggered as epoll's: while reading is on and frames wait, the callback keeps running on
 * the loop.
 */
public final class FrameBackend implements NetBackend {
    private final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
    private final List<byte[]> sent = new ArrayList<>();
    private final boolean offloads;
    private EventLoop loop;
    private Runnable onReadable;
    private volatile boolean readInterest;
    private volatile int interestChanges;
    private volatile boolean guestCsum;
    private volatile boolean guestTso4;
    private volatile boolean guestTso6;
    private boolean scheduled;

    public FrameBackend(boolean offloads) {
        this.offloads = offloads;
    }

    /** Queues a frame (header included) for the guest, from any thread. */
    public void offer(byte[] frame) {
        synchronized (this) {
            inbound.add(frame.clone());
        }
        fire();
    }

    public synchronized int waiting() {
        return inbound.size();
    }

    public synchronized List<byte[]> sent() {
        return new ArrayList<>(sent);
    }

    public boolean readInterest() {
        return readInterest;
    }

    public int interestChanges() {
        return interestChanges;
    }

    public boolean guestCsum() {
        return guestCsum;
    }

    public boolean guestTso4() {
        return guestTso4;
    }

    public boolean guestTso6() {
        return guestTso6;
    }

    private void fire() {
        EventLoop l;
        synchronized (this) {
            if (loop == null || !readInterest || inbound.isEmpty() || scheduled) {
                return;
            }
            scheduled = true;
            l = loop;
        }
        l.execute(() -> {
            synchronized (this) {
                scheduled = false;
            }
            if (readInterest && waiting() > 0) {
                onReadable.run();
                fire(); // level-triggered: still readable, report again after the tasks queued meanwhile
            }
        });
    }

    @Override
    public int maxFrame() {
        return VirtioNet.MAX_FRAME;
    }

    @Override
    public int receive(byte[] buf) {
        byte[] f;
        synchronized (this) {
            f = inbound.poll();
        }
        if (f == null) {
            return 0;
        }
        System.arraycopy(f, 0, buf, 0, f.length);
        return f.length;
    }

    @Override
    public synchronized void transmit(byte[] buf, int len) throws IOException {
        sent.add(Arrays.copyOf(buf, len));
    }

    @Override
    public synchronized void listen(EventLoop l, Runnable r) {
        loop = l;
        onReadable = r;
    }

    @Override
    public void setReadInterest(boolean on) {
        readInterest = on;
        interestChanges++;
        fire();
    }

    @Override
    public boolean offloads() {
        return offloads;
    }

    @Override
    public void setGuestOffloads(boolean csum, boolean tso4, boolean tso6) {
        guestCsum = csum;
        guestTso4 = tso4;
        guestTso6 = tso6;
    }

    @Override
    public void close() {
    }
}
