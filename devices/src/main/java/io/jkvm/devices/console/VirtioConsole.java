package io.jkvm.devices.console;

import io.jkvm.devices.virtio.ChainHandler;
import io.jkvm.devices.virtio.DescriptorChain;
import io.jkvm.devices.virtio.DeviceContext;
import io.jkvm.devices.virtio.VirtioDeviceBase;
import io.jkvm.devices.virtio.VirtqueueException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * virtio-console (virtio 1.2, 5.3 "Console Device") with one port and no VIRTIO_CONSOLE_F_MULTIPORT: queue 0 is
 * receiveq (host to guest), queue 1 transmitq (guest to host). The guest's output goes to an {@link OutputStream}.
 *
 * <p>Input arrives on some other thread (the VMM's stdin pump) through {@link #offer}. That thread never touches a
 * queue: it appends to a bounded buffer and asks the transport, via {@link DeviceContext#kick}, to run
 * {@link #process} for receiveq on the event loop, where the buffer is drained into whatever receive buffers the
 * driver has posted. Bytes wait in the buffer while the driver has posted none; when it is full, new bytes are
 * dropped and counted (blocking the pump would also block its Ctrl-A x handling).
 */
public final class VirtioConsole extends VirtioDeviceBase {
    public static final int DEVICE_TYPE = 3;
    public static final int RECEIVEQ = 0;
    public static final int TRANSMITQ = 1;
    public static final int QUEUE_SIZE = 256;
    /** Host-side input kept while the guest is not reading. */
    public static final int INPUT_CAPACITY = 64 * 1024;
    /**
     * What the port buffers of one transmit chain; the rest of a longer chain is dropped and counted. Linux never
     * sends more in one buffer (drivers/char/virtio_console.c, port_fops_write caps a write at 32 KiB), while a
     * hostile chain may name all of RAM many times over and would hold the loop copying it.
     */
    public static final int TX_CHAIN_LIMIT = 32 * 1024;

    private final OutputStream out;
    private final ConsoleMetrics metrics = new ConsoleMetrics();
    private final byte[] txBuffer = new byte[TX_CHAIN_LIMIT];

    private final Object inputLock = new Object();
    private final byte[] input = new byte[INPUT_CAPACITY];
    private int inputHead;
    private int inputCount;
    private boolean kickPending;
    private DeviceContext kickContext; // guarded by inputLock

    public VirtioConsole(OutputStream out) {
        // 5.3.4 struct virtio_console_config: cols, rows (unused without F_SIZE), max_nr_ports, emerg_wr.
        super(DEVICE_TYPE, "virtio-console", 12, QUEUE_SIZE, QUEUE_SIZE);
        this.out = out;
        config.putInt(4, 1);
        serve(RECEIVEQ, new Receiver());
        serve(TRANSMITQ, new Transmitter());
    }

    @Override
    public long deviceFeatures() {
        return 0;
    }

    @Override
    public ConsoleMetrics metrics() {
        return metrics;
    }

    /** Host input for the guest, from any thread (fits vmm-core's ConsoleInput.Sink as {@code console::offer}). */
    public void offer(byte b) {
        DeviceContext kick;
        synchronized (inputLock) {
            if (inputCount == INPUT_CAPACITY) {
                metrics.rxDropped.inc();
                return;
            }
            input[(inputHead + inputCount) % INPUT_CAPACITY] = b;
            inputCount++;
            kick = claimKick();
        }
        if (kick != null) {
            kick.kick(RECEIVEQ);
        }
    }

    /** Host input for the guest, from any thread; what does not fit in the buffer is dropped. */
    public void offer(byte[] b, int off, int len) {
        DeviceContext kick;
        synchronized (inputLock) {
            int n = Math.min(INPUT_CAPACITY - inputCount, len);
            for (int i = 0; i < n; i++) {
                input[(inputHead + inputCount + i) % INPUT_CAPACITY] = b[off + i];
            }
            inputCount += n;
            if (n < len) {
                metrics.rxDropped.add(len - n);
            }
            kick = n > 0 ? claimKick() : null;
        }
        if (kick != null) {
            kick.kick(RECEIVEQ);
        }
    }

    /** With inputLock held: the context to kick, unless a kick is already on its way or no driver is there. */
    private DeviceContext claimKick() {
        if (kickContext == null || kickPending) {
            return null;
        }
        kickPending = true;
        return kickContext;
    }

    /** Bytes offered but not yet given to the guest. */
    public int pendingInput() {
        synchronized (inputLock) {
            return inputCount;
        }
    }

    /** Copies in to the guest on a daemon thread until EOF; returns the started thread. */
    public Thread pumpFrom(InputStream in, String threadName) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    offer(buf, 0, n);
                }
            } catch (IOException e) {
                // input gone: the guest simply gets no more
            }
        }, threadName);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Override
    public void activate(DeviceContext ctx) {
        super.activate(ctx);
        boolean pending;
        synchronized (inputLock) {
            kickContext = ctx;
            pending = inputCount > 0;
            kickPending = pending;
        }
        if (pending) {
            ctx.kick(RECEIVEQ); // typed before the driver came up
        }
    }

    @Override
    public void reset() {
        synchronized (inputLock) {
            kickContext = null;
            kickPending = false;
        }
        super.reset();
    }

    @Override
    public void process(int queueIndex) throws VirtqueueException {
        if (queueIndex == RECEIVEQ) {
            synchronized (inputLock) {
                kickPending = false; // input from now on kicks again
            }
        }
        super.process(queueIndex);
    }

    /** transmitq: the guest's output, copied to the stream; nothing is written into transmit buffers (5.3.6). */
    private final class Transmitter implements ChainHandler {
        private boolean wrote;

        @Override
        public long handle(DescriptorChain chain) {
            long len = chain.readableLength();
            int n = chain.read(0, txBuffer, 0, (int) Math.min(len, TX_CHAIN_LIMIT));
            if (n > 0) {
                write(txBuffer, n);
                wrote = true;
            }
            metrics.txBytes.add(n);
            if (len > n) {
                metrics.txDropped.add(len - n);
            }
            return 0;
        }

        @Override
        public void batchDone() {
            if (wrote) {
                wrote = false;
                try {
                    out.flush();
                } catch (IOException e) {
                    metrics.txErrors.inc();
                }
            }
        }
    }

    private void write(byte[] b, int n) {
        try {
            out.write(b, 0, n);
        } catch (IOException e) {
            metrics.txErrors.inc();
        }
    }

    /**
     * receiveq: pending input into the driver's receive buffers. With no input left it takes no more chains, and
     * notifications are enabled again so that a driver adding buffers wakes it while input waits.
     */
    private final class Receiver implements ChainHandler {
        @Override
        public boolean ready() {
            return pendingInput() > 0;
        }

        @Override
        public long handle(DescriptorChain chain) {
            return fill(chain);
        }
    }

    /** Moves pending input into chain's writable buffers; returns the bytes moved. */
    private int fill(DescriptorChain chain) {
        synchronized (inputLock) {
            long room = chain.writableLength();
            int n = (int) Math.min(room, inputCount);
            int first = Math.min(n, INPUT_CAPACITY - inputHead);
            chain.write(0, input, inputHead, first);
            if (n > first) {
                chain.write(first, input, 0, n - first);
            }
            inputHead = (inputHead + n) % INPUT_CAPACITY;
            inputCount -= n;
            metrics.rxBytes.add(n);
            return n;
        }
    }
}
