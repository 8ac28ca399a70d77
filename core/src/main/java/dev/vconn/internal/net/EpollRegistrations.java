package dev.vconn.internal.net;

import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import dev.vconn.internal.runtime.ForwardingIoHandler;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Works around Netty 4.2.15's epoll registrations: when a channel's interest set becomes empty,
 * Netty removes its fd from epoll (EPOLL_CTL_DEL) but still believes it registered, so the next
 * interest (a read after the peer's FIN, a write that has to wait for room) is an EPOLL_CTL_MOD
 * that fails with ENOENT, and Netty closes the channel. This keeps every fd in epoll: an empty
 * interest set becomes an edge-triggered registration for no event, which reports a hang-up or
 * error at most once instead of waking the loop forever (what Netty wanted to avoid).
 *
 * <p>A change of interest made on the loop's thread reaches epoll just before the loop next waits,
 * not when it is made: Netty switches interest on and off several times while it handles one
 * event (read interest off after a read and on again for the next one, write interest on for a
 * connect and off once it completed), and epoll, level-triggered as Netty uses it, only needs the
 * last state at the next {@code epoll_wait}. So those switches cost one {@code EPOLL_CTL_MOD} or
 * none instead of one each. The first interest of a registration (its {@code EPOLL_CTL_ADD}) is
 * made at once, so that registering still fails where epoll refuses a descriptor.
 *
 * <p>It also holds each loop's own descriptors (epoll, event and timer) in {@link HeldFds}, so that
 * they cannot be adopted. Netty keeps them in private fields; if a Netty version renames them, they
 * are simply not held (adopting one still fails, as a descriptor that is not a socket).
 */
final class EpollRegistrations {

	private static final System.Logger logger = System.getLogger(EpollRegistrations.class.getName());

	private static final String[] LOOP_FDS = { "epollFd", "eventFd", "timerFd" };

	private EpollRegistrations() {
	}

	static IoHandlerFactory factory() {
		IoHandlerFactory epoll = EpollIoHandler.newFactory();
		return (executor) -> new Handler(epoll.newHandler(executor), executor);
	}

	private static final class Handler extends ForwardingIoHandler {

		private final List<HeldFds.Hold> loopFds = new ArrayList<>(LOOP_FDS.length);

		private final ThreadAwareExecutor executor;

		/** Registrations whose interest changed since the loop last waited. */
		private final ArrayDeque<Registration> changed = new ArrayDeque<>();

		Handler(IoHandler delegate, ThreadAwareExecutor executor) {
			super(delegate);
			this.executor = executor;
			holdLoopFds();
		}

		@Override
		public int run(IoHandlerContext context) {
			applyChanges();
			return this.delegate.run(context);
		}

		private void applyChanges() {
			Registration registration;
			while ((registration = this.changed.pollFirst()) != null) {
				registration.apply();
			}
		}

		@Override
		public void initialize() {
			this.delegate.initialize();
			holdLoopFds();
		}

		/** Holds the loop's descriptors once they are open (Netty opens them in the constructor or on start). */
		private void holdLoopFds() {
			if (!this.loopFds.isEmpty()) {
				return;
			}
			try {
				for (String name : LOOP_FDS) {
					Field field = EpollIoHandler.class.getDeclaredField(name);
					field.setAccessible(true);
					FileDescriptor fd = (FileDescriptor) field.get(this.delegate);
					if (fd != null && fd.isOpen()) {
						this.loopFds.add(HeldFds.take(fd.intValue()));
					}
				}
			}
			catch (ReflectiveOperationException | RuntimeException ex) {
				logger.log(System.Logger.Level.DEBUG, "The event loop's own descriptors are not held", ex);
			}
		}

		@Override
		public void destroy() {
			this.loopFds.forEach(HeldFds.Hold::closing);
			try {
				this.delegate.destroy();
			}
			finally {
				this.loopFds.forEach(HeldFds.Hold::release);
			}
		}

		@Override
		public IoRegistration register(IoHandle handle) throws Exception {
			return new Registration(this.delegate.register(handle), handle, this);
		}

	}

	private static final class Registration implements IoRegistration {

		/** {@link #applied} before the first interest reached epoll. */
		private static final int NOT_ADDED = -1;

		private final IoRegistration delegate;

		private final IoHandle handle;

		private final Handler loop;

		/** The interest epoll has for the descriptor. */
		private int applied = NOT_ADDED;

		/** The interest Netty asked for last. */
		private int wanted;

		/** Whether this is in the loop's list of changes. */
		private boolean queued;

		Registration(IoRegistration delegate, IoHandle handle, Handler loop) {
			this.delegate = delegate;
			this.handle = handle;
			this.loop = loop;
		}

		@Override
		public <T> T attachment() {
			return this.delegate.attachment();
		}

		@Override
		public long submit(IoOps ops) {
			int value = ((EpollIoOps) ops).value();
			if (value == 0) {
				value = EpollIoOps.EPOLLET.value();
			}
			this.wanted = value;
			if (this.applied == NOT_ADDED || !this.loop.executor.isExecutorThread(Thread.currentThread())) {
				long result = this.delegate.submit(EpollIoOps.valueOf(value));
				this.applied = value;
				return result;
			}
			if (!this.queued && value != this.applied) {
				this.queued = true;
				this.loop.changed.addLast(this);
			}
			return value;
		}

		/** Gives epoll the interest Netty asked for last, if it changed; on the loop, before it waits. */
		void apply() {
			this.queued = false;
			if (this.wanted == this.applied || !this.delegate.isValid()) {
				return;
			}
			try {
				this.delegate.submit(EpollIoOps.valueOf(this.wanted));
				this.applied = this.wanted;
			}
			catch (UncheckedIOException ex) {
				// what Netty does when a change of interest fails: the descriptor or epoll is broken
				logger.log(System.Logger.Level.DEBUG, "Changing epoll interest failed; closing the channel", ex);
				try {
					this.handle.close();
				}
				catch (Exception closing) {
					ex.addSuppressed(closing);
				}
			}
		}

		@Override
		public boolean isValid() {
			return this.delegate.isValid();
		}

		@Override
		public boolean cancel() {
			return this.delegate.cancel();
		}

	}

}
