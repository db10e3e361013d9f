package io.jkvm.core.vm;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AddressCountsTest {
    @Test
    void countsEachAddress() {
        AddressCounts c = new AddressCounts();
        c.increment(0xd000_0050L);
        c.increment(0xd000_0050L);
        c.increment(0x3f8);
        assertEquals(Map.of(0x3f8L, 1L, 0xd000_0050L, 2L), c.toMap());
        assertEquals(0, c.other());
    }

    /** A guest sweeping a million unbacked addresses: the table stops at TRACKED, the rest is one bucket. */
    @Test
    void aSweepOverDistinctAddressesStaysBounded() {
        AddressCounts c = new AddressCounts();
        long first = 0xc000_0000L;
        int n = 1_000_000;
        for (int i = 0; i < n; i++) {
            c.increment(first + i);
        }
        assertEquals(AddressCounts.TRACKED, c.tracked());
        assertEquals(AddressCounts.TRACKED, c.toMap().size());
        assertEquals(n - AddressCounts.TRACKED, c.other());
        c.increment(first); // an address in the table still counts there
        assertEquals(2L, c.toMap().get(first));
        long sum = c.toMap().values().stream().mapToLong(Long::longValue).sum() + c.other();
        assertEquals(n + 1, sum, "every exit is counted once");
    }
}
