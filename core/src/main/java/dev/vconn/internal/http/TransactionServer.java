package dev.vconn.internal.http;

import dev.vconn.internal.net.NetVConn;
import dev.vconn.internal.net.NetVConnFactory;
import dev.vconn.internal.pair.PairCore;
import dev.vconn.internal.runtime.RuntimeCore;
import dev.vconn.internal.vconn.ManagedVConn;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.vconn.AbortCause;
import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * The per-transaction intercept listener: every request on a keep-alive client connection is a
 * transaction that runs the hooks. Unclaimed requests go to the origin over pooled keep-alive
 * connections; server-intercepted ones to a continuation through an in-memory {@link PairCore};
 * a connection intercept takes the whole client connection as a VConn.
 *
 * <p>The client connection reads with auto-read off: one request at a time is processed, the next
 * head is read only once the current response is relayed, and request bodies are read only while
 * the next hop takes them, so a connection holds a bounded amount of memory whatever the peers do.
 */
public final class TransactionServer implements ListenerServer {

	private static final System.Logger logger = System.getLogger(TransactionServer.class.getName());

	private static final String VIA = "1.1 vconn";

	private final RuntimeCore runtime;

	private final InterceptHookRegistry hooks;

	private final InetSocketAddress bindAddress;

	private final int maxHeaderSize;

	private final Duration headerTimeout;

	private final @Nullable OriginPool origins;

	private final boolean forwardedHeaders;

	private final Set<Channel> clients = ConcurrentHashMap.newKeySet();

	private volatile boolean running;

	private @Nullable Channel serverChannel;

	public TransactionServer(RuntimeCore runtime, InterceptHookRegistry hooks, InetSocketAddress bindAddress,
			int maxHeaderSize, Duration headerTimeout, @Nullable InetSocketAddress origin, boolean forwardedHeaders) {
		this.runtime = runtime;
		this.hooks = hooks;
		this.bindAddress = bindAddress;
		this.maxHeaderSize = maxHeaderSize;
		this.headerTimeout = headerTimeout;
		this.origins = (origin != null) ? new OriginPool(runtime, origin) : null;
		this.forwardedHeaders = forwardedHeaders;
	}

	@Override
	public synchronized InetSocketAddress start() {
		if (this.serverChannel != null) {
			throw new IllegalStateException("already started");
		}
		if (!this.runtime.isRunning()) {
			throw new IllegalStateException("the runtime is shut down");
		}
		ServerBootstrap bootstrap = this.runtime.listenerBootstrap()
			.childHandler(new ChannelInitializer<Channel>() {
				@Override
				protected void initChannel(Channel channel) {
					ClientConnection connection = new ClientConnection();
					channel.pipeline()
						.addLast(connection.capture)
						.addLast(connection.decoder)
						.addLast(new HttpResponseEncoder())
						.addLast(connection);
				}
			});
		Channel channel = bootstrap.bind(this.bindAddress).syncUninterruptibly().channel();
		this.serverChannel = channel;
		this.running = true;
		InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
		logger.log(System.Logger.Level.INFO, "VConn intercept listener on {0}, origin {1}", bound,
				(this.origins != null) ? this.origins.origin() : "none");
		return bound;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public @Nullable InetSocketAddress origin() {
		return (this.origins != null) ? this.origins.origin() : null;
	}

	/**
	 * Stops accepting; idle client connections are closed, busy ones close after their current
	 * response. Idempotent.
	 */
	@Override
	public synchronized void stop() {
		this.running = false;
		Channel channel = this.serverChannel;
		if (channel != null && channel.isOpen()) {
			// a runtime stopping meanwhile closes the channel itself, and may refuse this close
			channel.close().awaitUninterruptibly();
		}
		try {
			for (Channel client : this.clients) {
				client.eventLoop().execute(() -> {
					ClientConnection connection = client.pipeline().get(ClientConnection.class);
					if (connection != null) {
						connection.closeWhenIdle();
					}
				});
			}
			if (this.origins != null) {
				this.origins.close();
			}
		}
		catch (RejectedExecutionException ex) {
			// the runtime has stopped: its event loops closed every connection
		}
	}

	/** Where the current request of a client connection goes. */
	private interface Exchange {

		/** Whether to read more of the request body now. */
		boolean wantsRequestContent();

		/** A piece of the request body (ownership passes). */
		void requestContent(HttpContent content);

		/** The client can take more of the response. */
		void clientWritable();

		/** The client connection closed before the exchange ended. */
		void clientClosed();

		/** Whether the head of the final response has gone to the client. */
		boolean responseStarted();

		/** Whether the next hop still takes request body and has not had all of it. */
		boolean awaitsRequestBody();

	}

	/** One client connection: reads requests one at a time and relays each response. */
	private final class ClientConnection extends ChannelInboundHandlerAdapter {

		final InterceptServer.HeadCapture capture = new InterceptServer.HeadCapture();

		final InterceptServer.HeadDecoder decoder = new InterceptServer.HeadDecoder(TransactionServer.this.maxHeaderSize);

		private final ArrayDeque<HttpObject> inbound = new ArrayDeque<>();

		private @Nullable ChannelHandlerContext ctx;

		private @Nullable Exchange exchange;

		private boolean slotReserved;

		private boolean closing;

		private boolean readRequested;

		private int requests;

		/** Bytes received since the last response: tells a slow head (408) from an idle keep-alive. */
		private @Nullable ScheduledFuture<?> timeout;

		private boolean closeAfterResponse;

		/** The current request is HTTP/1.0. */
		private boolean http10Client;

		/** The client finished sending: requests it already sent are still answered, then the connection closes. */
		private boolean inputShutdown;

		@Override
		public void channelActive(ChannelHandlerContext ctx) {
			this.ctx = ctx;
			if (!TransactionServer.this.running) {
				ctx.close();
				return;
			}
			if (!TransactionServer.this.runtime.reserveSlot()) {
				reject(503);
				return;
			}
			this.slotReserved = true;
			TransactionServer.this.clients.add(ctx.channel());
			armTimeout();
			requestRead();
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (this.closing || !(msg instanceof HttpObject)) {
				ReferenceCountUtil.release(msg);
				return;
			}
			this.inbound.addLast((HttpObject) msg);
		}

		@Override
		public void channelReadComplete(ChannelHandlerContext ctx) {
			this.readRequested = false;
			process();
		}

		@Override
		public void channelWritabilityChanged(ChannelHandlerContext ctx) {
			Exchange current = this.exchange;
			if (current != null && ctx.channel().isWritable()) {
				current.clientWritable();
			}
		}

		@Override
		public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
			if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
				Channel channel = ctx.channel();
				if (this.closing && channel instanceof DuplexChannel && ((DuplexChannel) channel).isOutputShutdown()) {
					// a rejection was sent and the client has finished too: nothing is left to drain
					ctx.close();
					return;
				}
				// the client finished sending: serve what it asked, then close
				this.inputShutdown = true;
				process();
				return;
			}
			ReferenceCountUtil.release(evt);
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			this.closing = true;
			cancelTimeout();
			this.capture.release();
			releaseInbound();
			Exchange current = this.exchange;
			this.exchange = null;
			try {
				if (current != null) {
					current.clientClosed();
				}
			}
			finally {
				releaseSlot();
				TransactionServer.this.clients.remove(ctx.channel());
			}
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			ctx.close();
		}

