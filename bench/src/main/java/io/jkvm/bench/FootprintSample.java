package io.jkvm.bench;

/** The footprint of one VMM variant: vms VMs of memoryMib each running at once, per VM (the mean). */
record FootprintSample(String variant, int vms, long memoryMib, double rssKib, double ownRssKib, double pssKib,
                       double ownPssKib, double threads) {
}
