package io.jkvm.devices.testing;

import io.jkvm.devices.virtio.DoorbellRegistrar;
import io.netty.channel.epoll.Native;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stands in for KVM_IOEVENTFD: takes every doorbell, remembers (address, datamatch) → fd, and {@link #ring} writes the
 * fd as KVM does when the guest writes datamatch to address.
 */
public final class RecordingRegistrar implements DoorbellRegistrar {
    public record Registration(long address, int datamatch, int fd) {
    }

    private final Map<Long, Registration> live = new ConcurrentHashMap<>();
    private final List<Registration> unregistered = new ArrayList<>();

    private static long key(long address, int datamatch) {
        return address * 65537 + datamatch;
    }

    @Override
    public boolean register(long address, int datamatch, int eventFd) {
        live.put(key(address, datamatch), new Registration(address, datamatch, eventFd));
        return true;
    }

    @Override
    public synchronized void unregister(long address, int datamatch, int eventFd) {
        Registration r = live.remove(key(address, datamatch));
        if (r != null) {
            if (r.fd() != eventFd) {
                throw new IllegalStateException("unregister with fd " + eventFd + ", registered " + r.fd());
            }
            unregistered.add(r);
        }
    }

    /** The live registration for (address, datamatch), or null. */
    public Registration registration(long address, int datamatch) {
        return live.get(key(address, datamatch));
    }

    public synchronized List<Registration> unregistered() {
        return new ArrayList<>(unregistered);
    }

    /** What KVM does on a matching guest write: returns false when no doorbell is registered there. */
    public boolean ring(long address, int datamatch) {
        Registration r = live.get(key(address, datamatch));
        if (r == null) {
            return false;
        }
        Native.eventFdWrite(r.fd(), 1);
        return true;
    }
}
