package io.jkvm.devices.virtio;

import io.jkvm.devices.memory.GuestMemory;

import java.util.function.ToIntFunction;

/**
 * The page a read-only KVM memory slot maps over a transport's 4 KiB window, so that register reads need no exit:
 * it holds what a read of each readable register (4.2.2) and of configuration space would return. The transport
 * renders it after each register write and each change of interrupt status, before the irqfd fires, with its lock
 * held. Guest writes to the window still exit, or go to an ioeventfd ({@link Doorbells}).
 */
final class RegisterPage {
    /** The registers a driver reads (4.2.2), InterruptStatus aside. */
    static final MmioRegister[] READABLE = {MmioRegister.MAGIC_VALUE, MmioRegister.VERSION,
            MmioRegister.DEVICE_ID, MmioRegister.VENDOR_ID, MmioRegister.DEVICE_FEATURES, MmioRegister.QUEUE_NUM_MAX,
            MmioRegister.QUEUE_READY, MmioRegister.STATUS, MmioRegister.CONFIG_GENERATION, MmioRegister.SHM_LEN_LOW,
            MmioRegister.SHM_LEN_HIGH, MmioRegister.SHM_BASE_LOW, MmioRegister.SHM_BASE_HIGH,
            MmioRegister.QUEUE_RESET};
    /** Configuration space mirrored: more than any of our devices has (virtio-blk's is the largest, 60 bytes). */
    static final int CONFIG_BYTES = 256;

    private final GuestMemory page;
    private final byte[] config = new byte[CONFIG_BYTES];

    RegisterPage(GuestMemory page) {
        if (page.size() < MmioTransport.WINDOW_SIZE) {
            throw new IllegalArgumentException("the register page must cover the 4 KiB window");
        }
        this.page = page;
    }

    /** Writes every readable register (registers gives a read's value), configuration space and interruptStatus. */
    void render(ToIntFunction<MmioRegister> registers, VirtioDevice device, int interruptStatus) {
        for (MmioRegister r : READABLE) {
            page.putInt(r.offset(), registers.applyAsInt(r));
        }
        device.readConfig(0, config, config.length);
        page.write(MmioRegister.CONFIG_OFFSET, config, 0, config.length);
        renderInterruptStatus(interruptStatus);
    }

    /** Release: the page holds the new status before the interrupt that makes the guest read it. */
    void renderInterruptStatus(int interruptStatus) {
        page.putIntRelease(MmioRegister.INTERRUPT_STATUS.offset(), interruptStatus);
    }
}
