package io.jkvm.core.kvm;

import io.jkvm.core.kvm.RealModeGuest.Exit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static io.jkvm.core.kvm.RealModeGuest.CODE;
import static io.jkvm.core.kvm.RealModeGuest.DATA_SEGMENT_BASE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * KVM_IOEVENTFD as Documentation/virt/kvm/api.rst (4.59) describes it, on a real VM: "A guest write in the registered
 * address will signal the provided event instead of triggering an exit"; with DATAMATCH "the event will be signaled
 * only if the written value to the registered address is equal to datamatch"; len is "0, 1, 2, 4, or 8 bytes"
 * (0 only with KVM_CAP_IOEVENTFD_ANY_LENGTH). A write the ioeventfd does not take (other value, other length, after
 * DEASSIGN) must still reach userspace as KVM_EXIT_IO / KVM_EXIT_MMIO with its address, size and data.
 */
@Tag("guest")
class IoEventFdGuestTest {
    private static final int PORT = 0x500;
    private static final int MMIO_OFFSET = 0x40;
    private static final long MMIO = DATA_SEGMENT_BASE + MMIO_OFFSET;

    private RealModeGuest guest;
    private EventFd event;

    @BeforeEach
    void start() {
        guest = new RealModeGuest(false);
        event = new EventFd(LibC.EFD_NONBLOCK);
    }

    @AfterEach
    void stop() {
        guest.close();
        event.close();
    }

    /** Distinct bytes, so that a truncated or misplaced value shows. */
    private static long value(int size) {
        long v = 0x8877665544332211L;
        return size == 8 ? v : v & ((1L << (8 * size)) - 1);
    }

    /** A write size the ioeventfd of this size must not take. */
    private static int otherSize(int size) {
        return size == 1 ? 2 : size == 2 ? 4 : size == 4 ? 2 : 4;
    }

    @ParameterizedTest(name = "PIO, {0} bytes, datamatch")
    @ValueSource(ints = {1, 2, 4})
    void pioWithDatamatchSignalsOnlyTheMatchingValue(int size) {
        long v = value(size);
        int other = otherSize(size);
        guest.vm.registerIoevent(event.fd(), IoEventAddress.pio(PORT), size, v);
        guest.load(new Asm16(CODE).out(PORT, size, v).out(PORT, size, v ^ 0xff).out(PORT, other, value(other))
                .out(PORT, size, v).hlt().build());

        assertEquals(List.of(Exit.io(PORT, size, v ^ 0xff), Exit.io(PORT, other, value(other))),
                guest.exitsUntilHlt());
        assertEquals(2, event.read(), "both matching writes signalled, neither exited");
    }

    @ParameterizedTest(name = "PIO, {0} bytes, any value")
    @ValueSource(ints = {1, 2, 4})
    void pioWithoutDatamatchSignalsEveryValueOfItsLength(int size) {
        long v = value(size);
        int other = otherSize(size);
        guest.vm.registerIoevent(event.fd(), IoEventAddress.pio(PORT), size);
        guest.load(new Asm16(CODE).out(PORT, size, v).out(PORT, size, v ^ 0xff).out(PORT, other, value(other))
                .out(PORT + 1, size, v).hlt().build());

        assertEquals(List.of(Exit.io(PORT, other, value(other)), Exit.io(PORT + 1, size, v)), guest.exitsUntilHlt());
        assertEquals(2, event.read());
    }

    @Test
    void pioOfEightBytesIsAcceptedButNoPortWriteMatchesIt() {
        // api.rst allows len 8 for any ioeventfd and the kernel accepts it on the PIO bus, but in/out move at most
        // 4 bytes, so every port write has another length and exits.
        guest.vm.registerIoevent(event.fd(), IoEventAddress.pio(PORT), 8);
        try (EventFd matching = new EventFd(LibC.EFD_NONBLOCK)) {
            guest.vm.registerIoevent(matching.fd(), IoEventAddress.pio(PORT + 4), 8, value(4));
            guest.load(new Asm16(CODE).out(PORT, 1, 1).out(PORT, 2, 2).out(PORT, 4, 4).out(PORT + 4, 4, value(4))
                    .hlt().build());

            assertEquals(List.of(Exit.io(PORT, 1, 1), Exit.io(PORT, 2, 2), Exit.io(PORT, 4, 4),
                    Exit.io(PORT + 4, 4, value(4))), guest.exitsUntilHlt());
            assertEquals(0, event.read());
            assertEquals(0, matching.read());
        }
    }

    @ParameterizedTest(name = "MMIO, {0} bytes, datamatch")
    @ValueSource(ints = {1, 2, 4, 8})
    void mmioWithDatamatchSignalsOnlyTheMatchingValue(int size) {
        long v = value(size);
        int other = otherSize(size);
        guest.vm.registerIoevent(event.fd(), IoEventAddress.mmio(MMIO), size, v);
        guest.load(new Asm16(CODE).store(MMIO_OFFSET, size, v).store(MMIO_OFFSET, size, v ^ 0xff)
                .store(MMIO_OFFSET, other, value(other)).store(MMIO_OFFSET, size, v).hlt().build());

        assertEquals(List.of(Exit.mmioWrite(MMIO, size, v ^ 0xff), Exit.mmioWrite(MMIO, other, value(other))),
                guest.exitsUntilHlt());
        assertEquals(2, event.read());
    }

