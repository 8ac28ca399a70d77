package dev.vconn.internal.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.vconn.TunnelResult;
import dev.vconn.internal.net.NetVConn;
import dev.vconn.intercept.InterceptObserver;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * The timers of a connection-mode pass-through tunnel, which sees bytes and no HTTP once started.
 * Until the origin sends its first byte: an origin that ends first makes the client get 502, one
 * that sends nothing for the origin timeout after the client's last byte 504; either answer carries
 * {@code Connection: close} and the client's side of the tunnel then ends with a FIN after it. Once
 * the origin answered: a tunnel through which no byte moved in either direction for the idle
 * timeout (spliced bytes count too) is closed.
 *
 * <p>Both VConns are on one loop, where everything here runs.
 */
final class TunnelGuard {

	private final InterceptObserver observer;

	private final NetVConn client;

	private final NetVConn origin;

	private final HttpLimits limits;

	private final ClientGate gate = new ClientGate();

	private final OriginWatch watch = new OriginWatch();

	private @Nullable ScheduledFuture<?> timer;

	private boolean decided;

	private boolean ended;

	private long lastMoved;

	/** When the client last sent a byte, while the origin has not answered. */
	private long clientQuietSince;

	private TunnelGuard(InterceptObserver observer, NetVConn client, NetVConn origin, HttpLimits limits) {
		this.observer = observer;
		this.client = client;
		this.origin = origin;
		this.limits = limits;
	}

	/**
	 * Guards a tunnel about to start between {@code client} and {@code origin}; on their loop.
	 * @param originAnswered whether the origin has answered already (a tunnel handed over by another
	 * process): only the idle timeout applies
	 */
	static TunnelGuard install(InterceptObserver observer, NetVConn client, NetVConn origin, HttpLimits limits,
			boolean originAnswered) {
		TunnelGuard guard = new TunnelGuard(observer, client, origin, limits);
		client.channel().pipeline().addFirst(guard.gate);
		origin.channel().pipeline().addFirst(guard.watch);
		if (originAnswered) {
			guard.watch.sawData = true;
			guard.answered();
			return guard;
		}
		guard.lastMoved = moved(client);
		guard.clientQuietSince = System.nanoTime();
		guard.schedule(guard.originCheckPeriod(), guard::checkOrigin);
		return guard;
	}

	/** Stops the timers when the tunnel ends. */
	void endsWith(CompletableFuture<TunnelResult> done) {
		done.whenComplete((result, failure) -> {
			EventLoop loop = this.client.channel().eventLoop();
			if (loop.inEventLoop()) {
				end(); // where the tunnel ends, as a rule: no task to queue per connection
			}
			else {
				loop.execute(this::end);
			}
		});
	}

	private void end() {
		this.ended = true;
		cancel();
	}

	private void schedule(long nanos, Runnable check) {
		cancel();
		if (!this.ended) {
			this.timer = this.client.channel().eventLoop().schedule(check, nanos, TimeUnit.NANOSECONDS);
		}
	}

	private void cancel() {
		if (this.timer != null) {
			this.timer.cancel(false);
			this.timer = null;
		}
	}

	/**
	 * Spliced origin bytes pass no handler, so the first of them is seen by polling the VConn's count:
	 * as often as the shorter timeout, so that the idle timeout starts soon after the origin answered.
	 */
	private long originCheckPeriod() {
		return Math.min(this.limits.originTimeout().toNanos(), this.limits.idleTimeout().toNanos());
	}

	private void checkOrigin() {
		if (this.decided || this.ended) {
			return;
		}
		if (originSentData()) {
			answered();
			return;
		}
		long now = System.nanoTime();
		long moved = moved(this.client);
		if (moved != this.lastMoved) {
			// the client is still sending: the origin's time starts from its last byte
			this.lastMoved = moved;
			this.clientQuietSince = now;
		}
		long left = this.limits.originTimeout().toNanos() - (now - this.clientQuietSince);
		if (left > 0) {
			schedule(Math.min(left, originCheckPeriod()), this::checkOrigin);
			return;
		}
		failBeforeResponse(504);
		// the origin's side ends here: the tunnel passes that on to the client after the 504
		this.watch.ctx().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
	}

	private void answered() {
		this.decided = true;
		this.lastMoved = moved(this.client) + moved(this.origin);
		schedule(this.limits.idleTimeout().toNanos(), this::checkIdle);
	}

	private void checkIdle() {
		if (this.ended) {
			return;
		}
		long moved = moved(this.client) + moved(this.origin);
		if (moved != this.lastMoved) {
			this.lastMoved = moved;
			schedule(this.limits.idleTimeout().toNanos(), this::checkIdle);
			return;
		}
		this.ended = true;
		this.client.close(); // the tunnel then ends the origin's side
	}

	private void failBeforeResponse(int status) {
		this.decided = true;
		cancel();
		this.watch.dropping = true;
		this.observer.onListenerRejection(status);
		this.gate.answer(status);
	}

	private boolean originSentData() {
		if (!this.watch.sawData) {
			// spliced bytes pass no handler, but the VConn counts them as they move
			this.watch.sawData = this.origin.bytesIn() > 0;
		}
		return this.watch.sawData;
	}

	/** Bytes a VConn moved, spliced ones included. */
	private static long moved(NetVConn vconn) {
		return vconn.bytesIn() + vconn.bytesOut();
	}

	/** First in the client's pipeline: writes the listener's answer and keeps the close after it graceful. */
	private static final class ClientGate extends ChannelDuplexHandler {

		private @Nullable ChannelHandlerContext ctx;

		private boolean answered;

		@Override
		public void handlerAdded(ChannelHandlerContext ctx) {
			this.ctx = ctx;
		}

		void answer(int status) {
			ChannelHandlerContext context = this.ctx;
			if (context != null && context.channel().isActive()) {
				this.answered = true;
				context.writeAndFlush(ErrorResponses.response(status), context.voidPromise());
			}
		}

		@Override
		public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
			if (this.answered) {
				// the tunnel aborts the client when the origin failed: the answer must still arrive
				ctx.channel().config().setOption(ChannelOption.SO_LINGER, -1);
			}
			ctx.close(promise);
		}

	}

	/** First in the origin's pipeline: sees the first byte, and an end before it. */
	private final class OriginWatch extends ChannelInboundHandlerAdapter {

		private @Nullable ChannelHandlerContext ctx;

		boolean sawData;

		/** The listener answered for the origin: nothing more from it reaches the tunnel. */
		boolean dropping;

		ChannelHandlerContext ctx() {
			return java.util.Objects.requireNonNull(this.ctx);
		}

		@Override
		public void handlerAdded(ChannelHandlerContext ctx) {
			this.ctx = ctx;
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (this.dropping) {
				ReferenceCountUtil.release(msg);
				return;
			}
			if (!this.sawData) {
				this.sawData = true;
				if (!TunnelGuard.this.decided) {
					answered();
				}
			}
			ctx.fireChannelRead(msg);
		}

		@Override
		public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
			if (evt instanceof ChannelInputShutdownEvent || evt instanceof ChannelInputShutdownReadComplete) {
				if (this.dropping) {
					return;
				}
				endedBeforeResponse();
			}
			ctx.fireUserEventTriggered(evt);
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			endedBeforeResponse();
			ctx.fireExceptionCaught(cause);
		}

		/** On a reset, Netty reports the failure and then shuts the input down, as for a FIN. */
		private void endedBeforeResponse() {
			if (!TunnelGuard.this.decided && !TunnelGuard.this.ended && this.ctx().channel().isOpen()
					&& !originSentData()) {
				failBeforeResponse(502);
			}
		}

	}

}
