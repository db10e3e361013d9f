package io.jkvm.core.kvm;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventFdTest {
    @Test
    void signalsAddUpAndAReadResetsTheCounter() {
        try (EventFd fd = new EventFd(LibC.EFD_NONBLOCK)) {
            assertEquals(0, fd.read(), "nothing pending");
            fd.signal();
            fd.signal();
            fd.write(40);
            assertEquals(42, fd.read());
            assertEquals(0, fd.read());
        }
    }

    @Test
    void semaphoreModeTakesOneAtATime() {
        try (EventFd fd = new EventFd(LibC.EFD_NONBLOCK | LibC.EFD_SEMAPHORE)) {
            fd.write(2);
            assertEquals(1, fd.read());
            assertEquals(1, fd.read());
            assertEquals(0, fd.read());
        }
    }

    @Test
    void aBlockingReadWaitsForASignalFromAnotherThread() throws Exception {
        try (EventFd fd = new EventFd()) {
            AtomicLong got = new AtomicLong();
            CountDownLatch done = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                got.set(fd.read());
                done.countDown();
            });
            reader.start();
            assertTrue(!done.await(100, TimeUnit.MILLISECONDS), "read returned before any signal");
            fd.write(7);
            assertTrue(done.await(5, TimeUnit.SECONDS));
            assertEquals(7, got.get());
        }
    }

    @Test
    void aClosedEventFdFailsWithEbadf() {
        EventFd fd = new EventFd();
        int number = fd.fd();
        assertTrue(number >= 0);
        fd.close();
        fd.close();
        KvmException e = assertThrows(KvmException.class, fd::signal);
        assertEquals(LibC.EBADF, e.errno());
        assertEquals("write eventfd", e.operation());
    }
}