		void closeWhenIdle() {
			this.closeAfterResponse = true;
			if (this.exchange == null) {
				close();
			}
		}

		// ---- the request loop ----

		private void process() {
			if (this.closing) {
				return;
			}
			while (this.exchange == null && !this.closing) {
				HttpObject next = this.inbound.pollFirst();
				if (next == null) {
					break;
				}
				if (next instanceof HttpRequest) {
					startTransaction((HttpRequest) next);
				}
				else {
					ReferenceCountUtil.release(next); // the tail of a request already answered
				}
			}
			if (this.exchange == null && this.inputShutdown) {
				close(); // every request the client sent is answered
				return;
			}
			Exchange current = this.exchange;
			while (current != null && current == this.exchange && !this.inbound.isEmpty()
					&& this.inbound.peekFirst() instanceof HttpContent && current.wantsRequestContent()) {
				HttpContent content = (HttpContent) this.inbound.pollFirst();
				if (content.decoderResult().isFailure()) {
					content.release();
					abandonIncompleteRequest(current);
					return;
				}
				current.requestContent(content);
			}
			if (this.inputShutdown && current != null && current == this.exchange && this.inbound.isEmpty()
					&& current.awaitsRequestBody() && !current.responseStarted()) {
				// the client ended its side in the middle of the body: the request can never be
				// completed, and the next hop, waiting for the rest, would never answer
				abandonIncompleteRequest(current);
				return;
			}
			maybeRead();
		}

		/**
		 * The request body can never be completed: it turned out malformed (a bad chunk, which the
		 * decoder ends with a failed last content that must not reach the next hop as the end of a
		 * complete request), or the client ended its side in the middle of it. The exchange is
		 * abandoned as if the client had left (the origin connection is closed, the pair aborted,
		 * before the request ends), and the client gets a 400, or a reset if its response had started.
		 */
		private void abandonIncompleteRequest(Exchange current) {
			boolean started = current.responseStarted();
			this.exchange = null;
			current.clientClosed();
			if (started) {
				abortResponse();
			}
			else {
				reject(400);
			}
		}

		/** Reads when waiting for a head, or for body the current exchange wants. */
		void maybeRead() {
			if (this.closing || this.readRequested || this.ctx == null) {
				return;
			}
			Exchange current = this.exchange;
			boolean want = (current == null) ? this.inbound.isEmpty()
					: this.inbound.isEmpty() && current.wantsRequestContent();
			if (want) {
				requestRead();
			}
		}

