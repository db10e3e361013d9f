package io.jkvm.api.config;

import java.util.Set;

/**
 * PUT /network-interfaces/{iface_id}, and an element of "network-interfaces": parsed in full so that a bad body gets
 * its precise 400 like any other, then refused as a whole while jkvm has no virtio-net device.
 */
public record NetworkInterface(String id, String hostDevName, String guestMac) {
    static final Set<String> FIELDS = Set.of("iface_id", "host_dev_name", "guest_mac", "mtu", "rx_rate_limiter",
            "tx_rate_limiter");

    public static NetworkInterface from(JsonBody b) {
        b.allow(FIELDS);
        String id = b.nonEmptyString("iface_id", true);
        String host = b.nonEmptyString("host_dev_name", true);
        String mac = b.string("guest_mac", false);
        b.integer("mtu", false, 68, 65535, 1500);
        throw new BadRequest(b.where() + ": network interface '" + id + "' on " + host + " cannot be added: "
                + "jkvm has no virtio-net device yet");
    }
}
