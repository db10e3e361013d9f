package io.jkvm.devices.virtio;

import io.jkvm.devices.memory.GuestMemory;

import java.lang.invoke.VarHandle;
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
    private final PageMapping mapping;
    private final byte[] config = new byte[CONFIG_BYTES];

    RegisterPage(GuestMemory page, PageMapping mapping) {
        if (page.size() < MmioTransport.WINDOW_SIZE) {
            throw new IllegalArgumentException("the register page must cover the 4 KiB window");
        }
        this.page = page;
        this.mapping = mapping;
    }

    /**
     * Writes every readable register (registers gives a read's value), configuration space and interruptStatus.
     * ConfigGeneration goes after configuration space, with release: a driver that reads the new generation reads
     * the configuration it names (see {@link #beginConfigChange}).
     */
    void render(ToIntFunction<MmioRegister> registers, VirtioDevice device, int interruptStatus) {
        for (MmioRegister r : READABLE) {
            if (r != MmioRegister.CONFIG_GENERATION) {
                page.putInt(r.offset(), registers.applyAsInt(r));
            }
        }
        device.readConfig(0, config, config.length);
        page.write(MmioRegister.CONFIG_OFFSET, config, 0, config.length);
        page.putIntRelease(MmioRegister.CONFIG_GENERATION.offset(), registers.applyAsInt(MmioRegister.CONFIG_GENERATION));
        renderInterruptStatus(interruptStatus);
    }

    /**
     * Before configuration space changes (lock held). The driver reads ConfigGeneration, the fields, and
     * ConfigGeneration again, and retries when the two differ (2.5.1, 4.2.2.2). Generations alone cannot make a
     * multi-word change look atomic to a reader of plain memory: a reader whose four reads all fall inside the
     * change sees one generation twice around a half-written field. So the page is taken away first: a read that
     * comes during the change exits and waits for the transport's lock, and one that came before read the old
     * generation, which has moved by the time the page is back. The generation shown changes here and again after
     * the new bytes (in {@link #render}, after configuration space), as the spec's loop expects.
     */
    void beginConfigChange(int generation) {
        mapping.unmap();
        page.putIntRelease(MmioRegister.CONFIG_GENERATION.offset(), generation);
        VarHandle.storeStoreFence(); // the configuration bytes written next stay after it
    }

    /** After the change is rendered: the page is shown again. */
    void endConfigChange() {
        mapping.map();
    }

    /** Release: the page holds the new status before the interrupt that makes the guest read it. */
    void renderInterruptStatus(int interruptStatus) {
        page.putIntRelease(MmioRegister.INTERRUPT_STATUS.offset(), interruptStatus);
    }
}
