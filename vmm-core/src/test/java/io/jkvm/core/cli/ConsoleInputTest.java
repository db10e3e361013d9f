package io.jkvm.core.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsoleInputTest {
    private final ByteArrayOutputStream got = new ByteArrayOutputStream();
    private final AtomicBoolean quit = new AtomicBoolean();

    private void pump(byte[] in, boolean interactive) {
        new ConsoleInput(new ByteArrayInputStream(in), b -> {
            got.write(b);
            return true;
        }, interactive, () -> quit.set(true)).run();
    }

    @Test
    void pipedInputPassesEveryByte() {
        byte[] in = {'a', 1, 'x', '\n'};
        pump(in, false);
        assertArrayEquals(in, got.toByteArray());
        assertFalse(quit.get());
    }

    /** Quitting does not wait for the guest to take what was typed before: "ls" may or may not have gone. */
    @Test
    void ctrlAXQuitsOnATerminal() {
        pump(new byte[] {'l', 's', 1, 'x', 'z'}, true);
        assertTrue("ls".startsWith(got.toString(java.nio.charset.StandardCharsets.US_ASCII)), got.toString());
        assertTrue(quit.get());
    }

    @Test
    void ctrlACtrlASendsOneCtrlA() {
        pump(new byte[] {1, 1, 'q'}, true);
        assertArrayEquals(new byte[] {1, 'q'}, got.toByteArray());
        assertFalse(quit.get());
    }

    /** The 8250 before its driver enables the receive interrupt refuses every byte: the escape behind them works. */
    @Test
    void ctrlAXQuitsWhileTheGuestRefusesEveryByte() {
        ConsoleInput input = new ConsoleInput(new ByteArrayInputStream(new byte[] {'l', 's', '\n', 1, 'x'}),
                b -> false, true, () -> quit.set(true));
        assertTimeoutPreemptively(Duration.ofSeconds(10), input::run);
        assertTrue(quit.get());
        assertEquals(0, input.dropped(), "three bytes fit in the backlog");
    }

    @Test
    void aFullBacklogDropsAndCountsTypedBytesAndStillSeesTheEscape() {
        byte[] in = new byte[ConsoleInput.BACKLOG + 100 + 2];
        Arrays.fill(in, (byte) 'a');
        in[in.length - 2] = 1;
        in[in.length - 1] = 'x';
        ConsoleInput input = new ConsoleInput(new ByteArrayInputStream(in), b -> false, true, () -> quit.set(true));
        assertTimeoutPreemptively(Duration.ofSeconds(10), input::run);
        assertTrue(quit.get());
        assertEquals(100, input.dropped());
    }

    /** Piped input has no escape to watch for: it waits for the guest, in order, and loses nothing. */
    @Test
    void pipedInputWaitsForASlowGuestAndLosesNothing() {
        byte[] in = new byte[3 * ConsoleInput.BACKLOG];
        for (int i = 0; i < in.length; i++) {
            in[i] = (byte) (i * 7);
        }
        AtomicInteger offers = new AtomicInteger();
        ConsoleInput input = new ConsoleInput(new ByteArrayInputStream(in), b -> {
            int n = offers.incrementAndGet();
            if (n < 20 || n % 50_000 == 0) {
                return false; // not ready at first, and now and then a full FIFO
            }
            got.write(b);
            return true;
        }, false, () -> quit.set(true));
        assertTimeoutPreemptively(Duration.ofSeconds(30), input::run);
        assertArrayEquals(in, got.toByteArray());
        assertEquals(0, input.dropped());
        assertFalse(quit.get());
    }
}
