package io.jkvm.devices.virtio;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.testing.RecordingRegistrar;
import io.jkvm.devices.testing.TestDevice;
import io.netty.channel.epoll.Native;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A completion racing the guest's interrupt handler, at each point of Linux's vm_interrupt (read InterruptStatus,
 * write it to InterruptACK, then scan every used ring when the used-buffer bit was set), with the register file
 * behind exits and behind a register page whose used-buffer acknowledgements KVM takes. The interrupt line is an
 * edge latched while the handler runs, as an IOAPIC pin fed by KVM_IRQFD: an edge during a run means one more run.
 * Whatever the point, every used buffer is found by some run of the handler.
 */
class InterruptInterleavingTest {
    static final long BASE = 0xd000_0000L;
    static final long ACK = BASE + MmioRegister.INTERRUPT_ACK.offset();

    enum Registers { EXIT, PAGE }

    /** Where in vm_interrupt the second completion lands. */
    enum Point { BEFORE_READ, BETWEEN_READ_AND_ACK, AFTER_ACK, AFTER_SCAN }

    EventLoop loop = new EventLoop("test-loop");
    GuestMemory mem = GuestMemory.allocate(1 << 20);
    CountingIrq irq = new CountingIrq();
    TestDevice device = new TestDevice(1, 16);
    RecordingRegistrar kvm = new RecordingRegistrar();
    GuestMemory page;
    MmioTransport transport;
    MmioDriver driver;
    DriverQueue q;
    final List<Integer> scanned = new ArrayList<>();
    int configSeen;
    long edgesHandled;

    /**
     * Exit mode, or a register page with InterruptACK of the used-buffer bit in "KVM". Queue notifications exit in
     * both, so that a completion happens exactly where the test puts it.
     */
    void start(Registers registers) {
        DoorbellRegistrar ackOnly = new DoorbellRegistrar() {
            @Override
            public boolean register(long address, int datamatch, int eventFd) {
                return address == ACK && kvm.register(address, datamatch, eventFd);
            }

            @Override
            public void unregister(long address, int datamatch, int eventFd) {
                kvm.unregister(address, datamatch, eventFd);
            }
        };
        transport = new MmioTransport(device, mem, BASE, irq, ackOnly, loop);
        if (registers == Registers.PAGE) {
            page = GuestMemory.allocate((int) MmioTransport.WINDOW_SIZE);
            transport.mirrorRegisters(page, PageMapping.FIXED);
            assertNotNull(kvm.registration(ACK, MmioTransport.INT_USED_BUFFER));
        }
        driver = new MmioDriver(transport, mem);
        q = driver.start(0, 8)[0];
    }

    @AfterEach
    void tearDown() {
        if (transport != null) {
            transport.close();
        }
        loop.close();
    }

    int readStatus() {
        return page != null ? page.getIntAcquire(MmioRegister.INTERRUPT_STATUS.offset())
                : driver.read(MmioRegister.INTERRUPT_STATUS);
    }

    /** writel(status, INTERRUPT_ACK): an eventfd signal when KVM holds that datamatch, else an exit. */
    void acknowledge(int status) {
        if (!kvm.ring(ACK, status)) {
            driver.write(MmioRegister.INTERRUPT_ACK, status);
        }
    }

    int complete() {
        int head = q.addChain(writable(driver.alloc(8, 8), 8));
        q.kick();
        return head;
    }

    /** One run of vm_interrupt, with the racing completion at its point (or none). */
    void vmInterrupt(Point point, List<Integer> racing) {
        if (point == Point.BEFORE_READ) {
            racing.add(complete());
        }
        int status = readStatus();
        if (point == Point.BETWEEN_READ_AND_ACK) {
            racing.add(complete());
        }
        acknowledge(status);
        if (point == Point.AFTER_ACK) {
            racing.add(complete());
        }
        if ((status & MmioTransport.INT_CONFIG_CHANGE) != 0) {
            configSeen++;
        }
        if ((status & MmioTransport.INT_USED_BUFFER) != 0) {
            for (DriverQueue.Used u = q.nextUsed(); u != null; u = q.nextUsed()) {
                scanned.add(u.id());
                // virtqueue_get_buf under EVENT_IDX: interrupt me for the next one
                q.setUsedEvent(scanned.size());
            }
        }
        if (point == Point.AFTER_SCAN) {
            racing.add(complete());
        }
    }

    /** Runs the handler while edges are pending; the racing completion lands in the first run only. */
    void deliver(Point point, List<Integer> racing) {
        Point p = point;
        while (irq.count() > edgesHandled) {
            edgesHandled = irq.count();
            vmInterrupt(p, racing);
            p = null;
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(Registers.values()).flatMap(r -> Stream.of(Point.values()).map(p -> Arguments.of(r, p)));
    }

    @ParameterizedTest(name = "{0} registers, completion {1}")
    @MethodSource("cases")
    void aCompletionRacingTheHandlerIsNeverLost(Registers registers, Point point) {
        start(registers);
        List<Integer> racing = new ArrayList<>();
        int first = complete();
        deliver(point, racing);
        assertEquals(1, racing.size());
        assertEquals(List.of(first, racing.get(0)), scanned, "both used buffers were found by the handler");
        assertNull(q.nextUsed());
    }

    /**
     * The acknowledgement clears only what the driver read: a used buffer landing between the read of a
     * configuration change and its acknowledgement keeps its bit, so the handler of its edge scans. A transport that
     * cleared every bit on any acknowledgement would leave that buffer in the ring with nobody told.
     */
    @ParameterizedTest(name = "{0} registers")
    @MethodSource("registerModes")
    void aCompletionBetweenReadingAConfigChangeAndItsAcknowledgementKeepsItsBit(Registers registers) {
        start(registers);
        device.context().configChanged();
        List<Integer> racing = new ArrayList<>();
        deliver(Point.BETWEEN_READ_AND_ACK, racing);
        assertEquals(1, configSeen);
        assertEquals(racing, scanned);
        assertNull(q.nextUsed());
    }

    static Stream<Registers> registerModes() {
        return Stream.of(Registers.values());
    }

    /**
     * With a register page, the used-buffer acknowledgement KVM takes wakes nobody and changes nothing: the eventfd
     * is not watched (its counter still holds every signal), and the bit stays set for the next handler.
     */
    @Test
    void anAcknowledgementTakenByKvmWakesNoThreadAndLeavesTheBitSet() throws InterruptedException {
        start(Registers.PAGE);
        complete();
        for (int i = 0; i < 3; i++) {
            acknowledge(MmioTransport.INT_USED_BUFFER);
        }
        Thread.sleep(50); // time enough for a loop watching the eventfd to drain it
        int fd = kvm.registration(ACK, MmioTransport.INT_USED_BUFFER).fd();
        assertDoesNotThrow(() -> Native.eventFdRead(fd), "nobody drained the acknowledgement eventfd");
        assertEquals(MmioTransport.INT_USED_BUFFER, readStatus());
        assertEquals(MmioTransport.INT_USED_BUFFER, transport.interruptStatus());
    }
}
