package dev.vconn.internal.runtime;

import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;

/**
 * Makes the I/O handlers of a runtime's event loops close every channel still registered when the
 * loop ends. Netty closes them only on a loop iteration that sees the shutdown; a shutdown
 * requested while the loop runs tasks ends the loop without such an iteration (the runtime shuts
 * its loops down with no quiet period), and the channels still registered then (a client connection
 * in its graceful close, a pooled origin connection, a listening socket) would stay open after the
 * runtime closed. Closed when the loop ends, each channel's descriptor is closed at once; Netty's
 * deregistration after it finds the loop ended and logs a warning ("Can't invoke task later"),
 * which is harmless.
 */
final class ClosingIoHandlers {

	private ClosingIoHandlers() {
	}

	static IoHandlerFactory of(IoHandlerFactory factory) {
		return (executor) -> new Handler(factory.newHandler(executor));
	}

	private static final class Handler extends ForwardingIoHandler {

		Handler(IoHandler delegate) {
			super(delegate);
		}

		/** Closes what is still registered (idempotent: closed channels are no longer registered), then the loop. */
		@Override
		public void destroy() {
			this.delegate.prepareToDestroy();
			this.delegate.destroy();
		}

	}

}
