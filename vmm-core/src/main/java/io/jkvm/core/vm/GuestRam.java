package io.jkvm.core.vm;

import io.jkvm.core.boot.GuestRange;
import io.jkvm.core.boot.Layout;
import io.jkvm.core.kvm.MmapRegion;
import io.jkvm.core.kvm.VmFd;
import io.jkvm.devices.memory.GuestMemory;

import java.util.ArrayList;
import java.util.List;

/** Guest RAM: one anonymous shared mapping, given to KVM as one memory slot per RAM range of the layout. */
final class GuestRam implements AutoCloseable {
    private final MmapRegion mapping;
    private final GuestMemory memory;

    private GuestRam(MmapRegion mapping, GuestMemory memory) {
        this.mapping = mapping;
        this.memory = memory;
    }

    static GuestRam allocate(VmFd vm, long size) {
        List<GuestRange> ranges = Layout.ramRanges(size);
        MmapRegion mapping = MmapRegion.anonymous(size);
        try {
            List<GuestMemory.Region> regions = new ArrayList<>();
            long offset = 0;
            int slot = 0;
            for (GuestRange r : ranges) {
                vm.setUserMemoryRegion(slot++, 0, r.start(), r.size(), mapping.hostAddress() + offset);
                regions.addAll(mapping.regions(offset, r.size(), r.start()));
                offset += r.size();
            }
            return new GuestRam(mapping, new GuestMemory(regions));
        } catch (RuntimeException e) {
            mapping.close();
            throw e;
        }
    }

    GuestMemory memory() {
        return memory;
    }

    @Override
    public void close() {
        mapping.close();
    }
}
