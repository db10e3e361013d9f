package io.jkvm.devices.virtio;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PollWindowTest {
    static final long CAP = 50_000;

    @Test
    void growsFromFourMicrosecondsWhileTheNextRequestComesJustAfterTheWindowUpToTheCap() {
        PollWindow w = new PollWindow(CAP);
        assertEquals(0, w.nanos(), "no polling until a quiet spell shorter than the cap was seen");
        long[] expected = {4_000, 8_000, 16_000, 32_000, 50_000, 50_000};
        for (long e : expected) {
            w.blocked(45_000); // after the window, within the cap
            assertEquals(e, w.nanos());
        }
    }

    @Test
    void keepsTheWindowWhenItCaughtTheRequest() {
        PollWindow w = grown(16_000);
        w.blocked(3_000);
        w.blocked(16_000);
        assertEquals(16_000, w.nanos());
    }

    @Test
    void halvesWhenTheQueueSleptLongerThanTheCapAndStopsBelowTheStart() {
        PollWindow w = grown(32_000);
        w.blocked(1_000_000);
        assertEquals(16_000, w.nanos());
        w.blocked(CAP + 1);
        assertEquals(8_000, w.nanos());
        w.blocked(CAP + 1);
        assertEquals(4_000, w.nanos());
        w.blocked(CAP + 1);
        assertEquals(0, w.nanos());
        w.blocked(CAP + 1);
        assertEquals(0, w.nanos());
    }

    @Test
    void aCapOfZeroOrASingleCpuHostNeverPolls() {
        PollWindow off = new PollWindow(0);
        off.blocked(10);
        off.blocked(1_000);
        assertEquals(0, off.nanos());
        assertEquals(0, PollWindow.forHost(CAP, 1));
        assertEquals(CAP, PollWindow.forHost(CAP, 2));
    }

    @Test
    void aCapBelowTheStartIsTheWindow() {
        PollWindow w = new PollWindow(1_000);
        w.blocked(500);
        assertEquals(1_000, w.nanos());
    }

    private static PollWindow grown(long target) {
        PollWindow w = new PollWindow(CAP);
        while (w.nanos() < target) {
            w.blocked(w.nanos() + 1);
        }
        assertEquals(target, w.nanos());
        return w;
    }
}
