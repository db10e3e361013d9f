package io.jkvm.devices.virtio;

import io.jkvm.devices.bus.BusDevice;
import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.irq.IrqLine;
import io.jkvm.devices.log.RateLimitedLog;
import io.jkvm.devices.memory.GuestMemory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import static io.jkvm.devices.virtio.DeviceStatus.ACKNOWLEDGE;
import static io.jkvm.devices.virtio.DeviceStatus.DEVICE_NEEDS_RESET;
import static io.jkvm.devices.virtio.DeviceStatus.DRIVER;
import static io.jkvm.devices.virtio.DeviceStatus.DRIVER_OK;
import static io.jkvm.devices.virtio.DeviceStatus.FAILED;
import static io.jkvm.devices.virtio.DeviceStatus.FEATURES_OK;

/**
 * The virtio-mmio transport, register layout version 2 (virtio 1.2, 4.2 "Virtio Over MMIO"), for one
 * {@link VirtioDevice}: the register file, the device status state machine, feature negotiation, queue setup and
 * interrupts. The VMM maps it at {@code base} for {@link #WINDOW_SIZE} bytes on its MMIO bus.
 *
 * <p>Beside it are the parts that exist because of KVM: {@link Doorbells} gives each ready queue an eventfd (a
 * notification the registrar takes is served on the loop thread; one it declines arrives here as a QueueNotify write
 * and is served on the calling vCPU thread), and a {@link RegisterPage} serves register reads from memory.
 *
 * <p>Threading: one lock serialises register accesses, queue processing and device callbacks. InterruptStatus and
 * InterruptACK bypass it ({@link InterruptStatus}), so a vCPU in the interrupt handler does not wait for a long disk
 * request.
 * One wake-up serves a bounded amount of work ({@link QueueDrain}), and {@link #close} waits a bounded time for the
 * lock. Nothing the guest writes makes a method of this class throw, and its warnings are rate-limited.
 */
public final class MmioTransport implements BusDevice, AutoCloseable {
    /** Size of the register window (what the kernel command line calls 4K). */
    public static final long WINDOW_SIZE = 0x1000;
    /** "JKVM" in little-endian, as QEMU uses "QEMU". */
    public static final int VENDOR_ID = 0x4d564b4a;
    /** InterruptStatus bits (4.2.2). */
    public static final int INT_USED_BUFFER = 1;
    public static final int INT_CONFIG_CHANGE = 2;

    private static final System.Logger LOG = System.getLogger(MmioTransport.class.getName());
    /** How long {@link #close} waits for a request in progress before it gives up on the device. */
    static final long CLOSE_WAIT_MILLIS = 2000;
    private static final int STATUS_BITS = ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK | DEVICE_NEEDS_RESET | FAILED;

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final long base;
    private final EventLoop loop;
    private final String label;
    /** Every warning a guest can trigger goes through here (a guest repeating a bad write must not flood logs). */
    private final RateLimitedLog warnings;
    private final long offeredFeatures;
    private final Virtqueue[] queues;
    private final Doorbells doorbells;
    private final Runnable[] kickTasks;
    /** Per queue, polling before the loop sleeps, or null (off, the default; see {@link #pollBeforeSleeping}). */
    private final QueuePoller[] pollers;
    private final VirtioMetrics metrics = new VirtioMetrics();
    private final ReentrantLock lock = new ReentrantLock();
    private final InterruptStatus interruptStatus;
    private final byte[] configScratch = new byte[8];

    private int status;
    private int deviceFeaturesSel;
    private int driverFeaturesSel;
    private long driverFeatures;
    private int queueSel;
    private int configGeneration;
    private Context active;
    private volatile String lastError;
    /** Set by {@link #close}: no request starts after it, whatever holds the lock. */
    private volatile boolean closed;
    /** close() gave up on a request in progress: the device may still touch guest memory and the register page. */
    private volatile boolean abandoned;
    /** The register page the guest reads instead of exiting, or null (see {@link #mirrorRegisters}). */
    private RegisterPage page;