		private void requestRead() {
			this.readRequested = true;
			this.ctx.read();
		}

		private void startTransaction(HttpRequest request) {
			cancelTimeout();
			this.requests++;
			DecoderResult result = request.decoderResult();
			if (result.isFailure()) {
				reject((result.cause() instanceof TooLongFrameException) ? 431 : 400);
				return;
			}
			HttpHeaders headers = request.headers();
			if (this.decoder.chunkedWithContentLength
					|| (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)
							&& (headers.contains(HttpHeaderNames.CONTENT_LENGTH) || !chunkedIsFinal(headers)))) {
				reject(400);
				return;
			}
			if (!HttpUtil.isKeepAlive(request)) {
				this.closeAfterResponse = true;
			}
			this.http10Client = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
			HttpTransaction txn = new HttpTransaction(this.ctx.channel(), request, true);
			for (InterceptHook hook : TransactionServer.this.hooks.hooks()) {
				txn.offeredTo(hook);
				try {
					hook.onTransaction(txn);
				}
				catch (Throwable ex) {
					logger.log(System.Logger.Level.WARNING,
							"Intercept hook " + hook.name() + " threw on transaction " + txn.id() + "; answering 500", ex);
					TransactionServer.this.runtime.listener()
						.onIntercept(hook.name(), InterceptType.INTERCEPT, InterceptOutcome.ERROR);
					reject(500);
					return;
				}
				if (txn.claimedBy() != null) {
					break;
				}
			}
			txn.endDispatch();
			Continuation cont = txn.continuation();
			String hook = txn.claimedBy();
			if (cont == null || hook == null) {
				passThrough(request);
			}
			else if (txn.type() == InterceptType.SERVER_INTERCEPT) {
				serverIntercept(hook, cont, request);
			}
			else {
				connectionIntercept(hook, cont, request);
			}
		}

		// ---- connection intercept: the client connection becomes the continuation's VConn ----

		private void connectionIntercept(String hook, Continuation cont, HttpRequest request) {
			ChannelHandlerContext context = this.ctx;
			Channel channel = context.channel();
			if (!channel.isActive() || !TransactionServer.this.runtime.isRunning()) {
				TransactionServer.this.runtime.listener()
					.onIntercept(hook, InterceptType.INTERCEPT, InterceptOutcome.ACCEPT_FAILED);
				NetVConnFactory.deliverLocked(channel.eventLoop(), cont, VConnEvent.NET_ACCEPT_FAILED, null);
				close();
				return;
			}
			List<ByteBuf> replay = new ArrayList<>();
			if (this.requests == 1 && this.capture.capturing) {
				// the first request: the client's own bytes, unchanged
				replay.addAll(this.capture.take());
				releaseInbound();
			}
			else {
				// a later request: its head as decoded (with any hook changes), then its body so far
				EmbeddedChannel encoder = new EmbeddedChannel(new HttpRequestEncoder());
				encoder.writeOutbound(request);
				HttpObject queued;
				while ((queued = this.inbound.pollFirst()) != null) {
					encoder.writeOutbound(queued);
				}
				ByteBuf encoded;
				while ((encoded = encoder.readOutbound()) != null) {
					replay.add(encoded);
				}
				encoder.finishAndReleaseAll();
			}
			this.closing = true; // this handler is done with the connection
			cancelTimeout();
			ReplayCollector collector = new ReplayCollector(replay);
			context.pipeline().addBefore(context.name(), null, collector);
			if (context.pipeline().context(this.capture) != null) {
				context.pipeline().remove(this.capture);
			}
			context.pipeline().remove(this.decoder); // its unparsed bytes land in the collector
			context.pipeline().remove(HttpResponseEncoder.class);
			context.pipeline().remove(collector);
			context.pipeline().remove(this);
			TransactionServer.this.clients.remove(channel);
			this.slotReserved = false; // the slot is the VConn's now
			NetVConn vconn = TransactionServer.this.runtime.netFactory().adoptAccepted(channel, replay, System.nanoTime());
			TransactionServer.this.runtime.listener().onIntercept(hook, InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
			TransactionServer.this.runtime.listener().onTransactionCompleted(TransactionPath.INTERCEPTED, 0);
			deliverAccept(channel, hook, cont, vconn);
		}

		/**
		 * Hands {@code vconn} over with NET_ACCEPT. A continuation that throws while handling it never
		 * took the VConn over and will not end it, so it is aborted here: like a continuation that
		 * throws on an I/O event, and what the listener sees of it is an intercept that failed.
		 */
		private void deliverAccept(Channel channel, String hook, Continuation cont, VConn vconn) {
			Continuation guarded = Continuation.withMutex(cont.mutex(), (event, data) -> {
				try {
					cont.handleEvent(event, data);
				}
				catch (Throwable ex) {
					logger.log(System.Logger.Level.WARNING, "The continuation of intercept hook " + hook
							+ " threw on NET_ACCEPT; aborting its VConn", ex);
					((ManagedVConn) vconn).abort(AbortCause.INTERCEPT, 0);
				}
			});
			NetVConnFactory.deliverLocked(channel.eventLoop(), guarded, VConnEvent.NET_ACCEPT, vconn);
		}

		// ---- responses ----

		/** Sends a response object to the client; returns false if the client is gone. */
		boolean respond(HttpObject msg) {
			if (this.ctx == null || !this.ctx.channel().isActive()) {
				ReferenceCountUtil.release(msg);
				return false;
			}
			if (this.http10Client && msg instanceof HttpResponse
					&& HttpUtil.isTransferEncodingChunked((HttpResponse) msg)) {
				// an HTTP/1.0 client does not know chunked encoding (RFC 9112 section 7.1): without it the
				// encoder writes the body as it is, and the close ends it
				HttpUtil.setTransferEncodingChunked((HttpResponse) msg, false);
				((HttpResponse) msg).headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
				this.closeAfterResponse = true;
			}
			this.ctx.writeAndFlush(msg, this.ctx.voidPromise());
			return true;
		}

		boolean clientWritable() {
			return this.ctx != null && this.ctx.channel().isWritable();
		}

		/** The current exchange relayed its whole response. */
		void exchangeDone(TransactionPath path, int status, boolean keepAlive) {
			this.exchange = null;
			TransactionServer.this.runtime.listener().onTransactionCompleted(path, status);
			if (!keepAlive || this.closeAfterResponse || !TransactionServer.this.running) {
				close();
				return;
			}
			// a body the exchange did not take (e.g. answered early) must not be read as the next head
			armTimeout();
			process();
		}

		/** Ends the connection after what was written. */
		void close() {
			if (this.ctx == null || this.closing) {
				return;
			}
			this.closing = true;
			Channel channel = this.ctx.channel();
			channel.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
		}

		/** Answers with an error status and closes without cutting the response off. */
		void reject(int status) {
			if (status != 500) {
				TransactionServer.this.runtime.listener().onListenerRejection(status);
			}
			cancelTimeout();
			this.exchange = null;
			this.closing = true;
			releaseInbound();
			this.capture.release();
			Channel channel = this.ctx.channel();
			if (!channel.isActive()) {
				return;
			}
			if (channel.pipeline().context(this.capture) != null) {
				channel.pipeline().remove(this.capture);
			}
			if (channel.pipeline().context(this.decoder) != null) {
				channel.pipeline().remove(this.decoder);
			}
			// the error response is ready-made bytes, which the HTTP encoder refuses (the write would
			// fail and the client would see the connection close without a status): no more HTTP here
			if (channel.pipeline().get(HttpResponseEncoder.class) != null) {
				channel.pipeline().remove(HttpResponseEncoder.class);
			}
			channel.writeAndFlush(InterceptServer.errorResponse(status)).addListener((ChannelFutureListener) (f) -> {
				if (!f.isSuccess() || !(channel instanceof DuplexChannel)) {
					channel.close();
					return;
				}
				((DuplexChannel) channel).shutdownOutput();
				channel.config().setAutoRead(true);
				channel.eventLoop().schedule(() -> channel.close(), 2, TimeUnit.SECONDS);
			});
		}

		/**
		 * The response was cut off after it started: the client must see the connection fail, not a
		 * short body. A plain close would end a close-delimited body as if it were complete, so the
		 * connection is reset (SO_LINGER 0).
		 */
		void abortResponse() {
			Channel channel = this.ctx.channel();
			try {
				channel.config().setOption(ChannelOption.SO_LINGER, 0);
			}
			catch (RuntimeException ex) {
				// closed already: a plain close is all that is left
			}
			channel.close();
		}

		/** An exchange failed before any response byte reached the client: 502, then close. */
		void failBeforeResponse() {
			reject(502);
		}

		private void armTimeout() {
			cancelTimeout();
			long before = this.capture.total;
			this.timeout = this.ctx.executor().schedule(() -> {
				this.timeout = null;
				if (this.exchange != null || this.closing) {
					return;
				}
				if (this.capture.total == before && this.inbound.isEmpty() && this.requests > 0) {
					close(); // an idle keep-alive connection: close quietly
				}
				else {
					reject(408);
				}
			}, TransactionServer.this.headerTimeout.toNanos(), TimeUnit.NANOSECONDS);
		}

		private void cancelTimeout() {
			if (this.timeout != null) {
				this.timeout.cancel(false);
				this.timeout = null;
			}
		}

		private void releaseInbound() {
			HttpObject msg;
			while ((msg = this.inbound.pollFirst()) != null) {
				ReferenceCountUtil.release(msg);
			}
		}

		private void releaseSlot() {
			if (this.slotReserved) {
				this.slotReserved = false;
				TransactionServer.this.runtime.releaseSlot();
			}
		}

		// ---- pass-through ----

		private void passThrough(HttpRequest request) {
			OriginPool pool = TransactionServer.this.origins;
			if (pool == null) {
				reject(502);
				return;
			}
			dropCapture();
			PassThrough exchange = new PassThrough(this, pool, forwardable(request));
			this.exchange = exchange;
			exchange.start();
		}

		/** The request as the next hop gets it: hop-by-hop headers out, forwarding headers in. */
		private HttpRequest forwardable(HttpRequest request) {
			HttpHeaders headers = request.headers();
			removeHopByHop(headers);
			if (TransactionServer.this.forwardedHeaders) {
				headers.add(HttpHeaderNames.VIA, VIA);
				SocketAddress client = this.ctx.channel().remoteAddress();
				if (client instanceof InetSocketAddress) {
					headers.add("X-Forwarded-For", ((InetSocketAddress) client).getAddress().getHostAddress());
				}
			}
			return new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri(), headers);
		}

		private void dropCapture() {
			this.capture.stopCapturing();
		}

		// ---- server intercept ----

		private void serverIntercept(String hook, Continuation cont, HttpRequest request) {
			Channel channel = this.ctx.channel();
			PairCore pair;
			try {
				if (!channel.isActive()) {
					throw new IllegalStateException("the client left");
				}
				pair = PairCore.create(TransactionServer.this.runtime, IOBuffer.DEFAULT_WATER_MARK);
			}
			catch (RuntimeException ex) {
				TransactionServer.this.runtime.listener()
					.onIntercept(hook, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPT_FAILED);
				NetVConnFactory.deliverLocked(channel.eventLoop(), cont, VConnEvent.NET_ACCEPT_FAILED, null);
				reject(503);
				return;
			}
			dropCapture();
			if (HttpUtil.is100ContinueExpected(request)) {
				// the intercept is ready for the body: tell the client, and do not pass the expectation on
				respond(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
				request.headers().remove(HttpHeaderNames.EXPECT);
			}
			ServerIntercept exchange = new ServerIntercept(this, hook, pair, forwardableToIntercept(request));
			this.exchange = exchange;
			TransactionServer.this.runtime.listener()
				.onIntercept(hook, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPTED);
			exchange.start();
			deliverAccept(channel, hook, cont, pair.passive());
		}

		private HttpRequest forwardableToIntercept(HttpRequest request) {
			HttpHeaders headers = request.headers();
			removeHopByHop(headers);
			// the pair carries one transaction: the intercept may answer and close
			headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
			return new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(), headers);
		}

	}

	/**
	 * Whether the last transfer coding of a request is chunked. Without that, the length of a request
	 * body cannot be determined (RFC 9112 section 6.3): Netty's decoder reads such a request as having
	 * no body, so its body would be parsed as the next request.
	 */
	static boolean chunkedIsFinal(HttpHeaders headers) {
		String last = "";
		for (String value : headers.getAll(HttpHeaderNames.TRANSFER_ENCODING)) {
			for (String coding : value.split(",")) {
				if (!coding.isBlank()) {
					last = coding.trim();
				}
			}
		}
		return last.equalsIgnoreCase(HttpHeaderValues.CHUNKED.toString());
	}

	/**
	 * Removes the headers that concern only the client's connection to the listener (RFC 9110
	 * section 7.6.1): those named in {@code Connection}, and the standard hop-by-hop ones. Both next
	 * hops, the origin and a server intercept, get the request without them. {@code Content-Length},
	 * {@code Transfer-Encoding} and {@code Host} stay even when named in {@code Connection}: the body
	 * is forwarded as it was framed, and without its framing header the next hop would read the body
	 * as a request of its own.
	 */
	static void removeHopByHop(HttpHeaders headers) {
		for (String token : headers.getAll(HttpHeaderNames.CONNECTION)) {
			for (String name : token.split(",")) {
				String field = name.trim();
				if (!field.isEmpty() && !HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(field)
						&& !HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(field)
						&& !HttpHeaderNames.HOST.contentEqualsIgnoreCase(field)) {
					headers.remove(field);
				}
			}
		}
		headers.remove(HttpHeaderNames.CONNECTION);
		headers.remove(HttpHeaderNames.KEEP_ALIVE);
		headers.remove("Proxy-Connection");
		headers.remove(HttpHeaderNames.UPGRADE);
		headers.remove(HttpHeaderNames.TE);
	}

	/**
	 * The response head as the client gets it: the next hop's hop-by-hop headers (RFC 9110 section
	 * 7.6.1) are its own, and the connection header is the listener's.
	 */
	static void prepareForClient(HttpResponse response, boolean keepAlive) {
		removeHopByHop(response.headers());
		if (!keepAlive) {
			response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
		}
	}

	/** Whether the client can find the end of this response without the connection closing. */
	static boolean isFramed(HttpRequest request, HttpResponse response) {
		int code = response.status().code();
		return HttpUtil.isContentLengthSet(response) || HttpUtil.isTransferEncodingChunked(response)
				|| request.method().equals(io.netty.handler.codec.http.HttpMethod.HEAD) || code == 204 || code == 304
				|| (code >= 100 && code < 200);
	}

	/** Collects the bytes a decoder hands on when removed, so they follow the replay in order. */
	private static final class ReplayCollector extends ChannelInboundHandlerAdapter {

		private final List<ByteBuf> replay;

		ReplayCollector(List<ByteBuf> replay) {
			this.replay = replay;
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (msg instanceof ByteBuf) {
				this.replay.add((ByteBuf) msg);
			}
			else {
				ReferenceCountUtil.release(msg);
			}
		}

	}

	// ---- pass-through exchange ----

	private final class PassThrough implements Exchange, OriginPool.Exchange {

		private final ClientConnection client;

		private final OriginPool pool;

		private final HttpRequest request;

		private @Nullable Channel origin;

		private boolean reused;

		private boolean retried;

		private boolean requestComplete;

		private boolean responseStarted;

		private boolean interim;

		private int status;

		private boolean originKeepAlive;

		private boolean clientKeepAlive;

		private final ArrayDeque<HttpContent> pendingBody = new ArrayDeque<>();

		private boolean done;

		PassThrough(ClientConnection client, OriginPool pool, HttpRequest request) {
			this.client = client;
			this.pool = pool;
			this.request = request;
		}

		void start() {
			Channel channel = this.client.ctx.channel();
			Channel idle = this.pool.pollIdle(channel.eventLoop());
			if (idle != null) {
				this.reused = true;
				attach(idle);
				return;
			}
			this.reused = false;
			this.pool.connect(channel.eventLoop()).addListener((ChannelFuture future) -> {
				if (this.done) {
					// the client left while the connection was being made: closed like any other
					// connection of an abandoned exchange, not pooled
					if (future.isSuccess()) {
						future.channel().close();
					}
					return;
				}
				if (!future.isSuccess()) {
					fail(future.cause());
					return;
				}
				attach(future.channel());
			});
		}

		private void attach(Channel channel) {
			this.origin = channel;
			channel.pipeline().get(OriginPool.OriginRelay.class).exchange = this;
			channel.write(this.request, channel.voidPromise());
			HttpContent content;
			while ((content = this.pendingBody.pollFirst()) != null) {
				send(content);
			}
			channel.flush();
			channel.config().setAutoRead(true);
			this.client.process();
		}

		@Override
		public boolean wantsRequestContent() {
			return !this.requestComplete && (this.origin == null ? this.pendingBody.size() < 16 : this.origin.isWritable());
		}

		@Override
		public void requestContent(HttpContent content) {
			if (this.origin == null) {
				this.pendingBody.addLast(content);
				if (content instanceof LastHttpContent) {
					this.requestComplete = true;
				}
				return;
			}
			send(content);
			this.origin.flush();
		}

		private void send(HttpContent content) {
			if (content instanceof LastHttpContent) {
				this.requestComplete = true;
			}
			this.origin.write(content, this.origin.voidPromise());
		}

		@Override
		public void originWritable() {
			this.client.process();
		}

		@Override
		public void originRead(Object msg) {
			if (this.done || !(msg instanceof HttpObject)) {
				ReferenceCountUtil.release(msg);
				return;
			}
			if (msg instanceof HttpResponse) {
				HttpResponse response = (HttpResponse) msg;
				if (response.decoderResult().isFailure()) {
					ReferenceCountUtil.release(msg);
					fail(response.decoderResult().cause());
					return;
				}
				this.status = response.status().code();
				this.interim = this.status >= 100 && this.status < 200 && this.status != 101;
				if (!this.interim) {
					this.originKeepAlive = HttpUtil.isKeepAlive(response);
					// a body delimited by the origin's close can reach the client only the same way
					this.clientKeepAlive = this.originKeepAlive && isFramed(this.request, response);
					this.responseStarted = true;
					prepareForClient(response, this.clientKeepAlive);
				}
			}
			else if (msg instanceof HttpContent && ((HttpContent) msg).decoderResult().isFailure()) {
				// a malformed body (a bad chunk): the decoder ends it with a failed last content, which
				// must not reach the client as the end of a complete response
				ReferenceCountUtil.release(msg);
				fail(((HttpContent) msg).decoderResult().cause());
				return;
			}
			boolean last = msg instanceof LastHttpContent;
			if (!this.client.respond((HttpObject) msg)) {
				abandon();
				return;
			}
			if (!this.client.clientWritable()) {
				this.origin.config().setAutoRead(false); // resumes in clientWritable()
			}
			if (last && !this.interim && this.responseStarted) {
				finish();
			}
		}

		private void finish() {
			this.done = true;
			Channel channel = this.origin;
			boolean reusable = this.originKeepAlive && this.requestComplete;
			if (reusable) {
				this.pool.release(channel);
			}
			else {
				channel.pipeline().get(OriginPool.OriginRelay.class).exchange = null;
				channel.close();
			}
			this.client.exchangeDone(TransactionPath.PASS_THROUGH, this.status,
					this.clientKeepAlive && this.requestComplete);
		}

		@Override
		public void clientWritable() {
			if (this.origin != null && !this.done) {
				this.origin.config().setAutoRead(true);
			}
		}

		@Override
		public void originClosed(@Nullable Throwable cause) {
			if (this.done) {
				return;
			}
			if (!this.responseStarted && this.reused && !this.retried && this.pendingBody.isEmpty()
					&& this.requestComplete && !HttpUtil.isTransferEncodingChunked(this.request)
					&& HttpUtil.getContentLength(this.request, 0) == 0) {
				// a pooled connection the origin had closed meanwhile: one retry on a fresh one
				this.retried = true;
				this.reused = false;
				this.origin = null;
				// the request is sent again whole: its end went to the dead connection, and without it
				// the new connection's encoder would stay inside this request and refuse the next one
				this.pendingBody.addLast(LastHttpContent.EMPTY_LAST_CONTENT);
				Channel channel = this.client.ctx.channel();
				this.pool.connect(channel.eventLoop()).addListener((ChannelFuture future) -> {
					if (this.done) {
						if (future.isSuccess()) {
							future.channel().close();
						}
						return;
					}
					if (!future.isSuccess()) {
						fail(future.cause());
						return;
					}
					attach(future.channel());
				});
				return;
			}
			fail(cause);
		}

		private void fail(@Nullable Throwable cause) {
			if (this.done) {
				return;
			}
			this.done = true;
			releasePending();
			if (this.origin != null) {
				this.origin.pipeline().get(OriginPool.OriginRelay.class).exchange = null;
				this.origin.close();
			}
			if (!this.responseStarted) {
				this.client.failBeforeResponse();
			}
			else {
				this.client.abortResponse();
			}
		}

		private void abandon() {
			this.done = true;
			releasePending();
			if (this.origin != null) {
				this.origin.pipeline().get(OriginPool.OriginRelay.class).exchange = null;
				this.origin.close();
			}
		}

		@Override
		public void clientClosed() {
			if (!this.done) {
				abandon();
			}
		}

		@Override
		public boolean responseStarted() {
			return this.responseStarted;
		}

		@Override
		public boolean awaitsRequestBody() {
			return !this.done && !this.requestComplete;
		}

		private void releasePending() {
			HttpContent content;
			while ((content = this.pendingBody.pollFirst()) != null) {
				content.release();
			}
		}

	}

	// ---- server-intercept exchange ----

	/**
	 * Drives the active end of a pair: writes the request into it, parses the response the
	 * intercept writes back with Netty's HTTP client codec, and relays it to the client. Runs on the
	 * client connection's loop, which is also the pair's loop.
	 */
	private final class ServerIntercept implements Exchange, Continuation {

		private final Lock mutex = new ReentrantLock();

		private final ClientConnection client;

		private final String hook;

		private final PairCore pair;

		private final VConn active;

		private final EmbeddedChannel codec = new EmbeddedChannel(new HttpClientCodec());

		private final IOBuffer toIntercept = IOBuffer.create();

		private final IOBufferReader toInterceptReader = this.toIntercept.allocReader();

		private final IOBuffer fromIntercept = IOBuffer.create();

		private final IOBufferReader fromInterceptReader = this.fromIntercept.allocReader();

		private @Nullable VIO readVio;

		private @Nullable VIO writeVio;

		private final HttpRequest request;

		private boolean requestComplete;

		private boolean responseStarted;

		private boolean interim;

		private int status;

		private boolean responseKeepAlive;

		/** The intercept ended its side (EOS): its response is complete once what was read is relayed. */
		private boolean responseEnded;

		/** The intercept takes no more of the request (it closed, or shut down its reading). */
		private boolean requestRefused;

		private boolean done;

		ServerIntercept(ClientConnection client, String hook, PairCore pair, HttpRequest request) {
			this.client = client;
			this.hook = hook;
			this.pair = pair;
			this.active = pair.active();
			this.request = request;
		}

		@Override
		public Lock mutex() {
			return this.mutex;
		}

		void start() {
			this.mutex.lock();
			try {
				this.readVio = this.active.read(this, this.fromIntercept, Long.MAX_VALUE);
				this.writeVio = this.active.write(this, this.toInterceptReader, Long.MAX_VALUE);
				encode(this.request);
			}
			finally {
				this.mutex.unlock();
			}
		}

		private void encode(HttpObject msg) {
			if (msg instanceof LastHttpContent) {
				this.requestComplete = true;
			}
			this.codec.writeOutbound(msg);
			ByteBuf encoded;
			while ((encoded = this.codec.readOutbound()) != null) {
				this.toIntercept.write(encoded);
			}
			if (this.writeVio != null) {
				this.writeVio.reenable();
			}
		}

		@Override
		public boolean wantsRequestContent() {
			return !this.done && !this.requestComplete && !this.requestRefused && !this.toIntercept.isHighWater();
		}

		@Override
		public void requestContent(HttpContent content) {
			this.mutex.lock();
			try {
				if (this.done || this.requestRefused) {
					content.release();
					return;
				}
				encode(content);
			}
			finally {
				this.mutex.unlock();
			}
		}

		@Override
		public void handleEvent(VConnEvent event, @Nullable Object data) {
			if (this.done) {
				return;
			}
			switch (event) {
				case VCONN_READ_READY:
					relayResponse();
					break;
				case VCONN_WRITE_READY:
					if (!this.toIntercept.isHighWater()) {
						this.client.process(); // room for more request body
					}
					break;
				case VCONN_EOS:
					// the rest may still wait in the read buffer for the client to take it
					this.responseEnded = true;
					relayResponse();
					break;
				case ERROR:
					if (data == this.writeVio) {
						// the intercept closed its end: it reads no more of the request, but its
						// response is still being read (an abort shows as ERROR on the read too)
						this.requestRefused = true;
						break;
					}
					malformed("the intercept failed: " + event);
					break;
				case VCONN_INACTIVITY_TIMEOUT:
				case VCONN_ACTIVE_TIMEOUT:
					malformed("the intercept failed: " + event);
					break;
				default:
					break;
			}
		}

		private void relayResponse() {
			while (!this.done && this.client.clientWritable()) {
				if (this.fromInterceptReader.avail() == 0) {
					break;
				}
				ByteBuf bytes = this.fromInterceptReader.readRetained(64 * 1024);
				this.codec.writeInbound(bytes);
				drainDecoded();
			}
			if (!this.done && this.responseEnded && this.fromInterceptReader.avail() == 0) {
				this.codec.finish(); // a response delimited by close ends here
				drainDecoded();
				if (!this.done) {
					malformed("the intercept closed before its response was complete");
				}
				return;
			}
			if (!this.done && this.readVio != null) {
				this.readVio.reenable();
			}
		}

		private void drainDecoded() {
			Object msg;
			while (!this.done && (msg = this.codec.readInbound()) != null) {
				if (msg instanceof HttpResponse) {
					HttpResponse response = (HttpResponse) msg;
					if (response.decoderResult().isFailure()) {
						ReferenceCountUtil.release(msg);
						malformed("malformed response: " + response.decoderResult().cause());
						return;
					}
					this.status = response.status().code();
					this.interim = this.status >= 100 && this.status < 200 && this.status != 101;
					if (!this.interim) {
						this.responseStarted = true;
						this.responseKeepAlive = isFramed(this.request, response);
						prepareForClient(response, this.responseKeepAlive);
					}
				}
				else if (msg instanceof HttpContent && ((HttpContent) msg).decoderResult().isFailure()) {
					ReferenceCountUtil.release(msg);
					malformed("malformed response body");
					return;
				}
				boolean last = msg instanceof LastHttpContent;
				if (!this.client.respond((HttpObject) msg)) {
					end(false);
					return;
				}
				if (last && !this.interim && this.responseStarted) {
					end(true);
					return;
				}
			}
		}

		private void malformed(String why) {
			if (this.done) {
				return;
			}
			logger.log(System.Logger.Level.WARNING, "Server intercept " + this.hook + ": " + why);
			TransactionServer.this.runtime.listener()
				.onIntercept(this.hook, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ERROR);
			boolean started = this.responseStarted;
			cleanUp();
			// the intercept's own VConn is aborted for what it did; the listener's end just goes away
			((ManagedVConn) this.pair.passive()).abort(AbortCause.INTERCEPT, 0);
			this.active.close();
			if (!started) {
				this.client.failBeforeResponse();
			}
			else {
				this.client.abortResponse();
			}
		}

		/** The response was relayed (or the client left): close the pair's active end. */
		private void end(boolean relayed) {
			cleanUp();
			this.active.close(); // the intercept's read sees end of stream
			if (relayed) {
				boolean keepAlive = this.responseKeepAlive && this.requestComplete;
				this.client.exchangeDone(TransactionPath.SERVER_INTERCEPTED, this.status, keepAlive);
			}
		}

		private void cleanUp() {
			this.done = true;
			this.codec.finishAndReleaseAll();
			this.toIntercept.close();
			this.fromIntercept.close();
		}

		@Override
		public void clientWritable() {
			this.mutex.lock();
			try {
				if (!this.done) {
					relayResponse();
				}
			}
			finally {
				this.mutex.unlock();
			}
		}

		@Override
		public void clientClosed() {
			this.mutex.lock();
			try {
				if (!this.done) {
					cleanUp();
					this.active.abort(0);
				}
			}
			finally {
				this.mutex.unlock();
			}
		}

		@Override
		public boolean responseStarted() {
			return this.responseStarted;
		}

		@Override
		public boolean awaitsRequestBody() {
			return !this.done && !this.requestComplete && !this.requestRefused;
		}

	}

}
