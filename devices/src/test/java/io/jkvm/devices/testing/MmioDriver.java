package io.jkvm.devices.testing;

import io.jkvm.devices.bus.BusDevice;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.virtio.DeviceStatus;
import io.jkvm.devices.virtio.MmioRegister;
import io.jkvm.devices.virtio.VirtioFeatures;

/**
 * A simulated guest driver that does what Linux drivers/virtio/virtio_mmio.c does, through the {@link BusDevice}
 * register interface only: reset, ACKNOWLEDGE/DRIVER, feature negotiation, queue setup (vm_setup_vq), DRIVER_OK,
 * notifications (vm_notify) and interrupt acknowledgement (vm_interrupt). Guest RAM for rings and buffers comes from a
 * bump allocator over a {@link GuestMemory}.
 */
public final class MmioDriver {
    private final BusDevice device;
    private final GuestMemory mem;
    private final long base;
    private final RecordingRegistrar kvm;
    private long nextFree;
    private long features;

    /** Every notification is a QueueNotify write (an exit). */
    public MmioDriver(BusDevice device, GuestMemory mem) {
        this(device, mem, 0, null);
    }

    /** Notifications of queues whose doorbell kvm holds go to the eventfd, as in a guest under KVM_IOEVENTFD. */
    public MmioDriver(BusDevice device, GuestMemory mem, long base, RecordingRegistrar kvm) {
        this.device = device;
        this.mem = mem;
        this.base = base;
        this.kvm = kvm;
        this.nextFree = 0x1000;
    }

    public GuestMemory memory() {
        return mem;
    }

    /** Reserves size bytes of guest RAM aligned to align (zeroed). */
    public long alloc(long size, int align) {
        long a = (nextFree + align - 1) & -(long) align;
        if (a + size > mem.size()) {
            throw new IllegalStateException("simulated guest out of RAM");
        }
        nextFree = a + size;
        mem.fill(a, size, (byte) 0);
        return a;
    }

    public int read(MmioRegister r) {
        return (int) device.read(r.offset(), 4);
    }

    public void write(MmioRegister r, int v) {
        device.write(r.offset(), 4, Integer.toUnsignedLong(v));
    }

    public int status() {
        return read(MmioRegister.STATUS);
    }

    public void setStatus(int s) {
        write(MmioRegister.STATUS, s);
    }

    public void addStatus(int bits) {
        setStatus(status() | bits);
    }

    public void reset() {
        setStatus(0);
    }

    /** vm_get_features: both 32-bit halves. */
    public long deviceFeatures() {
        write(MmioRegister.DEVICE_FEATURES_SEL, 1);
        long hi = Integer.toUnsignedLong(read(MmioRegister.DEVICE_FEATURES));
        write(MmioRegister.DEVICE_FEATURES_SEL, 0);
        return (hi << 32) | Integer.toUnsignedLong(read(MmioRegister.DEVICE_FEATURES));
    }

    /** vm_finalize_features: writes both halves. */
    public void writeDriverFeatures(long f) {
        write(MmioRegister.DRIVER_FEATURES_SEL, 1);
        write(MmioRegister.DRIVER_FEATURES, (int) (f >>> 32));
        write(MmioRegister.DRIVER_FEATURES_SEL, 0);
        write(MmioRegister.DRIVER_FEATURES, (int) f);
    }

    /**
     * virtio_dev_probe up to virtio_features_ok: reset, ACKNOWLEDGE, DRIVER, write features (exactly as given: a
     * test may ask for bits the device does not offer), FEATURES_OK and read it back. Returns whether it stuck.
     */
    public boolean negotiate(long driverFeatures) {
        if (read(MmioRegister.MAGIC_VALUE) != MmioRegister.MAGIC || read(MmioRegister.VERSION) != 2) {
            throw new IllegalStateException("not a virtio-mmio v2 device");
        }
        reset();
        addStatus(DeviceStatus.ACKNOWLEDGE);
        addStatus(DeviceStatus.DRIVER);
        writeDriverFeatures(driverFeatures);
        addStatus(DeviceStatus.FEATURES_OK);
        features = driverFeatures;
        return (status() & DeviceStatus.FEATURES_OK) != 0;
    }

    /** Accepts every offered bit (minus those in without), as a driver that knows all of them would. */
    public boolean negotiateAllBut(long without) {
        return negotiate(deviceFeatures() & ~without);
    }

    /** vm_setup_vq: select, check not ready, read max, allocate the three parts, program them, QueueReady = 1. */
    public DriverQueue setupQueue(int index, int size) {
        write(MmioRegister.QUEUE_SEL, index);
        if (read(MmioRegister.QUEUE_READY) != 0) {
            throw new IllegalStateException("queue " + index + " already ready");
        }
        int max = read(MmioRegister.QUEUE_NUM_MAX);
        if (max == 0 || size > max) {
            throw new IllegalStateException("queue " + index + " max " + max + " < " + size);
        }
        long desc = alloc(16L * size, 16);
        long avail = alloc(6L + 2L * size, 2);
        long used = alloc(6L + 8L * size, 4);
        write(MmioRegister.QUEUE_NUM, size);
        program(desc, avail, used);
        write(MmioRegister.QUEUE_READY, 1);
        return new DriverQueue(this, mem, index, size, desc, avail, used,
                VirtioFeatures.has(features, VirtioFeatures.RING_EVENT_IDX));
    }

    /** Writes the three ring addresses of the selected queue. */
    public void program(long desc, long avail, long used) {
        write(MmioRegister.QUEUE_DESC_LOW, (int) desc);
        write(MmioRegister.QUEUE_DESC_HIGH, (int) (desc >>> 32));
        write(MmioRegister.QUEUE_DRIVER_LOW, (int) avail);
        write(MmioRegister.QUEUE_DRIVER_HIGH, (int) (avail >>> 32));
        write(MmioRegister.QUEUE_DEVICE_LOW, (int) used);
        write(MmioRegister.QUEUE_DEVICE_HIGH, (int) (used >>> 32));
    }

    public void driverOk() {
        addStatus(DeviceStatus.DRIVER_OK);
    }

    /** negotiate everything offered minus without, set up queues of the given sizes, DRIVER_OK. */
    public DriverQueue[] start(long without, int... queueSizes) {
        if (!negotiateAllBut(without)) {
            throw new IllegalStateException("FEATURES_OK refused");
        }
        DriverQueue[] qs = new DriverQueue[queueSizes.length];
        for (int i = 0; i < queueSizes.length; i++) {
            qs[i] = setupQueue(i, queueSizes[i]);
        }
        driverOk();
        return qs;
    }

    /** vm_notify: writes the queue index to QueueNotify, unless KVM would take the write as an eventfd signal. */
    public void notifyQueue(int index) {
        long address = base + MmioRegister.QUEUE_NOTIFY.offset();
        if (kvm != null && kvm.ring(address, index)) {
            return;
        }
        write(MmioRegister.QUEUE_NOTIFY, index);
    }

    /** vm_interrupt: reads InterruptStatus and acknowledges what it saw; returns it. */
    public int handleInterrupt() {
        int s = read(MmioRegister.INTERRUPT_STATUS);
        write(MmioRegister.INTERRUPT_ACK, s);
        return s;
    }

    public long readConfig(int offset, int size) {
        return device.read(MmioRegister.CONFIG_OFFSET + offset, size);
    }

    public void writeConfig(int offset, int size, long value) {
        device.write(MmioRegister.CONFIG_OFFSET + offset, size, value);
    }
}
