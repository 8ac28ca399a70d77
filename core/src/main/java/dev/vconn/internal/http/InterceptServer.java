package dev.vconn.internal.http;

import dev.vconn.internal.net.ListenerSocket;
import dev.vconn.internal.net.NetVConn;
import dev.vconn.internal.net.NetVConnFactory;
import dev.vconn.internal.runtime.RuntimeCore;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.vconn.Continuation;
import dev.vconn.Tunnel;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.intercept.Transaction;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * The Netty server behind {@link dev.vconn.intercept.InterceptListener}: reads each client's first
 * request head with Netty's HTTP/1.1 decoder under size and time limits, offers it to the hooks,
 * and then either hands the connection to the claiming continuation or tunnels it to the origin.
 * Every byte read while parsing is kept and replayed, so what follows sees the request unchanged.
 */
public final class InterceptServer implements ListenerServer {

	private static final System.Logger logger = System.getLogger(InterceptServer.class.getName());

		/** How long a rejected client may keep sending before the connection is closed anyway. */
	private static final long LINGER_MILLIS = 2000;

	private final RuntimeCore runtime;

	private final InterceptHookRegistry hooks;

	private final ListenerSocket listenerSocket;

	private final int maxHeaderSize;

	private final Duration headerTimeout;

	private final @Nullable InetSocketAddress origin;

	private final boolean splice;

	private final Set<Channel> reading = ConcurrentHashMap.newKeySet();

	private volatile boolean running;

	private @Nullable Channel serverChannel;

	public InterceptServer(RuntimeCore runtime, InterceptHookRegistry hooks, ListenerSocket listenerSocket,
			int maxHeaderSize, Duration headerTimeout, @Nullable InetSocketAddress origin, boolean splice) {
		this.runtime = runtime;
		this.hooks = hooks;
		this.listenerSocket = listenerSocket;
		this.maxHeaderSize = maxHeaderSize;
		this.headerTimeout = headerTimeout;
		this.origin = origin;
		this.splice = splice;
	}

	/** Binds and starts accepting; blocks until bound. */
	@Override
	public synchronized InetSocketAddress start() {
		if (this.serverChannel != null) {
			throw new IllegalStateException("already started");
		}
		if (!this.runtime.isRunning()) {
			throw new IllegalStateException("the runtime is shut down");
		}
		ServerBootstrap bootstrap = this.runtime.listenerBootstrap(this.listenerSocket)
			.childHandler(new ChannelInitializer<Channel>() {
				@Override
				protected void initChannel(Channel channel) {
					HeadCapture capture = new HeadCapture();
					HeadDecoder decoder = new HeadDecoder(InterceptServer.this.maxHeaderSize);
					channel.pipeline().addLast(capture, decoder, new HeadHandler(capture, decoder));
				}
			});
		Channel channel = this.listenerSocket.open(bootstrap);
		this.serverChannel = channel;
		this.running = true;
		InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
		logger.log(System.Logger.Level.INFO, "VConn intercept listener on {0}, origin {1}", bound,
				(this.origin != null) ? this.origin : "none");
		return bound;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/** Stops accepting and closes connections whose head is still being read. Idempotent. */
	@Override
	public synchronized void stop() {
		this.running = false;
		Channel channel = this.serverChannel;
		if (channel != null && channel.isOpen()) {
			// a runtime stopping meanwhile closes the channel itself, and may refuse this close
			channel.close().awaitUninterruptibly();
		}
		for (Channel client : this.reading) {
			client.close(); // the close of a channel whose loop has stopped just fails its future
		}
	}

	@Override
	public @Nullable InetSocketAddress origin() {
		return this.origin;
	}

	// ---- per connection ----

	/** Keeps every byte the client sends until the head is read, to replay it unchanged. */
	static final class HeadCapture extends ChannelInboundHandlerAdapter {

		final List<ByteBuf> captured = new ArrayList<>(2);

		/** Every byte seen, also after capturing stopped. */
		long total;

		/** Whether bytes are still kept for a replay. */
		boolean capturing = true;

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (msg instanceof ByteBuf) {
				this.total += ((ByteBuf) msg).readableBytes();
				if (this.capturing) {
					this.captured.add(((ByteBuf) msg).retainedDuplicate());
				}
			}
			ctx.fireChannelRead(msg);
		}

		List<ByteBuf> take() {
			List<ByteBuf> bytes = new ArrayList<>(this.captured);
			this.captured.clear();
			return bytes;
		}

		void release() {
			this.captured.forEach(ByteBuf::release);
			this.captured.clear();
		}

		/** Keeps counting, stops keeping: no replay will be needed. */
		void stopCapturing() {
			this.capturing = false;
			release();
		}

	}

