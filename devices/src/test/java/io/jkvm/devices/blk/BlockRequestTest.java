package io.jkvm.devices.blk;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.DriverQueue.Buf;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.testing.TestDevice;
import io.jkvm.devices.virtio.DescriptorChain;
import io.jkvm.devices.virtio.DoorbellRegistrar;
import io.jkvm.devices.virtio.MmioTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.jkvm.devices.testing.DriverQueue.readable;
import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The parser alone, on chains popped from a real queue. */
class BlockRequestTest {
    static final long CAPACITY = 100;

    EventLoop loop;
    GuestMemory mem;
    TestDevice device;
    MmioTransport transport;
    MmioDriver driver;
    DriverQueue q;
    final BlockRequest request = new BlockRequest();

    @BeforeEach
    void setUp() {
        loop = new EventLoop("test-loop");
        mem = GuestMemory.allocate(1 << 20);
        device = new TestDevice(1, 16);
        transport = new MmioTransport(device, mem, 0, new CountingIrq(), DoorbellRegistrar.EXIT, loop);
        driver = new MmioDriver(transport, mem);
        q = driver.start(0, 16)[0];
    }

    @AfterEach
    void tearDown() {
        transport.close();
        loop.close();
    }

    long header(int type, long sector) {
        long h = driver.alloc(16, 8);
        mem.putInt(h, type);
        mem.putLong(h + 8, sector);
        return h;
    }

    DescriptorChain post(Buf... bufs) throws Exception {
        q.addChain(bufs);
        return device.context().queue(0).pop();
    }

    BlockRequestException.Kind failure(Buf... bufs) throws Exception {
        DescriptorChain c = post(bufs);
        return assertThrows(BlockRequestException.class, () -> request.parse(c, CAPACITY)).kind();
    }

    @Test
    void parsesInOutFlushGetId() throws Exception {
        long data = driver.alloc(1024, 8);
        long status = driver.alloc(1, 1);
        request.parse(post(readable(header(BlockRequest.T_IN, 7), 16), writable(data, 1024), writable(status, 1)),
                CAPACITY);
        assertEquals(BlockRequest.T_IN, request.type());
        assertEquals(7, request.sector());
        assertEquals(7 * 512, request.offset());
        assertEquals(1024, request.dataLength());
        assertEquals(1024, request.statusOffset());

        request.parse(post(readable(header(BlockRequest.T_OUT, 98), 16), readable(data, 1024), writable(status, 1)),
                CAPACITY);
        assertEquals(BlockRequest.T_OUT, request.type());
        assertEquals(16, request.dataOffset());
        assertEquals(1024, request.dataLength());

        request.parse(post(readable(header(BlockRequest.T_FLUSH, 0), 16), writable(status, 1)), CAPACITY);
        assertEquals(0, request.dataLength());

        request.parse(post(readable(header(BlockRequest.T_GET_ID, 0), 16), writable(data, 64), writable(status, 1)),
                CAPACITY);
        assertEquals(BlockRequest.ID_BYTES, request.dataLength());
    }

    @Test
    void errorKindsAndTheirStatus() throws Exception {
        long data = driver.alloc(1024, 8);
        long status = driver.alloc(1, 1);
        assertEquals(BlockRequestException.Kind.NO_STATUS_BYTE,
                failure(readable(header(BlockRequest.T_FLUSH, 0), 16)));
        assertEquals(BlockRequestException.Kind.HEADER_TOO_SHORT,
                failure(readable(header(BlockRequest.T_IN, 0), 15), writable(status, 1)));
        assertEquals(BlockRequestException.Kind.DATA_NOT_SECTOR_MULTIPLE,
                failure(readable(header(BlockRequest.T_IN, 0), 16), writable(data, 513), writable(status, 1)));
        assertEquals(BlockRequestException.Kind.OUT_OF_RANGE,
                failure(readable(header(BlockRequest.T_OUT, 99), 16), readable(data, 1024), writable(status, 1)));
        assertEquals(BlockRequestException.Kind.OUT_OF_RANGE,
                failure(readable(header(BlockRequest.T_IN, 0x8000_0000_0000_0000L), 16), writable(data, 512),
                        writable(status, 1)));
        assertEquals(BlockRequestException.Kind.UNSUPPORTED_TYPE,
                failure(readable(header(13, 0), 16), writable(status, 1)));
        assertEquals(-1, BlockRequestException.Kind.NO_STATUS_BYTE.status());
        assertEquals(BlockRequest.S_IOERR, BlockRequestException.Kind.OUT_OF_RANGE.status());
        assertEquals(BlockRequest.S_UNSUPP, BlockRequestException.Kind.UNSUPPORTED_TYPE.status());
    }
}
