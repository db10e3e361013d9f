package io.jkvm.api.config;

import java.util.Set;

/** PUT /entropy, and "entropy" of the configuration file: a virtio-rng device (jkvm's --rng). */
public final class Entropy {
    static final Set<String> FIELDS = Set.of("rate_limiter");

    private Entropy() {
    }

    public static void from(JsonBody b) {
        b.allow(FIELDS);
        if (b.has("rate_limiter")) {
            throw new BadRequest(b.where() + ": field 'rate_limiter' is given: jkvm does not rate-limit the entropy "
                    + "device yet; leave it out");
        }
    }
}