	/**
	 * Netty's decoder, noting the one smuggling form it repairs silently: a chunked request that also
	 * has a Content-Length, which it drops (RFC 9112 §6.1 lets a proxy reject it instead, and we do).
	 */
	static final class HeadDecoder extends HttpRequestDecoder {

		boolean chunkedWithContentLength;

		HeadDecoder(int maxHeaderSize) {
			super(new HttpDecoderConfig().setMaxInitialLineLength(maxHeaderSize)
				.setMaxHeaderSize(maxHeaderSize)
				.setMaxChunkSize(8192));
		}

		@Override
		protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
			this.chunkedWithContentLength = true;
			super.handleTransferEncodingChunkedWithContentLength(message);
		}

	}

	private enum Phase {
		READING, CONNECTING, DONE
	}

	private final class HeadHandler extends ChannelInboundHandlerAdapter {

		private final HeadCapture capture;

		private final HeadDecoder decoder;

		private Phase phase = Phase.READING;

		private boolean slotReserved;

		/** The client finished sending while its origin connection was being made. */
		private boolean inputShutdown;

		private final long start = System.nanoTime();

		private @Nullable ScheduledFuture<?> timeout;

		HeadHandler(HeadCapture capture, HeadDecoder decoder) {
			this.capture = capture;
			this.decoder = decoder;
		}

		@Override
		public void channelActive(ChannelHandlerContext ctx) {
			if (!InterceptServer.this.running) {
				ctx.close();
				return;
			}
			if (!InterceptServer.this.runtime.reserveSlot()) {
				reject(ctx, 503);
				return;
			}
			this.slotReserved = true;
			InterceptServer.this.reading.add(ctx.channel());
			this.timeout = ctx.executor().schedule(() -> {
				if (this.phase == Phase.READING) {
					reject(ctx, 408);
				}
			}, InterceptServer.this.headerTimeout.toNanos(), TimeUnit.NANOSECONDS);
			ctx.read();
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (this.phase != Phase.READING || !(msg instanceof HttpRequest)) {
				ReferenceCountUtil.release(msg);
				return;
			}
			HttpRequest request = (HttpRequest) msg;
			ReferenceCountUtil.release(msg);
			this.phase = Phase.CONNECTING;
			cancelTimeout();
			DecoderResult result = request.decoderResult();
			if (result.isFailure()) {
				reject(ctx, (result.cause() instanceof TooLongFrameException) ? 431 : 400);
				return;
			}
			if (isSmuggling(request)) {
				reject(ctx, 400);
				return;
			}
			dispatch(ctx, request);
		}

		private boolean isSmuggling(HttpRequest request) {
			HttpHeaders headers = request.headers();
			return this.decoder.chunkedWithContentLength
					|| (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)
							&& headers.contains(HttpHeaderNames.CONTENT_LENGTH));
		}

		@Override
		public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
			if (evt instanceof ChannelInputShutdownEvent && this.phase == Phase.CONNECTING) {
				// on epoll the client's FIN is read as soon as it comes, before the VConn exists to see it
				this.inputShutdown = true;
			}
			ctx.fireUserEventTriggered(evt);
		}

		@Override
		public void channelReadComplete(ChannelHandlerContext ctx) {
			if (this.phase == Phase.READING) {
				ctx.read();
			}
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			if (this.phase != Phase.DONE) {
				this.phase = Phase.DONE;
				cancelTimeout();
				this.capture.release();
				releaseSlot();
			}
			InterceptServer.this.reading.remove(ctx.channel());
			ctx.fireChannelInactive();
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			ctx.close();
		}

		private void dispatch(ChannelHandlerContext ctx, HttpRequest request) {
			HttpTransaction txn = new HttpTransaction(ctx.channel(), request, false);
			for (InterceptHook hook : InterceptServer.this.hooks.hooks()) {
				txn.offeredTo(hook);
				try {
					hook.onTransaction(txn);
				}
				catch (Throwable ex) {
					logger.log(System.Logger.Level.WARNING, "Intercept hook " + hook.name() + " threw on transaction "
							+ txn.id() + "; answering 500", ex);
					InterceptServer.this.runtime.listener().onIntercept(hook.name(), InterceptType.INTERCEPT, InterceptOutcome.ERROR);
					reject(ctx, 500);
					return;
				}
				if (txn.claimedBy() != null) {
					break;
				}
			}
			txn.endDispatch();
			Continuation cont = txn.continuation();
			if (cont != null) {
				handOver(ctx, java.util.Objects.requireNonNull(txn.claimedBy()), cont);
			}
			else {
				passThrough(ctx);
			}
		}

		/** Stops parsing: what follows the head is the new owner's to read. */
		private List<ByteBuf> detach(ChannelHandlerContext ctx) {
			List<ByteBuf> bytes = this.capture.take();
			ctx.pipeline().remove(this.capture);
			ctx.pipeline().remove(this.decoder); // its leftovers reach this handler, which drops them
			InterceptServer.this.reading.remove(ctx.channel());
			return bytes;
		}

		private void handOver(ChannelHandlerContext ctx, String hook, Continuation cont) {
			Channel channel = ctx.channel();
			if (!channel.isActive() || !InterceptServer.this.runtime.isRunning()) {
				InterceptServer.this.runtime.listener().onIntercept(hook, InterceptType.INTERCEPT, InterceptOutcome.ACCEPT_FAILED);
				this.phase = Phase.DONE;
				this.capture.release();
				releaseSlot();
				ctx.close();
				NetVConnFactory.deliverLocked(channel.eventLoop(), cont, VConnEvent.NET_ACCEPT_FAILED, null);
				return;
			}
			List<ByteBuf> replay = detach(ctx);
			this.phase = Phase.DONE;
			ctx.pipeline().remove(this);
			NetVConn vconn = InterceptServer.this.runtime.netFactory().adoptAccepted(channel, replay, this.start);
			InterceptServer.this.runtime.listener().onIntercept(hook, InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
			InterceptServer.this.runtime.listener().onTransactionCompleted(TransactionPath.INTERCEPTED, 0);
			NetVConnFactory.deliverLocked(channel.eventLoop(), cont, VConnEvent.NET_ACCEPT, vconn);
		}

		private void passThrough(ChannelHandlerContext ctx) {
			InetSocketAddress target = InterceptServer.this.origin;
			if (target == null) {
				reject(ctx, 502);
				return;
			}
			Channel channel = ctx.channel();
			List<ByteBuf> replay = detach(ctx);
			// connecting from this loop puts the origin on the same loop, which lets the tunnel splice
			InterceptServer.this.runtime.factory().connect(target).whenComplete((originVConn, failure) -> {
				if (failure != null) {
					replay.forEach(ByteBuf::release);
					if (this.phase == Phase.CONNECTING && channel.isActive()) {
						reject(ctx, 502);
					}
					return;
				}
				if (this.phase != Phase.CONNECTING || !channel.isActive()) {
					replay.forEach(ByteBuf::release);
					originVConn.close();
					return;
				}
				this.phase = Phase.DONE;
				ctx.pipeline().remove(this);
				VConn client = InterceptServer.this.runtime.netFactory().adoptAccepted(channel, replay, this.start);
				if (this.inputShutdown) {
					// the end of stream came after the head: the VConn delivers it after the replayed bytes
					channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
				}
				// the rest of the connection is bytes: the listener never sees a response status
				InterceptServer.this.runtime.listener().onTransactionCompleted(TransactionPath.PASS_THROUGH, 0);
				Tunnel.between(client, originVConn).splice(InterceptServer.this.splice).start();
			});
		}

		/** Answers with an error status, then closes without cutting off the response. */
		private void reject(ChannelHandlerContext ctx, int status) {
			if (status != 500) {
				InterceptServer.this.runtime.listener().onListenerRejection(status);
			}
			this.phase = Phase.DONE;
			cancelTimeout();
			if (ctx.pipeline().context(this.capture) != null) {
				ctx.pipeline().remove(this.capture);
			}
			if (ctx.pipeline().context(this.decoder) != null) {
				ctx.pipeline().remove(this.decoder);
			}
			this.capture.release();
			releaseSlot();
			InterceptServer.this.reading.remove(ctx.channel());
			Channel channel = ctx.channel();
			if (!channel.isActive()) {
				return;
			}
			channel.writeAndFlush(errorResponse(status)).addListener((ChannelFutureListener) (f) -> {
				if (!f.isSuccess() || !(channel instanceof DuplexChannel)) {
					channel.close();
					return;
				}
				// half-close, then drain what the client still sends, so the response is not reset away
				((DuplexChannel) channel).shutdownOutput();
				channel.config().setAutoRead(true);
				channel.eventLoop().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
			});
		}

		private void cancelTimeout() {
			ScheduledFuture<?> task = this.timeout;
			if (task != null) {
				task.cancel(false);
				this.timeout = null;
			}
		}

		private void releaseSlot() {
			if (this.slotReserved) {
				this.slotReserved = false;
				InterceptServer.this.runtime.releaseSlot();
			}
		}

	}

	static ByteBuf errorResponse(int status) {
		String reason = reason(status);
		String body = status + " " + reason + "\n";
		String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain; charset=utf-8\r\n"
				+ "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n";
		return Unpooled.copiedBuffer(head + body, StandardCharsets.US_ASCII);
	}

	private static String reason(int status) {
		switch (status) {
			case 400:
				return "Bad Request";
			case 408:
				return "Request Timeout";
			case 431:
				return "Request Header Fields Too Large";
			case 500:
				return "Internal Server Error";
			case 502:
				return "Bad Gateway";
			case 503:
				return "Service Unavailable";
			default:
				return "Error";
		}
	}

}
