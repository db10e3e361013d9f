package io.jkvm.devices.virtio;

/**
 * How the VMM shows a register page to the guest (a read-only KVM memory slot over the window). While it is taken
 * away, guest reads of the window exit and are served by {@link MmioTransport#read} under the transport's lock.
 * Both calls return only once no vCPU can still read through the previous state (KVM_SET_USER_MEMORY_REGION waits
 * for its readers), which is what makes a configuration change look atomic to a guest reading the page.
 */
public interface PageMapping {
    /** Takes the page away: guest reads of the window exit from now on. */
    void unmap();

    /** Puts the page back over the window. */
    void map();

    /** For a page that no guest reads while it changes (tests that read it from one thread). */
    PageMapping FIXED = new PageMapping() {
        @Override
        public void unmap() {
        }

        @Override
        public void map() {
        }
    };
}
