package dev.vconn.internal.net;

import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
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
import io.netty.util.concurrent.FastThreadLocal;

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
		return (executor) -> new Handler(epoll.newHandler(executor));
	}

	private static final class Handler extends ForwardingIoHandler {

		/** The handler of the loop this thread runs, if it runs one: where its registrations queue changes. */
		private static final FastThreadLocal<Handler> CURRENT = new FastThreadLocal<>();

		private final List<HeldFds.Hold> loopFds = new ArrayList<>(LOOP_FDS.length);

		/** Registrations whose interest changed since the loop last waited, and the interest epoll has for each. */
		private Registration[] changed = new Registration[64];

		private int[] applied = new int[64];

		private int changedCount;

		Handler(IoHandler delegate) {
			super(delegate);
			holdLoopFds();
		}

		@Override
		public int run(IoHandlerContext context) {
			applyChanges();
			return this.delegate.run(context);
		}

		void queue(Registration registration, int epollHas) {
			if (this.changedCount == this.changed.length) {
				this.changed = Arrays.copyOf(this.changed, this.changedCount * 2);
				this.applied = Arrays.copyOf(this.applied, this.changedCount * 2);
			}
			this.changed[this.changedCount] = registration;
			this.applied[this.changedCount] = epollHas;
			this.changedCount++;
		}

		private void applyChanges() {
			// an apply that closes a channel may queue more: they are applied in the same pass
			for (int i = 0; i < this.changedCount; i++) {
				Registration registration = this.changed[i];
				this.changed[i] = null;
				registration.apply(this.applied[i]);
			}
			this.changedCount = 0;
		}

		@Override
		public void initialize() {
			CURRENT.set(this); // Netty initializes a handler on the thread that then runs its loop
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
			CURRENT.remove();
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
			return new Registration(this.delegate.register(handle), handle);
		}

	}

	/**
	 * One descriptor's registration. Kept to three fields: every adopted or accepted socket has one,
	 * and an idle VConn's footprint counts it.
	 */
	private static final class Registration implements IoRegistration {

		/** In {@link #state}: the first interest reached epoll. EPOLLWAKEUP's bit, never a channel's interest. */
		private static final int ADDED = 1 << 29;

		/** In {@link #state}: the loop holds a change to apply. EPOLLONESHOT's bit, never a channel's interest. */
		private static final int QUEUED = 1 << 30;

		private static final int INTEREST = ~(ADDED | QUEUED);

		private final IoRegistration delegate;

		private final IoHandle handle;

		/** The interest Netty asked for last, with {@link #ADDED} and {@link #QUEUED}. */
		private int state;

		Registration(IoRegistration delegate, IoHandle handle) {
			this.delegate = delegate;
			this.handle = handle;
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
			Handler loop;
			if ((this.state & ADDED) == 0 || (value & INTEREST) != value || (loop = Handler.CURRENT.get()) == null) {
				// the first interest, or one made off the loop: at once
				long result = this.delegate.submit(EpollIoOps.valueOf(value));
				this.state = value | ADDED | (this.state & QUEUED);
				return result;
			}
			if ((this.state & QUEUED) == 0) {
				int epollHas = this.state & INTEREST;
				if (value == epollHas) {
					return value;
				}
				loop.queue(this, epollHas);
			}
			this.state = value | ADDED | QUEUED;
			return value;
		}

		/**
		 * Gives epoll the interest Netty asked for last, unless epoll has it; on the loop, before it
		 * waits.
		 * @param epollHas the interest epoll had when the first change was queued
		 */
		void apply(int epollHas) {
			this.state &= ~QUEUED;
			int wanted = this.state & INTEREST;
			if (wanted == epollHas || !this.delegate.isValid()) {
				return;
			}
			try {
				this.delegate.submit(EpollIoOps.valueOf(wanted));
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