    public MmioTransport(VirtioDevice device, GuestMemory memory, long base, IrqLine irq, DoorbellRegistrar registrar,
                         EventLoop loop) {
        this.device = device;
        this.memory = memory;
        this.base = base;
        this.loop = loop;
        this.label = String.format("%s@0x%x", device.name(), base);
        this.warnings = new RateLimitedLog(LOG, label);
        this.interruptStatus = new InterruptStatus(irq, lock, warnings);
        this.offeredFeatures = device.deviceFeatures() | VirtioFeatures.TRANSPORT;
        int n = device.queueCount();
        this.queues = new Virtqueue[n];
        this.doorbells = new Doorbells(base, n, registrar, loop, warnings);
        this.kickTasks = new Runnable[n];
        this.pollers = new QueuePoller[n];
        for (int i = 0; i < n; i++) {
            queues[i] = new Virtqueue(memory, i, device.queueMaxSize(i));
            int index = i;
            kickTasks[i] = () -> {
                lock.lock();
                try {
                    processQueue(index);
                } finally {
                    lock.unlock();
                }
            };
        }
    }

    /** The kernel command line fragment that declares a device (needs CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES). */
    public static String kernelCmdline(long base, int irq) {
        return String.format("virtio_mmio.device=4K@0x%x:%d", base, irq);
    }

    public VirtioDevice device() {
        return device;
    }

    public long base() {
        return base;
    }

    public VirtioMetrics metrics() {
        return metrics;
    }

    /** The device status register. */
    public int status() {
        lock.lock();
        try {
            return status;
        } finally {
            lock.unlock();
        }
    }

    public int interruptStatus() {
        return interruptStatus.get();
    }

