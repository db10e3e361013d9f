package io.jkvm.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LineSplitterTest {
    @Test
    void splitsOnNewlinesAndEchoesEveryByte() throws IOException {
        List<String> lines = new ArrayList<>();
        ByteArrayOutputStream echo = new ByteArrayOutputStream();
        LineSplitter s = new LineSplitter(lines::add, echo);
        byte[] text = "one\r\ntwo\nthr".getBytes(StandardCharsets.US_ASCII);
        for (byte b : text) {
            s.write(b); // the 8250 writes byte by byte
        }
        assertEquals(List.of("one\r", "two"), lines);
        s.close();
        assertEquals(List.of("one\r", "two", "thr"), lines);
        assertEquals("one\r\ntwo\nthr", echo.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void anOverlongLineIsPassedOnInPieces() throws IOException {
        List<String> lines = new ArrayList<>();
        LineSplitter s = new LineSplitter(lines::add, null);
        s.write(("x".repeat(LineSplitter.MAX_LINE + 3) + "\n").getBytes(StandardCharsets.US_ASCII));
        assertEquals(2, lines.size());
        assertEquals(LineSplitter.MAX_LINE, lines.get(0).length());
        assertEquals("xxx", lines.get(1));
    }
}
