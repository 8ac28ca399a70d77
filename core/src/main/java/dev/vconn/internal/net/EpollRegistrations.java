package dev.vconn.internal.net;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

import dev.vconn.internal.runtime.ForwardingIoHandler;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;

/**
 * Works around Netty 4.2.15's epoll registrations: when a channel's interest set becomes empty,
 * Netty removes its fd from epoll (EPOLL_CTL_DEL) but still believes it registered, so the next
 * interest (a read after the peer's FIN, a write that has to wait for room) is an EPOLL_CTL_MOD
 * that fails with ENOENT, and Netty closes the channel. This keeps every fd in epoll: an empty
 * interest set becomes an edge-triggered registration for no event, which reports a hang-up or
 * error at most once instead of waking the loop forever (what Netty wanted to avoid).
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

		private final List<HeldFds.Hold> loopFds = new ArrayList<>(LOOP_FDS.length);

		Handler(IoHandler delegate) {
			super(delegate);
			holdLoopFds();
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
			return new Registration(this.delegate.register(handle));
		}

	}

	private static final class Registration implements IoRegistration {

		private final IoRegistration delegate;

		Registration(IoRegistration delegate) {
			this.delegate = delegate;
		}

		@Override
		public <T> T attachment() {
			return this.delegate.attachment();
		}

		@Override
		public long submit(IoOps ops) {
			if (ops instanceof EpollIoOps && ((EpollIoOps) ops).value() == 0) {
				return this.delegate.submit(EpollIoOps.EPOLLET);
			}
			return this.delegate.submit(ops);
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