    /**
     * Lines for a stall report: device status, InterruptStatus (a bit set and never acknowledged is an interrupt the
     * driver has not handled), whether a thread holds the lock (and how many wait for it), then each queue. Takes no
     * lock, so that it also describes a device stuck in a request.
     */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%s: status 0x%x, InterruptStatus 0x%x, lock %s%s%s", label, status,
                interruptStatus.get(), lock.isLocked() ? "held" : "free",
                lock.hasQueuedThreads() ? " (" + lock.getQueueLength() + " waiting)" : "",
                lastError == null ? "" : ", last error: " + lastError));
        for (Virtqueue q : queues) {
            lines.add(label + " " + q.describe());
        }
        return lines;
    }

    /** Why the device last went DEVICE_NEEDS_RESET, or null. */
    public String lastError() {
        return lastError;
    }

    /** Feature bits offered to the driver (device bits plus {@link VirtioFeatures#TRANSPORT}). */
    public long offeredFeatures() {
        return offeredFeatures;
    }

    /** Feature bits the driver wrote (accepted once FEATURES_OK is set). */
    public long driverFeatures() {
        lock.lock();
        try {
            return driverFeatures;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Serves register reads from memory: from now on this transport keeps {@code page} (the window's 4 KiB, which
     * the VMM maps into the guest read-only at {@link #base}) holding what a read of each register would return,
     * so that reads need no exit; writes still arrive through {@link #write}. It also offers InterruptACK writes of
     * {@link #INT_USED_BUFFER} to the registrar, so that the interrupt handler's acknowledgement needs no exit
     * either; the device does not see them ({@link InterruptStatus} says why that is safe).
     */
    public void mirrorRegisters(GuestMemory page, PageMapping mapping) {
        RegisterPage p = new RegisterPage(page, mapping);
        lock.lock();
        try {
            this.page = p;
            interruptStatus.showOn(p);
            renderRegisters();
            doorbells.armAck();
        } finally {
            lock.unlock();
        }
    }

    /**
     * After the loop serves a queue whose doorbell rang, it keeps watching the queue for up to maxNanos
     * ({@link QueuePoller}, {@link PollWindow}; 0 = never, and never on a host with one CPU). Call before the
     * driver starts. Queues served on a vCPU thread (notifications that exit) are never polled.
     */
    public void pollBeforeSleeping(long maxNanos) {
        long cap = PollWindow.forHost(maxNanos, Runtime.getRuntime().availableProcessors());
        lock.lock();
        try {
            for (int i = 0; i < pollers.length; i++) {
                pollers[i] = cap == 0 ? null
                        : new QueuePoller(new PollWindow(cap), System::nanoTime, metrics.pollHits, metrics.pollMisses);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether queue index's notifications currently go to an ioeventfd rather than exiting. */
    public boolean doorbellInKvm(int index) {
        lock.lock();
        try {
            return doorbells.inKvm(index);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long read(long offset, int size) {
        MmioRegister r = MmioRegister.at(offset);
        if (r == MmioRegister.CONFIG) {
            return readConfig((int) (offset - MmioRegister.CONFIG_OFFSET), size);
        }
        if (size != 4 || r == MmioRegister.UNKNOWN) {
            // 4.2.2.2: control registers are accessed 32 bits wide and aligned only.
            metrics.badRegisterAccesses.inc();
            return 0;
        }
        if (r == MmioRegister.INTERRUPT_STATUS) {
            return Integer.toUnsignedLong(interruptStatus.get());
        }
        lock.lock();
        try {
            return Integer.toUnsignedLong(readRegister(r));
        } finally {
            lock.unlock();
        }
    }

    private int readRegister(MmioRegister r) {
        Virtqueue q = selectedQueue();
        switch (r) {
            case MAGIC_VALUE:
                return MmioRegister.MAGIC;
            case VERSION:
                return 2;
            case DEVICE_ID:
                return device.deviceType();
            case VENDOR_ID:
                return VENDOR_ID;
            case DEVICE_FEATURES:
                return deviceFeaturesSel == 0 ? (int) offeredFeatures
                        : deviceFeaturesSel == 1 ? (int) (offeredFeatures >>> 32) : 0;
            case QUEUE_NUM_MAX:
                return q == null ? 0 : q.maxSize();
            case QUEUE_READY:
                return q != null && q.isReady() ? 1 : 0;
            case STATUS:
                return status;
            case CONFIG_GENERATION:
                return configGeneration;
            case SHM_LEN_LOW:
            case SHM_LEN_HIGH:
            case SHM_BASE_LOW:
            case SHM_BASE_HIGH:
                return -1; // no shared memory regions: length and base read as all ones
            case QUEUE_RESET:
                return 0;
            default:
                metrics.badRegisterAccesses.inc(); // a write-only register
                return 0;
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        MmioRegister r = MmioRegister.at(offset);
        if (r == MmioRegister.CONFIG) {
            writeConfig((int) (offset - MmioRegister.CONFIG_OFFSET), size, value);
            return;
        }
        if (size != 4 || r == MmioRegister.UNKNOWN) {
            metrics.badRegisterAccesses.inc();
            return;
        }
        int v = (int) value;
        switch (r) {
            case QUEUE_NOTIFY:
                // Without VIRTIO_F_NOTIFICATION_DATA the value is the queue index (4.2.2).
                metrics.exitNotifications.inc();
                lock.lock();
                try {
                    processQueue(v);
                } finally {
                    lock.unlock();
                }
                return;
            case INTERRUPT_ACK:
                interruptStatus.acknowledge(v);
                return;
            default:
                lock.lock();
                try {
                    writeRegister(r, v);
                    renderRegisters();
                } finally {
                    lock.unlock();
                }
        }
    }

    /** What reads of the readable registers and of configuration space return, into the page; lock held. */
    private void renderRegisters() {
        if (page != null) {
            page.render(this::readRegister, device, interruptStatus.get());
        }
    }

    private void writeRegister(MmioRegister r, int v) {
        Virtqueue q = selectedQueue();
        switch (r) {
            case DEVICE_FEATURES_SEL:
                deviceFeaturesSel = v;
                return;
            case DRIVER_FEATURES_SEL:
                driverFeaturesSel = v;
                return;
            case DRIVER_FEATURES:
                writeDriverFeatures(v);
                return;
            case QUEUE_SEL:
                queueSel = v;
                return;
            case QUEUE_NUM:
                if (queueWritable(q)) {
                    q.setSize(v);
                }
                return;
            case QUEUE_READY:
                writeQueueReady(q, v);
                return;
            case QUEUE_DESC_LOW:
                if (queueWritable(q)) {
                    q.setDescTable(low(q.descTable(), v));
                }
                return;
            case QUEUE_DESC_HIGH:
                if (queueWritable(q)) {
                    q.setDescTable(high(q.descTable(), v));
                }
                return;
            case QUEUE_DRIVER_LOW:
                if (queueWritable(q)) {
                    q.setAvailRing(low(q.availRing(), v));
                }
                return;
            case QUEUE_DRIVER_HIGH:
                if (queueWritable(q)) {
                    q.setAvailRing(high(q.availRing(), v));
                }
                return;
            case QUEUE_DEVICE_LOW:
                if (queueWritable(q)) {
                    q.setUsedRing(low(q.usedRing(), v));
                }
                return;
            case QUEUE_DEVICE_HIGH:
                if (queueWritable(q)) {
                    q.setUsedRing(high(q.usedRing(), v));
                }
                return;
            case STATUS:
                writeStatus(v);
                return;
            case SHM_SEL:
            case QUEUE_RESET:
                return; // no shared memory, VIRTIO_F_RING_RESET not offered
            default:
                metrics.badRegisterAccesses.inc(); // a read-only register
        }
    }

    private static long low(long old, int v) {
        return (old & 0xffffffff00000000L) | Integer.toUnsignedLong(v);
    }

    private static long high(long old, int v) {
        return (old & 0xffffffffL) | ((long) v << 32);
    }

    private Virtqueue selectedQueue() {
        return queueSel >= 0 && queueSel < queues.length ? queues[queueSel] : null;
    }

    /** 4.2.2.2: the driver must not touch a queue's layout while it is ready. */
    private boolean queueWritable(Virtqueue q) {
        if (q == null || q.isReady()) {
            metrics.badRegisterAccesses.inc();
            return false;
        }
        return true;
    }

    private void writeDriverFeatures(int v) {
        if ((status & FEATURES_OK) != 0 || driverFeaturesSel < 0 || driverFeaturesSel > 1) {
            metrics.badRegisterAccesses.inc();
            return;
        }
        int shift = driverFeaturesSel * 32;
        driverFeatures = (driverFeatures & ~(0xffffffffL << shift)) | (Integer.toUnsignedLong(v) << shift);
    }

    private void writeQueueReady(Virtqueue q, int v) {
        if (q == null) {
            metrics.badRegisterAccesses.inc();
            return;
        }
        if (v != 0 && !q.isReady()) {
            String why = q.validate();
            if (why != null) {
                metrics.badQueueConfigs.inc();
                needsReset("bad queue layout", "queue " + q.index() + ": " + why, null);
                return;
            }
            q.setReady(true);
            if (active != null) {
                q.start(driverFeatures);
            }
            armDoorbell(q.index());
        } else if (v == 0 && q.isReady()) {
            doorbells.release(q.index());
            q.setReady(false);
        }
    }

    private void writeStatus(int v) {
        if (v == 0) {
            reset();
            return;
        }
        v &= STATUS_BITS;
        int removed = status & ~v & ~DEVICE_NEEDS_RESET;
        if (removed != 0) {
            // 2.1.2: the driver must not clear a device status bit (only reset does).
            badStatus("driver cleared " + DeviceStatus.describe(removed));
            return;
        }
        int added = v & ~status & ~DEVICE_NEEDS_RESET; // DEVICE_NEEDS_RESET belongs to the device
        if ((added & FAILED) != 0) {
            status |= FAILED;
            warnings.warn("FAILED", "the driver gave up on the device");
        }
        if ((added & ACKNOWLEDGE) != 0) {
            status |= ACKNOWLEDGE;
        }
        if ((added & DRIVER) != 0) {
            if ((status & ACKNOWLEDGE) == 0) {
                badStatus("DRIVER before ACKNOWLEDGE");
            } else {
                status |= DRIVER;
            }
        }
        if ((added & FEATURES_OK) != 0) {
            if ((status & DRIVER) == 0) {
                badStatus("FEATURES_OK before DRIVER");
            } else {
                acceptFeatures();
            }
        }
        if ((added & DRIVER_OK) != 0) {
            if ((status & FEATURES_OK) == 0) {
                badStatus("DRIVER_OK without FEATURES_OK");
            } else if ((status & (FAILED | DEVICE_NEEDS_RESET)) == 0) {
                activate();
            }
        }
    }

    private void badStatus(String why) {
        metrics.badStatusWrites.inc();
        warnings.warn("status write ignored", why);
    }

    /** 3.1.1 step 5 and 4.2.3.1: FEATURES_OK sticks only for a subset of the offer that includes VERSION_1. */
    private void acceptFeatures() {
        long unknown = driverFeatures & ~offeredFeatures;
        if (unknown != 0 || !VirtioFeatures.has(driverFeatures, VirtioFeatures.VERSION_1)) {
            metrics.featuresRefused.inc();
            warnings.warn("FEATURES_OK refused", String.format("driver features 0x%x %s", driverFeatures,
                    unknown != 0 ? String.format("include bits 0x%x not offered", unknown) : "lack VERSION_1"));
            return;
        }
        status |= FEATURES_OK;
    }

    private void activate() {
        for (Virtqueue q : queues) {
            if (q.isReady()) {
                q.start(driverFeatures);
            }
        }
        status |= DRIVER_OK;
        Context ctx = new Context();
        active = ctx;
        try {
            device.activate(ctx);
        } catch (RuntimeException e) {
            metrics.deviceErrors.inc();
            needsReset("activation failed", e.toString(), e);
        }
    }

    /** Status 0 (4.2.2.1 and 2.4): back to the initial state, queues and doorbells gone. */
    private void reset() {
        metrics.resets.inc();
        deactivate();
        status = 0;
        driverFeatures = 0;
        deviceFeaturesSel = 0;
        driverFeaturesSel = 0;
        queueSel = 0;
        interruptStatus.clear();
    }

    private void deactivate() {
        if (active != null) {
            active = null;
            try {
                device.reset();
            } catch (RuntimeException e) {
                metrics.deviceErrors.inc();
                warnings.log(System.Logger.Level.ERROR, "reset failed", e.toString(), e);
            }
        }
        for (int i = 0; i < queues.length; i++) {
            doorbells.release(i);
            queues[i].reset();
        }
    }

    private void armDoorbell(int index) {
        try {
            doorbells.arm(index, this::rang);
        } catch (RuntimeException e) {
            needsReset("no eventfd", "queue " + index + ": cannot create an eventfd: " + e.getMessage(), null);
        }
    }

    /** A doorbell rang, on the loop thread: serve its queue unless it was released after the event was queued. */
    private void rang(Doorbells.Doorbell d) {
        QueuePoller poller;
        lock.lock();
        try {
            if (!d.live()) {
                return;
            }
            metrics.doorbellWakeups.inc();
            poller = pollers[d.index];
            if (poller == null) {
                processQueue(d.index);
                return;
            }
        } finally {
            lock.unlock();
        }
        // Polling takes the lock per look, so that a vCPU's register access waits for one look, not a window.
        if (poller.rang(new Polled(d))) {
            loop.execute(kickTasks[d.index]);
        }
    }

    /** A doorbell's queue as the poller sees it; each call takes the lock and checks the queue is still live. */
    private final class Polled implements QueuePoller.Queue {
        private final Doorbells.Doorbell doorbell;

        Polled(Doorbells.Doorbell doorbell) {
            this.doorbell = doorbell;
        }

        /** With the lock held. */
        private Virtqueue live() {
            Virtqueue q = queues[doorbell.index];
            return doorbell.live() && !closed && active != null && (status & (DEVICE_NEEDS_RESET | FAILED)) == 0
                    && q.isStarted() ? q : null;
        }

        @Override
        public boolean suppress() {
            lock.lock();
            try {
                Virtqueue q = live();
                if (q != null) {
                    q.watch(true);
                }
                return q != null;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean hasAvailable() {
            lock.lock();
            try {
                Virtqueue q = live();
                return q == null || q.hasAvailable(); // a queue gone ends the watch; serve() then does nothing
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean resume() {
            lock.lock();
            try {
                Virtqueue q = live();
                if (q == null) {
                    return false;
                }
                q.watch(false);
                return q.enableNotification();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void serve() {
            lock.lock();
            try {
                if (doorbell.live()) {
                    processQueue(doorbell.index);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Serves queue index if the device is live; called with the lock held. */
    private void processQueue(int index) {
        if (closed || active == null || (status & (DEVICE_NEEDS_RESET | FAILED)) != 0
                || index < 0 || index >= queues.length || !queues[index].isStarted()) {
            return;
        }
        try {
            device.process(index);
        } catch (VirtqueueException e) {
            metrics.badDescriptors.inc();
            needsReset("bad descriptor chain (" + e.kind() + ")", e.getMessage(), null);
        } catch (RuntimeException e) {
            metrics.deviceErrors.inc();
            needsReset("device error", "queue " + index + ": " + e, e);
        } finally {
            signalUsedIfNeeded();
        }
    }

    /** One interrupt for all queues that used buffers the driver wants to hear about (2.7.7). */
    private void signalUsedIfNeeded() {
        boolean notify = false;
        for (Virtqueue q : queues) {
            if (q.isStarted() && q.needsNotification()) {
                notify = true;
            }
        }
        if (notify) {
            metrics.usedInterrupts.inc();
            interruptStatus.raise(INT_USED_BUFFER);
        }
    }

    private void signalConfigChange() {
        metrics.configInterrupts.inc();
        interruptStatus.raise(INT_CONFIG_CHANGE);
    }

    /**
     * 2.1.2: DEVICE_NEEDS_RESET, and a configuration change notification if the driver is live. kind is the fixed
     * reason the log counts by, detail what happened (the new {@link #lastError}).
     */
    private void needsReset(String kind, String detail, Throwable thrown) {
        if ((status & DEVICE_NEEDS_RESET) != 0) {
            return;
        }
        lastError = detail;
        metrics.needsReset.inc();
        warnings.log(thrown == null ? System.Logger.Level.WARNING : System.Logger.Level.ERROR,
                "DEVICE_NEEDS_RESET, " + kind, detail, thrown);
        status |= DEVICE_NEEDS_RESET;
        renderRegisters();
        if ((status & DRIVER_OK) != 0) {
            signalConfigChange();
        }
    }

    private long readConfig(int offset, int size) {
        if (!configAccess(offset, size)) {
            return 0;
        }
        lock.lock();
        try {
            device.readConfig(offset, configScratch, size);
            long v = 0;
            for (int i = 0; i < size; i++) {
                v |= (configScratch[i] & 0xffL) << (8 * i);
            }
            return v;
        } finally {
            lock.unlock();
        }
    }

    private void writeConfig(int offset, int size, long value) {
        if (!configAccess(offset, size)) {
            return;
        }
        lock.lock();
        try {
            for (int i = 0; i < size; i++) {
                configScratch[i] = (byte) (value >>> (8 * i));
            }
            device.writeConfig(offset, configScratch, size);
            renderRegisters();
        } finally {
            lock.unlock();
        }
    }

    private boolean configAccess(int offset, int size) {
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            metrics.badRegisterAccesses.inc();
            return false;
        }
        return true;
    }

    /**
     * Device reset and doorbells released; call before closing the event loop. A device stuck in a request (a
     * backend that blocks) holds the lock: after {@link #CLOSE_WAIT_MILLIS} this gives up on it, so that stopping a
     * VM never waits on a device; no request starts afterwards.
     */
    @Override
    public void close() {
        closed = true;
        warnings.flush();
        boolean locked;
        try {
            locked = lock.tryLock(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            locked = false;
        }
        if (!locked) {
            abandoned = true;
            LOG.log(System.Logger.Level.WARNING, label + ": a request still runs after " + CLOSE_WAIT_MILLIS
                    + " ms; closed without resetting the device");
            return;
        }
        try {
            deactivate();
            status = 0;
            doorbells.releaseAck();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether {@link #close} gave up on a request still in progress: that thread may go on reading and writing guest
     * memory and the register page, so their owner must keep them mapped until the process ends.
     */
    public boolean abandoned() {
        return abandoned;
    }

    /** The device's view of one activation; inert once the device is reset. */
    private final class Context implements DeviceContext {
        private final long features = driverFeatures;

        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public long features() {
            return features;
        }

        @Override
        public Virtqueue queue(int index) {
            lock.lock();
            try {
                if (active != this || index < 0 || index >= queues.length || !queues[index].isStarted()) {
                    return null;
                }
                return queues[index];
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void kick(int queueIndex) {
            if (queueIndex < 0 || queueIndex >= kickTasks.length) {
                return;
            }
            try {
                loop.execute(kickTasks[queueIndex]);
            } catch (RejectedExecutionException e) {
                // the loop is shutting down with the VM
            }
        }

        @Override
        public void changeConfig(Runnable change) {
            lock.lock();
            try {
                // Even for a context that is no longer active: the configuration space is the device's, and a
                // driver of a later activation may be reading it.
                configGeneration++;
                if (page != null) {
                    page.beginConfigChange(configGeneration);
                }
                try {
                    change.run();
                    configGeneration++;
                    renderRegisters();
                } finally {
                    if (page != null) {
                        page.endConfigChange();
                    }
                }
                if (active == this && (status & DRIVER_OK) != 0) {
                    signalConfigChange();
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void fail(String reason) {
            lock.lock();
            try {
                if (active == this) {
                    needsReset("device failed", reason, null);
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public EventLoop eventLoop() {
            return loop;
        }
    }
}
