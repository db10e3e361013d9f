package io.jkvm.devices.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.virtio.DoorbellRegistrar;
import io.jkvm.devices.virtio.MmioRegister;
import io.jkvm.devices.virtio.MmioTransport;
import io.jkvm.devices.virtio.VirtioDevice;
import io.jkvm.devices.virtio.VirtioFeatures;
import io.jkvm.devices.virtio.Virtqueue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One hostile guest per fuzz input: a transport for the device under test in {@link FuzzRam}, a driver that
 * negotiates what the input says, lays out every queue where the input says (sane, next to each other, or anywhere)
 * and then posts chains, rewrites descriptors and rings, pokes RAM and notifies, as the input says.
 *
 * <p>Every notification is a QueueNotify write served on the calling thread ({@link DoorbellRegistrar#EXIT}), and
 * is checked: RAM is compared before and after, and a byte that changed outside the used rings and the buffers that
 * descriptors mark device-writable is a finding. The check needs the descriptors to stay put during the call, so it
 * is skipped (and counted) when a writable buffer overlaps a descriptor table, an indirect table or an available ring.
 */
final class FuzzGuest implements AutoCloseable {
    static final long BASE = 0xd000_0000L;
    /** Rings are laid out here, tables of indirect descriptors there, data buffers in the rest (across the seam). */
    static final long RINGS = 0x100;
    static final long TABLES = 0x6000;
    static final long BUFFERS = 0xa000;
    static final long BUFFERS_END = 0x10000;

    static final AtomicLong INPUTS = new AtomicLong();
    static final AtomicLong CHECKED = new AtomicLong();
    static final AtomicLong UNCHECKED = new AtomicLong();

    private static FuzzRam shared = new FuzzRam();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.printf(
                "jkvm fuzz: %d inputs, %d notifications write-checked, %d not (a writable buffer overlapped a ring)%n",
                INPUTS.get(), CHECKED.get(), UNCHECKED.get())));
    }

    final FuzzedDataProvider data;
    final VirtioDevice device;
    final FuzzRam ram;
    final GuestMemory mem;
    final CountingIrq irq = new CountingIrq();
    final MmioTransport transport;
    final MmioDriver driver;
    Ring[] rings = new Ring[0];
    long features;
    /** Runs before each checked notification, e.g. to open a new output budget. */
    Runnable beforeNotify = () -> { };
    private long nextRing;
    private long nextTable;

    FuzzGuest(VirtioDevice device, FuzzedDataProvider data) {
        INPUTS.incrementAndGet();
        this.data = data;
        this.device = device;
        this.ram = ram();
        ram.clear();
        this.mem = ram.memory;
        this.transport = new MmioTransport(device, mem, BASE, irq, DoorbellRegistrar.EXIT, SharedLoop.get());
        this.driver = new MmioDriver(transport, mem);
    }

    private static synchronized FuzzRam ram() {
        return shared;
    }

    /** After a hang: the stuck thread may still write the old RAM. */
    static synchronized void replaceRam() {
        shared = new FuzzRam();
    }

    /** Reset, features, every queue, DRIVER_OK: a driver's probe, with the input choosing every value. */
    void bringUp() {
        nextRing = RINGS;
        nextTable = TABLES;
        long offered = driver.deviceFeatures();
        long f = data.consumeInt(0, 15) == 0 ? data.consumeLong()
                : (offered & data.consumeLong()) | VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        driver.negotiate(f);
        features = f;
        rings = new Ring[device.queueCount()];
        for (int q = 0; q < rings.length; q++) {
            rings[q] = layOut(q);
        }
        if (data.consumeInt(0, 31) != 0) {
            driver.driverOk();
        }
    }

    boolean negotiated(int bit) {
        return VirtioFeatures.has(features, bit);
    }

    private Ring layOut(int q) {
        int max = device.queueMaxSize(q);
        int size = data.consumeInt(0, 15) == 0 ? data.consumeInt(0, 0x10000)
                : 1 << data.consumeInt(0, Integer.numberOfTrailingZeros(max));
        long desc;
        long avail;
        long used;
        switch (data.consumeInt(0, 7)) {
            case 0: { // next to each other: the parts may overlap (virtio 1.2, 2.7 forbids it)
                long anchor = data.consumeLong(0, FuzzRam.END - 1) & ~15L;
                desc = anchor + 16L * data.consumeInt(-8, 8);
                avail = anchor + 2L * data.consumeInt(-64, 64);
                used = anchor + 4L * data.consumeInt(-32, 32);
                break;
            }
            case 1: // anywhere, aligned or not
                desc = data.consumeLong();
                avail = data.consumeLong(0, FuzzRam.END + 0x1000);
                used = data.consumeLong(0, FuzzRam.END + 0x1000);
                break;
            default: // as Linux's vm_setup_vq would
                desc = allocRing(16L * size, 16);
                avail = allocRing(6L + 2L * size, 2);
                used = allocRing(6L + 8L * size, 4);
        }
        driver.write(MmioRegister.QUEUE_SEL, q);
        driver.write(MmioRegister.QUEUE_NUM, size);
        driver.program(desc, avail, used);
        driver.write(MmioRegister.QUEUE_READY, 1);
        return new Ring(mem, q, size, desc, avail, used);
    }

    private long allocRing(long size, int align) {
        long a = (nextRing + align - 1) & -(long) align;
        nextRing = a + size;
        return a;
    }

    /** Room for an indirect table of n descriptors, in the tables area while it lasts. */
    long allocTable(int n) {
        long a = nextTable;
        if (a + 16L * n > BUFFERS) {
            a = TABLES;
        }
        nextTable = a + 16L * n;
        return a;
    }

    /** A buffer address: mostly in the data area, sometimes across a region seam, off RAM's end or anywhere. */
    long bufferAddress() {
        switch (data.consumeInt(0, 9)) {
            case 0:
                return data.consumeLong();
            case 1:
                return FuzzRam.SEAM - data.consumeInt(0, 0x100);
            case 2:
                return FuzzRam.BASES[2] + data.consumeInt(0, FuzzRam.SIZES[2]);
            case 3:
                return BUFFERS_END - data.consumeInt(0, 0x100);
            default:
                return BUFFERS + data.consumeInt(0, (int) (BUFFERS_END - BUFFERS) - 1);
        }
    }

    int bufferLength() {
        switch (data.consumeInt(0, 9)) {
            case 0:
                return data.consumeInt();
            case 1:
                return 0;
            case 2:
                return data.consumeInt(0, 0x20000);
            default:
                return data.consumeInt(1, 0x1000);
        }
    }

    /** One buffer: readable ones first unless the input breaks the rule. */
    record Buf(long addr, int len, boolean writable) {
    }

    /** Buffers of a random chain: a readable run, then a writable run, sometimes shuffled by the input. */
    List<Buf> randomBuffers() {
        int readable = data.consumeInt(0, 4);
        int writable = data.consumeInt(0, 4);
        List<Buf> bufs = new ArrayList<>();
        for (int i = 0; i < readable + writable; i++) {
            boolean w = data.consumeInt(0, 15) == 0 ? data.consumeBoolean() : i >= readable;
            bufs.add(new Buf(bufferAddress(), bufferLength(), w));
        }
        if (bufs.isEmpty()) {
            bufs.add(new Buf(bufferAddress(), bufferLength(), data.consumeBoolean()));
        }
        return bufs;
    }

    /** The same buffer many times over: long chains, as for the chain length and per-chain byte caps. */
    List<Buf> repeatedBuffer(int max) {
        int n = data.consumeInt(1, max);
        Buf b = new Buf(bufferAddress(), bufferLength(), data.consumeBoolean());
        List<Buf> bufs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            bufs.add(b);
        }
        return bufs;
    }

    /** Posts bufs directly or through one indirect table, as the input says, and publishes the head. */
    int post(Ring r, List<Buf> bufs) {
        boolean indirect = data.consumeInt(0, 3) == 0;
        int n = bufs.size();
        if (indirect) {
            long table = data.consumeInt(0, 15) == 0 ? bufferAddress() : allocTable(n);
            for (int i = 0; i < n; i++) {
                Buf b = bufs.get(i);
                boolean last = i == n - 1;
                r.writeDescriptorAt(table + 16L * i, b.addr(), b.len(), flags(b, last), last ? 0 : i + 1);
            }
            int head = r.takeDescriptor();
            int len = data.consumeInt(0, 15) == 0 ? data.consumeInt() : 16 * n;
            r.writeDescriptor(head, table, len, Virtqueue.DESC_F_INDIRECT, 0);
            r.publish(head);
            return head;
        }
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.takeDescriptor();
        }
        for (int i = 0; i < n; i++) {
            Buf b = bufs.get(i);
            boolean last = i == n - 1;
            r.writeDescriptor(ids[i], b.addr(), b.len(), flags(b, last), last ? 0 : ids[i + 1]);
        }
        r.publish(ids[0]);
        return ids[0];
    }

    private static int flags(Buf b, boolean last) {
        return (b.writable() ? Virtqueue.DESC_F_WRITE : 0) | (last ? 0 : Virtqueue.DESC_F_NEXT);
    }

    Ring ring() {
        return rings[data.consumeInt(0, rings.length - 1)];
    }

    /**
     * One guest action that makes sense for every device; returns false when the input is used up. A target calls
     * it for the ops it has no device-specific meaning for.
     */
    boolean commonStep() throws Exception {
        if (data.remainingBytes() == 0) {
            return false;
        }
        Ring r = ring();
        switch (data.consumeInt(0, 9)) {
            case 0:
            case 1:
                post(r, randomBuffers());
                break;
            case 2:
                post(r, repeatedBuffer(Math.max(1, Math.min(r.size, 2 * Virtqueue.MAX_SIZE)) + 2));
                break;
            case 3: // a raw descriptor
                r.writeDescriptor(data.consumeInt(0, Math.max(0, Math.min(r.size, 1024) - 1)), bufferAddress(),
                        bufferLength(), data.consumeInt(0, 15) == 0 ? data.consumeInt() : data.consumeInt(0, 7),
                        data.consumeInt(0, 15) == 0 ? data.consumeInt() : data.consumeInt(0, r.size));
                break;
            case 4: // a raw available ring entry
                r.publish(data.consumeInt(0, 7) == 0 ? data.consumeInt() : data.consumeInt(0, r.size));
                break;
            case 5: // a lie about avail idx
                r.setAvailIdx(data.consumeInt());
                break;
            case 6:
                if (data.consumeBoolean()) {
                    r.setAvailFlags(data.consumeInt(0, 3));
                } else {
                    r.setUsedEvent(data.consumeInt());
                }
                break;
            case 7: { // bytes anywhere in RAM
                long at = data.consumeLong(0, FuzzRam.END);
                byte[] b = data.consumeBytes(data.consumeInt(1, 64));
                if (FuzzRam.contains(at, b.length)) {
                    mem.write(at, b, 0, b.length);
                }
                break;
            }
            case 8:
                if (data.consumeInt(0, 7) == 0) {
                    bringUp(); // reset and start over, with whatever the device had in flight
                } else {
                    driver.write(MmioRegister.INTERRUPT_ACK, driver.read(MmioRegister.INTERRUPT_STATUS));
                }
                break;
            default:
                notifyQueue(r.index);
        }
        return true;
    }

    /** QueueNotify for queue q, with the write check around it. */
    void notifyQueue(int q) throws InterruptedException {
        BitSet allowed = allowedWrites();
        if (allowed != null) {
            ram.snapshot();
        }
        beforeNotify.run();
        driver.notifyQueue(q);
        SharedLoop.drain();
        if (allowed == null) {
            UNCHECKED.incrementAndGet();
            return;
        }
        CHECKED.incrementAndGet();
        long a = ram.firstForeignWrite(allowed);
        if (a >= 0) {
            throw new AssertionError(String.format("%s wrote guest RAM at 0x%x, outside the used rings and the "
                    + "device-writable buffers of every descriptor (queue %d notified)", device.name(), a, q));
        }
    }

    /**
     * Every byte a correct device may write during a call: the used ring (flags, idx, ring, avail_event) of each
     * queue and each buffer a descriptor marks device-writable, directly or in an indirect table (whose own
     * descriptor's WRITE flag does not count, 2.7.5.3.1). Null when such a buffer overlaps what the device reads to
     * find its chains: the device's writes could then make new chains mid-call and the set would be incomplete.
     */
    BitSet allowedWrites() {
        BitSet allowed = new BitSet((int) FuzzRam.END);
        BitSet read = new BitSet((int) FuzzRam.END);
        long work = 0;
        for (Ring r : rings) {
            if (!r.plausible()) {
                continue; // the transport refused it: the queue is not ready
            }
            FuzzRam.allow(allowed, r.used, 6L + 8L * r.size);
            FuzzRam.allow(read, r.desc, 16L * r.size);
            FuzzRam.allow(read, r.avail, 6L + 2L * r.size);
            for (int i = 0; i < r.size; i++) {
                long d = r.desc + 16L * i;
                long addr = mem.getLong(d);
                long len = Integer.toUnsignedLong(mem.getInt(d + 8));
                int flags = mem.getShort(d + 12) & 0xffff;
                if ((flags & Virtqueue.DESC_F_INDIRECT) != 0) {
                    long entries = Math.min(len / 16, FuzzRam.END / 16);
                    if (!FuzzRam.contains(addr, 16 * entries)) {
                        continue;
                    }
                    FuzzRam.allow(read, addr, 16 * entries);
                    work += entries;
                    if (work > 1 << 16) {
                        return null; // thousands of big indirect tables: too slow to work out, left unchecked
                    }
                    for (long j = 0; j < entries; j++) {
                        long e = addr + 16 * j;
                        int ef = mem.getShort(e + 12) & 0xffff;
                        if ((ef & Virtqueue.DESC_F_WRITE) != 0 && (ef & Virtqueue.DESC_F_INDIRECT) == 0) {
                            FuzzRam.allow(allowed, mem.getLong(e), Integer.toUnsignedLong(mem.getInt(e + 8)));
                        }
                    }
                } else if ((flags & Virtqueue.DESC_F_WRITE) != 0) {
                    FuzzRam.allow(allowed, addr, len);
                }
            }
        }
        return allowed.intersects(read) ? null : allowed;
    }

    /** Nothing but the documented guest-error handling: a RuntimeException out of a device is a bug. */
    void assertNoDeviceErrors() {
        if (device instanceof FuzzDevice && ((FuzzDevice) device).failure != null) {
            throw ((FuzzDevice) device).failure;
        }
        long errors = transport.metrics().deviceErrors.get();
        if (errors != 0) {
            throw new AssertionError(device.name() + " threw out of process(): " + transport.lastError());
        }
    }

    /** The register file still answers as a virtio-mmio v2 device of the right type. */
    void assertIdentity() {
        check(driver.read(MmioRegister.MAGIC_VALUE) == MmioRegister.MAGIC, "MagicValue");
        check(driver.read(MmioRegister.VERSION) == 2, "Version");
        check(driver.read(MmioRegister.DEVICE_ID) == device.deviceType(), "DeviceID");
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    @Override
    public void close() {
        transport.close();
    }
}
