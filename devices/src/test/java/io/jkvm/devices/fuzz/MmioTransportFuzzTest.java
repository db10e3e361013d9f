package io.jkvm.devices.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.virtio.DeviceStatus;
import io.jkvm.devices.virtio.MmioRegister;
import io.jkvm.devices.virtio.MmioTransport;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The virtio-mmio register file through {@link MmioTransport#read} and {@link MmioTransport#write} only: any offset
 * (inside the window, in configuration space, past the window, negative), any width from 0 to 9 bytes, any value,
 * in any order, with guest RAM that the input fills, so that queues the input makes ready have something to walk.
 * Asserted: no access throws or overruns the bound; a device error is never an exception; the identity registers
 * never change; with a register page, it holds what reads return after every access; and after a reset, Linux's
 * probe and a request work.
 */
@ExtendWith(QuietLogs.class)
class MmioTransportFuzzTest {
    /** Registers a register page mirrors (MmioTransport's READABLE, and InterruptStatus). */
    private static final MmioRegister[] MIRRORED = {MmioRegister.MAGIC_VALUE, MmioRegister.VERSION,
            MmioRegister.DEVICE_ID, MmioRegister.VENDOR_ID, MmioRegister.DEVICE_FEATURES, MmioRegister.QUEUE_NUM_MAX,
            MmioRegister.QUEUE_READY, MmioRegister.STATUS, MmioRegister.CONFIG_GENERATION, MmioRegister.SHM_LEN_LOW,
            MmioRegister.SHM_LEN_HIGH, MmioRegister.SHM_BASE_LOW, MmioRegister.SHM_BASE_HIGH,
            MmioRegister.QUEUE_RESET, MmioRegister.INTERRUPT_STATUS};
    private static final MmioRegister[] REGISTERS = MmioRegister.values();
    private static final GuestMemory PAGE = GuestMemory.allocate((int) MmioTransport.WINDOW_SIZE);

    @FuzzTest
    void registers(FuzzedDataProvider data) throws Throwable {
        Bounded.run("a register input", () -> {
            FuzzDevice device = new FuzzDevice(data.consumeInt(1, 3), 1 << data.consumeInt(0, 8));
            try (FuzzGuest g = new FuzzGuest(device, data)) {
                boolean mirrored = data.consumeBoolean();
                if (mirrored) {
                    PAGE.fill(0, MmioTransport.WINDOW_SIZE, (byte) 0);
                    g.transport.mirrorRegisters(PAGE, io.jkvm.devices.virtio.PageMapping.FIXED);
                }
                for (int i = 0; i < 256 && data.remainingBytes() > 0; i++) {
                    access(g, data);
                    if (mirrored) {
                        assertMirrored(g.transport);
                    }
                }
                for (int q = 0; q < device.queueCount(); q++) {
                    g.transport.write(MmioRegister.QUEUE_NOTIFY.offset(), 4, q);
                }
                g.assertNoDeviceErrors();
                g.assertIdentity();
                VirtqueueFuzzTest.servedAfterReset(g, device);
                if (mirrored) {
                    assertMirrored(g.transport);
                }
            }
        });
    }

    private static void access(FuzzGuest g, FuzzedDataProvider data) {
        MmioTransport t = g.transport;
        int op = data.consumeInt(0, 9);
        if (op == 9) { // the guest writes RAM: descriptors and rings for whatever queue it made ready
            long at = data.consumeLong(0, FuzzRam.END);
            byte[] b = data.consumeBytes(data.consumeInt(1, 64));
            if (FuzzRam.contains(at, b.length)) {
                g.mem.write(at, b, 0, b.length);
            }
            return;
        }
        long offset = offset(data);
        int width = data.consumeInt(0, 3) == 0 ? data.consumeInt(0, 9) : 4;
        if (op < 3) {
            long v = t.read(offset, width);
            if (width == 4 && offset == MmioRegister.MAGIC_VALUE.offset()) {
                FuzzGuest.check(v == MmioRegister.MAGIC, "MagicValue read " + v);
            }
            return;
        }
        long value;
        switch (data.consumeInt(0, 4)) {
            case 0:
                value = data.consumeLong();
                break;
            case 1: // a ring address in RAM
                value = data.consumeLong(0, FuzzRam.END) & ~(long) data.consumeInt(0, 15);
                break;
            case 2: // status bits a driver would set
                value = (DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK
                        | DeviceStatus.DRIVER_OK) & ~(long) data.consumeInt(0, 15);
                break;
            default:
                value = data.consumeInt(0, 8);
        }
        t.write(offset, width, value);
    }

    /** Mostly a register of the file, else config space or any offset at all. */
    private static long offset(FuzzedDataProvider data) {
        switch (data.consumeInt(0, 7)) {
            case 0:
                return data.consumeLong();
            case 1:
                return data.consumeLong(-8, MmioTransport.WINDOW_SIZE + 8);
            case 2:
                return MmioRegister.CONFIG_OFFSET + data.consumeInt(-2, 40);
            default:
                MmioRegister r = REGISTERS[data.consumeInt(0, REGISTERS.length - 2)]; // not UNKNOWN
                return r.offset();
        }
    }

    private static void assertMirrored(MmioTransport t) {
        for (MmioRegister r : MIRRORED) {
            int page = PAGE.getInt(r.offset());
            int read = (int) t.read(r.offset(), 4);
            FuzzGuest.check(page == read, String.format("register page holds 0x%x for %s, a read returns 0x%x",
                    page, r.specName(), read));
        }
        for (int o = 0; o < 24; o += 4) {
            int page = PAGE.getInt(MmioRegister.CONFIG_OFFSET + o);
            int read = (int) t.read(MmioRegister.CONFIG_OFFSET + o, 4);
            FuzzGuest.check(page == read, "register page config byte " + o + " differs from a read");
        }
    }
}
