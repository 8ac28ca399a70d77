package dev.vconn.internal.net;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;

/**
 * Works around Netty 4.2.15's epoll registrations: when a channel's interest set becomes empty,
 * Netty removes its fd from epoll (EPOLL_CTL_DEL) but still believes it registered, so the next
 * interest (a read after the peer's FIN, a write that has to wait for room) is an EPOLL_CTL_MOD
 * that fails with ENOENT, and Netty closes the channel. This keeps every fd in epoll: an empty
 * interest set becomes an edge-triggered registration for no event, which reports a hang-up or
 * error at most once instead of waking the loop forever (what Netty wanted to avoid).
 */
public final class EpollRegistrations {

	private EpollRegistrations() {
	}

	public static IoHandlerFactory factory() {
		IoHandlerFactory epoll = EpollIoHandler.newFactory();
		return (executor) -> new Handler(epoll.newHandler(executor));
	}

	private static final class Handler implements IoHandler {

		private final IoHandler delegate;

		Handler(IoHandler delegate) {
			this.delegate = delegate;
		}

		@Override
		public void initialize() {
			this.delegate.initialize();
		}

		@Override
		public int run(IoHandlerContext context) {
			return this.delegate.run(context);
		}

		@Override
		public void prepareToDestroy() {
			this.delegate.prepareToDestroy();
		}

		@Override
		public void destroy() {
			this.delegate.destroy();
		}

		@Override
		public IoRegistration register(IoHandle handle) throws Exception {
			return new Registration(this.delegate.register(handle));
		}

		@Override
		public void wakeup() {
			this.delegate.wakeup();
		}

		@Override
		public boolean isCompatible(Class<? extends IoHandle> handleType) {
			return this.delegate.isCompatible(handleType);
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
