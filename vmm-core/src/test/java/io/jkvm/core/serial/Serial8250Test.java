package io.jkvm.core.serial;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Serial8250Test {
    private final AtomicInteger irqs = new AtomicInteger();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Serial8250 uart = new Serial8250(irqs::incrementAndGet, out);

    @Test
    void transmitsBytesToTheOutput() {
        for (byte b : "hi\n".getBytes()) {
            uart.write(0, 1, b);
        }
        assertEquals("hi\n", out.toString());
        assertEquals(3, uart.bytesOut());
    }

    @Test
    void thrEmptyInterruptIsRaisedOnEnableAndAcknowledgedByReadingIir() {
        uart.write(1, 1, 0x02); // IER: THRE
        assertEquals(1, irqs.get());
        assertEquals(0xc2, uart.read(2, 1)); // IIR: FIFO bits + THR empty
        assertEquals(0xc1, uart.read(2, 1)); // acknowledged: no interrupt pending
        uart.write(0, 1, 'x');
        assertEquals(2, irqs.get());
    }

    @Test
    void receivedBytesRaiseDataReadyAndAreReadInOrder() {
        uart.write(1, 1, 0x01); // IER: RDA
        assertEquals(0x60, uart.read(5, 1)); // LSR: THR empty + idle, no data
        assertTrue(uart.receive((byte) 'a'));
        uart.receive((byte) 'b');
        assertEquals(1, irqs.get(), "one edge for the FIFO going non-empty");
        assertEquals(0x61, uart.read(5, 1));
        assertEquals(0xc4, uart.read(2, 1));
        assertEquals('a', uart.read(0, 1));
        assertEquals('b', uart.read(0, 1));
        assertEquals(0x60, uart.read(5, 1));
        assertEquals(0xc1, uart.read(2, 1));
    }

    @Test
    void inputWaitsUntilTheDriverEnablesDataReadyOutsideLoopback() {
        assertFalse(uart.receive((byte) 'a'), "IER off: not yet");
        uart.write(4, 1, 0x18); // MCR: loopback + OUT2, as the driver's probe does
        uart.write(1, 1, 0x01);
        assertFalse(uart.receive((byte) 'a'), "loopback: the line is not connected");
        uart.write(4, 1, 0x08);
        assertTrue(uart.receive((byte) 'a'));
        assertEquals('a', uart.read(0, 1));
        assertEquals(0, uart.bytesDropped(), "held bytes are not dropped ones");
    }

    @Test
    void noInterruptWithoutOut2() {
        uart.write(4, 1, 0x00); // MCR: OUT2 off
        uart.write(1, 1, 0x03);
        uart.receive((byte) 'a');
        assertEquals(0, irqs.get());
    }

    @Test
    void divisorLatchShadowsDataAndIer() {
        uart.write(3, 1, 0x83); // DLAB on
        uart.write(0, 1, 0x01);
        uart.write(1, 1, 0x00);
        assertEquals(0x01, uart.read(0, 1));
        uart.write(3, 1, 0x03); // DLAB off
        assertEquals(0, uart.read(1, 1));
        assertEquals(0, out.size(), "divisor writes are not transmitted");
    }

    @Test
    void loopbackEchoesTransmitAndMirrorsModemControl() {
        uart.write(4, 1, 0x1f); // LOOP + OUT2 + OUT1 + RTS + DTR
        assertEquals(0xf0, uart.read(6, 1));
        uart.write(0, 1, 0x55);
        assertEquals(0x55, uart.read(0, 1));
        assertEquals(0, out.size());
    }

    @Test
    void scratchRegisterHoldsAValue() {
        uart.write(7, 1, 0xa5);
        assertEquals(0xa5, uart.read(7, 1));
    }
}
