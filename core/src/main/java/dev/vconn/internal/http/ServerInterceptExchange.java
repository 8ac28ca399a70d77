package dev.vconn.internal.http;

import dev.vconn.internal.vconn.ContinuationDelivery;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.vconn.CloseKind;
import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.internal.net.NetVConnFactory;
import dev.vconn.internal.pair.PairCore;
import dev.vconn.internal.vconn.ManagedVConn;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import org.jspecify.annotations.Nullable;

/**
 * Drives the active end of a pair: writes the request into it, parses the response the
 * intercept writes back with Netty's HTTP client codec, and relays it to the client. Runs on the
 * client connection's loop, which is also the pair's loop.
 */
final class ServerInterceptExchange implements Exchange, Continuation {

	private static final System.Logger logger = System.getLogger(ServerInterceptExchange.class.getName());

	/** Most idle codec channels an event loop keeps for its next exchanges. */
	private static final int MAX_IDLE_CODECS = 16;

	/**
	 * Each event loop's idle codec channels: making an {@link EmbeddedChannel} and closing it again
	 * cost more than parsing a small response, so exchanges reuse them, with a fresh codec each.
	 */
	private static final FastThreadLocal<ArrayDeque<EmbeddedChannel>> IDLE_CODECS = new FastThreadLocal<>() {
		@Override
		protected ArrayDeque<EmbeddedChannel> initialValue() {
			return new ArrayDeque<>();
		}
	};

	private final Lock mutex = new ReentrantLock();

	private final ClientConnection client;

	private final String hook;

	private final PairCore pair;

	private final VConn active;

	private final EmbeddedChannel codec;

	private final ResponseTimer timer;

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

	ServerInterceptExchange(ClientConnection client, String hook, PairCore pair, HttpRequest request) {
		this.client = client;
		this.hook = hook;
		this.pair = pair;
		this.active = pair.active();
		this.request = request;
		this.codec = codecChannel(client.server.codecs);
		this.timer = new ResponseTimer(client.ctx.channel().eventLoop(), this.client.server.limits.originTimeout(),
				this::timedOut);
	}

	/** A codec channel with a fresh codec: an idle one of this loop, or a new one. On the loop. */
	private static EmbeddedChannel codecChannel(HttpCodecs codecs) {
		EmbeddedChannel channel = IDLE_CODECS.get().pollFirst();
		if (channel == null) {
			channel = new EmbeddedChannel();
		}
		channel.pipeline().addLast(codecs.nextHopCodec());
		return channel;
	}

	/**
	 * Drops the codec and whatever it held, and keeps the channel for the loop's next exchange
	 * unless it was closed (a response delimited by close ends it) or failed. On the loop.
	 */
	private void releaseCodec() {
		EmbeddedChannel channel = this.codec;
		ArrayDeque<EmbeddedChannel> idle = IDLE_CODECS.get();
		if (!channel.isOpen() || idle.size() >= MAX_IDLE_CODECS
				|| !this.client.ctx.channel().eventLoop().inEventLoop()) {
			channel.finishAndReleaseAll();
			return;
		}
		try {
			channel.pipeline().removeFirst(); // bytes the decoder still held land in the inbound queue
			channel.releaseInbound();
			channel.releaseOutbound();
			channel.checkException();
		}
		catch (RuntimeException ex) {
			channel.finishAndReleaseAll();
			return;
		}
		idle.addFirst(channel);
	}

	/** The intercept did not start its response in time: 504, and its VConn is aborted for it. */
	private void timedOut() {
		this.mutex.lock();
		try {
			if (!this.done && !this.responseStarted) {
				fail("did not start its response within " + this.client.server.limits.originTimeout(),
						CloseKind.TIMEOUT, 504);
			}
		}
		finally {
			this.mutex.unlock();
		}
	}

	@Override
	public Lock mutex() {
		return this.mutex;
	}

	/** The request as the intercept gets it: hop-by-hop headers out, and the pair closes after it. */
	static HttpRequest forwardable(HttpRequest request) {
		HttpHeaders headers = request.headers();
		ResponseRelay.removeHopByHop(headers);
		// the pair carries one transaction: the intercept may answer and close
		headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
		return new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(), headers);
	}

	/**
	 * Makes the exchange of a transaction a hook server-intercepted, and answers {@code 100 Continue}
	 * for it; or, when the pair cannot be made (the client left, the runtime stops), answers 503 and
	 * gives the continuation {@code NET_ACCEPT_FAILED}.
	 * @return the exchange, to {@link #begin}; {@code null} when it failed
	 */
	static @Nullable ServerInterceptExchange create(ClientConnection client, String hook, Continuation cont,
			HttpRequest request) {
		Channel channel = client.ctx.channel();
		PairCore pair;
		try {
			if (!channel.isActive()) {
				throw new IllegalStateException("the client left");
			}
			pair = PairCore.create(client.server.runtime, IOBuffer.DEFAULT_WATER_MARK);
		}
		catch (RuntimeException ex) {
			client.server.observer.onIntercept(hook, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPT_FAILED);
			ContinuationDelivery.deliver(channel.eventLoop(), cont, VConnEvent.NET_ACCEPT_FAILED, null);
			client.reject(503);
			return null;
		}
		client.dropCapture();
		if (HttpUtil.is100ContinueExpected(request)) {
			// the intercept is ready for the body: tell the client, and do not pass the expectation on
			client.respond(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
			request.headers().remove(HttpHeaderNames.EXPECT);
		}
		return new ServerInterceptExchange(client, hook, pair, forwardable(request));
	}

	/** Sends the request into the pair and gives its passive end to the intercept. */
	void begin(Continuation cont) {
		this.client.server.observer.onIntercept(this.hook, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPTED);
		start();
		InterceptHandOver.deliverAccept(this.client.ctx.channel(), this.hook, cont, this.pair.passive());
	}

	private void start() {
		this.mutex.lock();
		try {
			this.timer.start();
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
		this.timer.progress();
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

	/** Relays what the intercept wrote, then sends it to the client in one flush. */
	private void relayResponse() {
		relayDecoded();
		this.client.flushRelayed();
	}

	private void relayDecoded() {
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
				this.interim = ResponseRelay.isInterim(this.status);
				if (this.interim) {
					this.timer.progress();
				}
				else {
					this.timer.stop();
					this.responseStarted = true;
					this.responseKeepAlive = ResponseRelay.isFramed(this.request, response);
					ResponseRelay.prepareForClient(response, this.responseKeepAlive);
				}
			}
			else if (msg instanceof HttpContent && ((HttpContent) msg).decoderResult().isFailure()) {
				ReferenceCountUtil.release(msg);
				malformed("malformed response body");
				return;
			}
			boolean last = msg instanceof LastHttpContent;
			if (!this.client.relay((HttpObject) msg)) {
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
		fail(why, CloseKind.INTERCEPT, 502);
	}

	/**
	 * The intercept failed the exchange: its own VConn is aborted with {@code cause}, and the
	 * client gets {@code status}, or a reset if its response had started.
	 */
	private void fail(String why, CloseKind cause, int status) {
		if (this.done) {
			return;
		}
		logger.log(System.Logger.Level.WARNING, "Server intercept " + this.hook + ": " + why);
		this.client.server.observer.onIntercept(this.hook, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ERROR);
		boolean started = this.responseStarted;
		cleanUp();
		// the intercept's own VConn is aborted for what it did; the listener's end just goes away
		((ManagedVConn) this.pair.passive()).abort(cause, 0);
		this.active.close();
		if (!started) {
			this.client.failBeforeResponse(status);
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
		this.timer.stop();
		releaseCodec();
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
