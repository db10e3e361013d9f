package io.jkvm.devices.event;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One thread that epolls eventfds (Netty 4.2 {@link EpollIoHandler}) and runs a callback when one fires: the queue
 * doorbells of every virtio device and tasks handed to it from other threads. It knows nothing of devices (as
 * rust-vmm's event-manager): a subscriber is an fd and a {@link Runnable}.
 */
public final class EventLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    private final MultiThreadIoEventLoopGroup group;
    private final IoEventLoop loop;
    private final Set<AutoCloseable> live = ConcurrentHashMap.newKeySet();
    private volatile Consumer<Throwable> onFailure = t -> { };

    public EventLoop(String threadName) {
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(threadName, true),
                EpollIoHandler.newFactory());
        this.loop = group.next();
    }

    /** Whether the caller is the loop thread. */
    public boolean inLoop() {
        return loop.inEventLoop();
    }

    /** Runs task on the loop thread, after the tasks and events already queued. */
    public void execute(Runnable task) {
        loop.execute(() -> {
            try {
                task.run();
            } catch (Throwable t) {
                failed("task " + task, t);
            }
        });
    }

    /**
     * Whom to tell when a callback or task throws (after it is logged; the loop goes on): a device never throws on
     * guest input, so the VMM ends the VM with the reason rather than serve a device left half-way.
     */
    public void onFailure(Consumer<Throwable> listener) {
        onFailure = listener;
    }

    private void failed(String what, Throwable t) {
        LOG.log(System.Logger.Level.ERROR, what + " failed", t);
        onFailure.accept(t);
    }

    /**
     * Watches fd: whenever it is readable, drains it and runs onSignal on the loop thread. Exceptions from onSignal
     * are logged, never propagated. The returned subscription owns fd from now on and closes it.
     */
    public Subscription subscribe(EventFd fd, Runnable onSignal) {
        Subscription s = new Subscription(fd, onSignal);
        live.add(s);
        loop.register(s).addListener(f -> s.registered(f));
        return s;
    }

    /**
     * Watches an fd that is not an eventfd (a tap): onReadable runs on the loop thread while fd is readable and
     * reading is switched on ({@link Watch#setReadInterest}); it must read what it can, since epoll is
     * level-triggered. Off at first. The watch owns fd from now on and closes it.
     */
    public Watch watch(FileDescriptor fd, Runnable onReadable) {
        Watch w = new Watch(fd, onReadable);
        live.add(w);
        loop.register(w).addListener(f -> w.registered(f));
        return w;
    }

    /** Stops the thread; fds still subscribed are closed. Waits up to a few seconds. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        // Netty closes the handles registered when shutdown began; one registered during shutdown escapes it.
        for (AutoCloseable s : live) {
            try {
                s.close();
            } catch (Exception e) {
                // closing an fd that is already gone
            }
        }
    }

    public boolean isShutdown() {
        return group.isShuttingDown() || group.isShutdown();
    }

    /** An fd on the loop. All state changes happen on the loop thread. */
    public final class Subscription implements EpollIoHandle {
        private final EventFd fd;
        private final Runnable onSignal;
        private IoRegistration registration;
        private boolean cancelled;

        private Subscription(EventFd fd, Runnable onSignal) {
            this.fd = fd;
            this.onSignal = onSignal;
        }

        public EventFd eventFd() {
            return fd;
        }

        private void registered(Future<?> f) {
            if (!f.isSuccess()) {
                LOG.log(System.Logger.Level.ERROR, "cannot add " + fd + " to the event loop", f.cause());
                fd.close();
                return;
            }
            registration = (IoRegistration) f.getNow();
            if (cancelled) {
                registration.cancel();
                fd.close();
                return;
            }
            // Level-triggered EPOLLIN: a signal that arrived before this point is still reported.
            registration.submit(EpollIoOps.EPOLLIN);
        }

        @Override
        public FileDescriptor fd() {
            return fd.descriptor();
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            EpollIoOps ops = ((EpollIoEvent) event).ops();
            if (!ops.contains(EpollIoOps.EPOLLIN) || cancelled) {
                return;
            }
            fd.drain();
            try {
                onSignal.run();
            } catch (Throwable t) {
                failed("handler for " + fd, t);
            }
        }

        /**
         * Removes fd from the loop and closes it, on the loop thread, so that a handler never runs on a closed (and
         * possibly reused) fd number. Safe from any thread; a no-op the second time.
         */
        public void cancel() {
            try {
                loop.execute(this::cancelInLoop);
            } catch (RejectedExecutionException e) {
                fd.close(); // the loop is gone, nothing can run on fd any more
            }
        }

        private void cancelInLoop() {
            if (cancelled) {
                return;
            }
            cancelled = true;
            live.remove(this);
            if (registration != null) {
                registration.cancel();
                fd.close();
            } // else: registered() sees cancelled and closes
        }

        @Override
        public void close() {
            // Netty calls this when the loop shuts down with the fd still registered.
            cancelled = true;
            live.remove(this);
            fd.close();
        }
    }

    /** A readiness watch on an fd: EPOLLIN on or off, switched on the loop thread. */
    public final class Watch implements EpollIoHandle {
        private final FileDescriptor fd;
        private final Runnable onReadable;
        private IoRegistration registration;
        private boolean cancelled;
        private boolean wantRead;
        private boolean submitted;

        private Watch(FileDescriptor fd, Runnable onReadable) {
            this.fd = fd;
            this.onReadable = onReadable;
        }

        private void registered(Future<?> f) {
            if (!f.isSuccess()) {
                LOG.log(System.Logger.Level.ERROR, "cannot add fd " + fd.intValue() + " to the event loop", f.cause());
                closeFd();
                return;
            }
            registration = (IoRegistration) f.getNow();
            if (cancelled) {
                registration.cancel();
                closeFd();
                return;
            }
            apply();
        }

        /**
         * Switches EPOLLIN on or off; safe from any thread (takes effect on the loop thread, in call order). Off is how a receiver with nowhere to put input stops the loop from waking for it.
         */
        public void setReadInterest(boolean on) {
            // Queued even on the loop thread, so that switches from several threads apply in the order made.
            try {
                loop.execute(() -> {
                    wantRead = on;
                    apply();
                });
            } catch (RejectedExecutionException e) {
                // the loop is gone with the VM
            }
        }

        /** Whether reading is switched on (loop thread). */
        public boolean readInterest() {
            return wantRead;
        }

        private void apply() {
            if (registration == null || cancelled || submitted == wantRead) {
                return;
            }
            submitted = wantRead;
            registration.submit(wantRead ? EpollIoOps.EPOLLIN : EpollIoOps.NONE);
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            EpollIoOps ops = ((EpollIoEvent) event).ops();
            if (cancelled || !wantRead || !(ops.contains(EpollIoOps.EPOLLIN) || ops.contains(EpollIoOps.EPOLLERR))) {
                return;
            }
            try {
                onReadable.run();
            } catch (Throwable t) {
                failed("handler for fd " + fd.intValue(), t);
            }
        }

        /** Removes fd from the loop and closes it, on the loop thread; safe from any thread. */
        public void cancel() {
            try {
                loop.execute(this::cancelInLoop);
            } catch (RejectedExecutionException e) {
                closeFd();
            }
        }

        private void cancelInLoop() {
            if (cancelled) {
                return;
            }
            cancelled = true;
            live.remove(this);
            if (registration != null) {
                registration.cancel();
                closeFd();
            }
        }

        private void closeFd() {
            try {
                fd.close();
            } catch (java.io.IOException e) {
                // already closed
            }
        }

        @Override
        public void close() {
            cancelled = true;
            live.remove(this);
            closeFd();
        }
    }
}