    @ParameterizedTest(name = "MMIO, {0} bytes, any value")
    @ValueSource(ints = {1, 2, 4, 8})
    void mmioWithoutDatamatchSignalsEveryValueOfItsLength(int size) {
        long v = value(size);
        int other = otherSize(size);
        guest.vm.registerIoevent(event.fd(), IoEventAddress.mmio(MMIO), size);
        guest.load(new Asm16(CODE).store(MMIO_OFFSET, size, v).store(MMIO_OFFSET, size, v ^ 0xff)
                .store(MMIO_OFFSET, other, value(other)).store(MMIO_OFFSET + 8, size, v).hlt().build());

        assertEquals(List.of(Exit.mmioWrite(MMIO, other, value(other)), Exit.mmioWrite(MMIO + 8, size, v)),
                guest.exitsUntilHlt());
        assertEquals(2, event.read());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"PIO", "MMIO"})
    void deassignedWritesExitAgain(String space) {
        boolean pio = space.equals("PIO");
        IoEventAddress address = pio ? IoEventAddress.pio(PORT) : IoEventAddress.mmio(MMIO);
        byte[] code = (pio ? new Asm16(CODE).out(PORT, 4, 0xabcd) : new Asm16(CODE).store(MMIO_OFFSET, 4, 0xabcd))
                .hlt().build();
        Exit exit = pio ? Exit.io(PORT, 4, 0xabcd) : Exit.mmioWrite(MMIO, 4, 0xabcd);

        guest.vm.registerIoevent(event.fd(), address, 4, 0xabcd);
        guest.load(code);
        assertEquals(List.of(), guest.exitsUntilHlt());
        assertEquals(1, event.read());

        guest.vm.unregisterIoevent(event.fd(), address, 4, 0xabcd);
        guest.load(code);
        assertEquals(List.of(exit), guest.exitsUntilHlt());
        assertEquals(0, event.read());

        KvmException e = assertThrows(KvmException.class,
                () -> guest.vm.unregisterIoevent(event.fd(), address, 4, 0xabcd));
        assertEquals("KVM_IOEVENTFD", e.operation());
        assertEquals(LibC.ENOENT, e.errno(), e.getMessage());
    }

    @Test
    void deassignMustNameTheSameDatamatch() {
        guest.vm.registerIoevent(event.fd(), IoEventAddress.pio(PORT), 2, 7);
        KvmException e = assertThrows(KvmException.class,
                () -> guest.vm.unregisterIoevent(event.fd(), IoEventAddress.pio(PORT), 2, 8));
        assertEquals(LibC.ENOENT, e.errno());
        guest.vm.unregisterIoevent(event.fd(), IoEventAddress.pio(PORT), 2, 7);
    }

    @Test
    void lengthsOtherThanThoseOfApiRstAreRefused() {
        for (int len : new int[]{3, 5, 16}) {
            KvmException e = assertThrows(KvmException.class,
                    () -> guest.vm.registerIoevent(event.fd(), IoEventAddress.mmio(MMIO), len));
            assertEquals(LibC.EINVAL, e.errno(), "len " + len);
            assertEquals("KVM_IOEVENTFD failed: errno 22 (Invalid argument)", e.getMessage());
        }
        // A zero length ignores the write's length, so it cannot compare a value of that length.
        KvmException e = assertThrows(KvmException.class,
                () -> guest.vm.registerIoevent(event.fd(), IoEventAddress.mmio(MMIO), 0, 1));
        assertEquals(LibC.EINVAL, e.errno());
    }

    @Test
    void aSecondIoeventfdThatWouldTakeTheSameWritesIsRefused() {
        guest.vm.registerIoevent(event.fd(), IoEventAddress.mmio(MMIO), 4);
        try (EventFd other = new EventFd()) {
            KvmException e = assertThrows(KvmException.class,
                    () -> guest.vm.registerIoevent(other.fd(), IoEventAddress.mmio(MMIO), 4, 1));
            assertEquals(LibC.EEXIST, e.errno());
            // Distinct datamatch values on one address coexist: that is how virtio-mmio's QueueNotify is shared.
            guest.vm.registerIoevent(other.fd(), IoEventAddress.mmio(MMIO + 4), 4, 0);
            guest.vm.registerIoevent(event.fd(), IoEventAddress.mmio(MMIO + 4), 4, 1);
            guest.load(new Asm16(CODE).store(MMIO_OFFSET + 4, 4, 1).store(MMIO_OFFSET + 4, 4, 0)
                    .store(MMIO_OFFSET + 4, 4, 1).store(MMIO_OFFSET + 4, 4, 2).hlt().build());
            assertEquals(List.of(Exit.mmioWrite(MMIO + 4, 4, 2)), guest.exitsUntilHlt());
            assertEquals(2, event.read());
            assertEquals(1, other.read());
        }
    }

    @Test
    void aZeroLengthIoeventfdTakesWritesOfAnyLength() {
        Assumptions.assumeTrue(guest.kvm.checkExtension(KvmCap.IOEVENTFD_ANY_LENGTH) > 0,
                "KVM_CAP_IOEVENTFD_ANY_LENGTH is absent");
        guest.vm.registerIoevent(event.fd(), IoEventAddress.mmio(MMIO), 0);
        guest.load(new Asm16(CODE).store(MMIO_OFFSET, 1, 1).store(MMIO_OFFSET, 2, 2).store(MMIO_OFFSET, 4, 4)
                .store(MMIO_OFFSET, 8, value(8)).hlt().build());
        assertEquals(List.of(), guest.exitsUntilHlt());
        assertEquals(4, event.read());
    }
}
