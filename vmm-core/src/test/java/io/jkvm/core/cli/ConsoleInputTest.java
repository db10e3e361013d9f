package io.jkvm.core.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsoleInputTest {
    private final ByteArrayOutputStream got = new ByteArrayOutputStream();
    private final AtomicBoolean quit = new AtomicBoolean();

    private void pump(byte[] in, boolean interactive) {
        new ConsoleInput(new ByteArrayInputStream(in), got::write, interactive, () -> quit.set(true)).run();
    }

    @Test
    void pipedInputPassesEveryByte() {
        byte[] in = {'a', 1, 'x', '\n'};
        pump(in, false);
        assertArrayEquals(in, got.toByteArray());
        assertFalse(quit.get());
    }

    @Test
    void ctrlAXQuitsOnATerminal() {
        pump(new byte[] {'l', 's', 1, 'x', 'z'}, true);
        assertArrayEquals(new byte[] {'l', 's'}, got.toByteArray());
        assertTrue(quit.get());
    }

    @Test
    void ctrlACtrlASendsOneCtrlA() {
        pump(new byte[] {1, 1, 'q'}, true);
        assertArrayEquals(new byte[] {1, 'q'}, got.toByteArray());
        assertFalse(quit.get());
    }
}
