package io.jkvm.core.vm;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StallWatchTest {
    @Test
    void firesOnceWhenProgressStops() throws InterruptedException {
        AtomicInteger stalls = new AtomicInteger();
        try (StallWatch w = StallWatch.start(100, () -> 7, stalls::incrementAndGet)) {
            Thread.sleep(600);
        }
        assertEquals(1, stalls.get());
    }

    @Test
    void staysQuietWhileProgressMoves() throws InterruptedException {
        AtomicInteger stalls = new AtomicInteger();
        AtomicLong progress = new AtomicLong();
        try (StallWatch w = StallWatch.start(200, progress::incrementAndGet, stalls::incrementAndGet)) {
            Thread.sleep(700);
        }
        assertEquals(0, stalls.get());
    }

    @Test
    void closedBeforeTheStallItNeverFires() throws InterruptedException {
        AtomicInteger stalls = new AtomicInteger();
        StallWatch.start(200, () -> 7, stalls::incrementAndGet).close();
        Thread.sleep(500);
        assertEquals(0, stalls.get());
    }
}
