package io.jkvm.devices.net;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class VirtioNetHeaderTest {
    static final long ALL = 1L << VirtioNet.F_CSUM | 1L << VirtioNet.F_HOST_TSO4 | 1L << VirtioNet.F_HOST_TSO6;

    @Test
    void buildsAndParsesTheLittleEndianLayoutOf5_1_6() {
        VirtioNetHeader h = new VirtioNetHeader();
        h.flags = VirtioNetHeader.F_NEEDS_CSUM;
        h.gsoType = VirtioNetHeader.GSO_TCPV6;
        h.hdrLen = 0x1234;
        h.gsoSize = 1440;
        h.csumStart = 54;
        h.csumOffset = 16;
        h.numBuffers = 0x0203;
        byte[] b = new byte[14];
        h.build(b, 2);
        assertArrayEquals(new byte[] {0, 0, 1, 4, 0x34, 0x12, (byte) 0xa0, 0x05, 54, 0, 16, 0, 3, 2}, b);
        VirtioNetHeader p = new VirtioNetHeader().parse(b, 2);
        assertEquals(1, p.flags);
        assertEquals(4, p.gsoType);
        assertEquals(0x1234, p.hdrLen);
        assertEquals(1440, p.gsoSize);
        assertEquals(54, p.csumStart);
        assertEquals(16, p.csumOffset);
        assertEquals(0x0203, p.numBuffers);
        assertEquals(true, p.isGso());
    }

    VirtioNetHeader tx(int flags, int gso, int gsoSize, int csumStart, int csumOffset) {
        VirtioNetHeader h = new VirtioNetHeader().clear();
        h.flags = flags;
        h.gsoType = gso;
        h.gsoSize = gsoSize;
        h.csumStart = csumStart;
        h.csumOffset = csumOffset;
        return h;
    }

    @Test
    void acceptsWhatTheDriverNegotiated() {
        assertNull(tx(0, 0, 0, 0, 0).transmitError(0, 60));
        assertNull(tx(1, 0, 0, 34, 16).transmitError(ALL, 60));
        assertNull(tx(1, VirtioNetHeader.GSO_TCPV4, 1448, 34, 16).transmitError(ALL, 65000));
        assertNull(tx(1, VirtioNetHeader.GSO_TCPV6, 1428, 54, 16).transmitError(ALL, 65000));
    }

    @Test
    void refusesOffloadsTheDriverDidNotNegotiate() {
        assertNotNull(tx(1, 0, 0, 34, 16).transmitError(0, 60));
        assertNotNull(tx(1, VirtioNetHeader.GSO_TCPV4, 1448, 34, 16).transmitError(1L << VirtioNet.F_CSUM, 9000));
        assertNotNull(tx(1, VirtioNetHeader.GSO_TCPV6, 1448, 54, 16).transmitError(
                1L << VirtioNet.F_CSUM | 1L << VirtioNet.F_HOST_TSO4, 9000));
    }

    @Test
    void refusesMalformedHeaders() {
        assertNotNull(tx(VirtioNetHeader.F_DATA_VALID, 0, 0, 0, 0).transmitError(ALL, 60), "device-only flag");
        assertNotNull(tx(0x80, 0, 0, 0, 0).transmitError(ALL, 60), "unknown flag");
        assertNotNull(tx(1, 0, 0, 50, 9).transmitError(ALL, 60), "checksum field past the frame");
        assertNotNull(tx(1, 0, 0, 0xffff, 0xffff).transmitError(ALL, 60), "checksum field far past the frame");
        assertNotNull(tx(1, VirtioNetHeader.GSO_UDP, 1400, 34, 6).transmitError(ALL, 9000), "UFO not offered");
        assertNotNull(tx(1, 9, 1400, 34, 6).transmitError(ALL, 9000), "unknown gso_type");
        assertNotNull(tx(1, VirtioNetHeader.GSO_TCPV4 | VirtioNetHeader.GSO_ECN, 1448, 34, 16)
                .transmitError(ALL, 9000), "ECN not offered");
        assertNotNull(tx(0, VirtioNetHeader.GSO_TCPV4, 1448, 0, 0).transmitError(ALL, 9000), "GSO without csum");
        assertNotNull(tx(1, VirtioNetHeader.GSO_TCPV4, 0, 34, 16).transmitError(ALL, 9000), "gso_size 0");
        assertNotNull(tx(0, VirtioNetHeader.GSO_ECN, 0, 0, 0).transmitError(ALL, 60), "ECN alone");
    }
}
