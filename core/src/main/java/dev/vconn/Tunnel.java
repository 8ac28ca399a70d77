package dev.vconn;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import dev.vconn.internal.tunnel.TunnelEngine;

/**
 * Shuffles bytes both ways between two VConns until both are done, then closes them: the
 * intercept example's algorithm, with backpressure and half-close.
 *
 * <ul>
 * <li><b>Bounded memory:</b> each direction holds at most about {@link Builder#bufferSize} bytes; a
 * fast sender is paused while a slow receiver drains.</li>
 * <li><b>No truncation:</b> when one side finishes sending (end of stream), the other side's write
 * is shut down only after everything read from the first has been delivered; the other direction
 * goes on until it finishes too.</li>
 * <li><b>Resets propagate:</b> a reset or error on one side aborts the other.</li>
 * <li><b>Zero copy where possible:</b> between two epoll TCP VConns on the same event thread the
 * bytes move with {@code splice(2)} and never enter the JVM; otherwise they are copied through
 * pooled buffers without per-byte work.</li>
 * </ul>
 *
 * <p><b>Ownership:</b> the tunnel takes over both VConns: do not start reads or writes on them
 * afterwards. It closes or aborts both before its future completes.
 *
 * <p><b>Threads:</b> callable from any thread; the future completes on an event thread, so
 * callbacks on it must not block.
 *
 * @since 0.1.0
 */
public final class Tunnel {

	/** The buffer per direction of tunnels built without one: 64 KiB. */
	public static final int DEFAULT_BUFFER_SIZE = 64 * 1024;

	private Tunnel() {
	}

	/**
	 * Starts a tunnel with the defaults.
	 * @param a one side
	 * @param b the other side
	 * @return a future completed with the result once both sides are closed
	 */
	public static CompletableFuture<TunnelResult> start(VConn a, VConn b) {
		return between(a, b).start();
	}

	/**
	 * Configures a tunnel.
	 * @param a one side
	 * @param b the other side
	 * @return a builder
	 */
	public static Builder between(VConn a, VConn b) {
		return new Builder(a, b);
	}

	/** Configures and starts a {@link Tunnel}. */
	public static final class Builder {

		private final VConn a;

		private final VConn b;

		private int bufferSize = DEFAULT_BUFFER_SIZE;

		private boolean splice = true;

		private Builder(VConn a, VConn b) {
			this.a = Objects.requireNonNull(a, "a");
			this.b = Objects.requireNonNull(b, "b");
			if (a == b) {
				throw new IllegalArgumentException("a tunnel needs two different VConns");
			}
		}

		/**
		 * The buffer per direction when copying; default {@link Tunnel#DEFAULT_BUFFER_SIZE}.
		 * @param bufferSize bytes, at least 1
		 * @return this builder
		 */
		public Builder bufferSize(int bufferSize) {
			if (bufferSize < 1) {
				throw new IllegalArgumentException("bufferSize must be at least 1, was " + bufferSize);
			}
			this.bufferSize = bufferSize;
			return this;
		}

		/**
		 * Whether to use {@code splice(2)} when both sides allow it; default {@code true}.
		 * @param splice {@code false} to always copy
		 * @return this builder
		 */
		public Builder splice(boolean splice) {
			this.splice = splice;
			return this;
		}

		/**
		 * Starts the tunnel.
		 * @return a future completed with the result once both sides are closed; it never completes
		 * exceptionally
		 */
		public CompletableFuture<TunnelResult> start() {
			return TunnelEngine.start(this.a, this.b, this.bufferSize, this.splice);
		}

	}

}
