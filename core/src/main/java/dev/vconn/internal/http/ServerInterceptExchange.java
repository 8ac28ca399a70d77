package dev.vconn.internal.http;

import dev.vconn.internal.vconn.ContinuationDelivery;
import java.util.concurrent.locks.Lock;
import java.util.function.Consumer;
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
import dev.vconn.internal.pair.PairCore;
import dev.vconn.internal.vconn.ManagedVConn;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import org.jspecify.annotations.Nullable;

/**
 * Drives the active end of a pair: writes the request into it as Netty's request encoder writes it
 * for the origin, reads the response the intercept writes back with the same
 * {@link ResponseScanner} that reads the origin's, and relays it to the client as bytes. Runs on
 * the client connection's loop, which is also the pair's loop.
 */
final class ServerInterceptExchange implements Exchange, Continuation, ResponseScanner.Sink {

	private static final System.Logger logger = System.getLogger(ServerInterceptExchange.class.getName());

	/** Most bytes taken from the pair per scan, so that a full client stops the relay soon. */
	private static final int READ_SIZE = 64 * 1024;

	private final Lock mutex = new ReentrantLock();

	private final ClientConnection client;

	private final String hook;

	private final PairCore pair;

	private final VConn active;

	private final RequestEncoder encoder;

	private final ResponseScanner scanner;

	private final ResponseTimer timer;

	private final IOBuffer toIntercept = IOBuffer.create();

	private final Consumer<ByteBuf> toInterceptSink = this.toIntercept::write;

	private final IOBufferReader toInterceptReader = this.toIntercept.allocReader();

	private final IOBuffer fromIntercept = IOBuffer.create();

	private final IOBufferReader fromInterceptReader = this.fromIntercept.allocReader();

	private @Nullable VIO readVio;

	private @Nullable VIO writeVio;

	private final HttpRequest request;

	private boolean requestComplete;

	private boolean responseStarted;

	private int status;

	private boolean responseKeepAlive;

	/** The intercept ended its side (EOS): its response is complete once what was read is relayed. */
	private boolean responseEnded;

	/** The intercept takes no more of the request (it closed, or shut down its reading). */
	private boolean requestRefused;

	/** The scanner is reading: it is released once it returns, not from under it. */
	private boolean scanning;

	private boolean done;

	ServerInterceptExchange(ClientConnection client, String hook, PairCore pair, HttpRequest request) {
		this.client = client;
		this.hook = hook;
		this.pair = pair;
		this.active = pair.active();
		this.request = request;
		this.encoder = new RequestEncoder(client.ctx);
		this.scanner = new ResponseScanner(client.ctx.alloc());
		this.timer = new ResponseTimer(client, this.client.server.limits.originTimeout(),
				this::timedOut);
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
			client.respondContinue();
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
			this.scanner.expect(this.request.method().equals(HttpMethod.HEAD));
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
		this.encoder.encode(msg, this.toInterceptSink);
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
				broken("the intercept failed: " + event);
				break;
			case VCONN_INACTIVITY_TIMEOUT:
			case VCONN_ACTIVE_TIMEOUT:
				broken("the intercept failed: " + event);
				break;
			default:
				break;
		}
	}

	/** Relays what the intercept wrote, as far as the client takes it, then sends it in one flush. */
	private void relayResponse() {
		this.scanning = true;
		try {
			while (!this.done && this.client.clientWritable() && this.fromInterceptReader.avail() > 0) {
				// false only for bytes after the response's end, which the exchange, done by then, drops
				this.scanner.read(this.fromInterceptReader.readRetained(READ_SIZE), this);
			}
		}
		finally {
			this.scanning = false;
			if (this.done) {
				this.scanner.release();
			}
		}
		if (!this.done && this.responseEnded && this.fromInterceptReader.avail() == 0) {
			if (this.scanner.closeDelimited()) {
				body(Unpooled.EMPTY_BUFFER, true); // the close ends the body
			}
			else {
				broken("the intercept closed before its response was complete");
			}
		}
		else if (!this.done) {
			this.readVio.reenable();
		}
		this.client.flushRelayed();
	}

	@Override
	public boolean head(ResponseHead head) {
		if (this.done) {
			return false;
		}
		this.status = head.status();
		if (this.timer.headArrived(head)) {
			this.responseStarted = true;
			// the pair carries one transaction, so the intercept's Connection field is about the pair
			// alone; after a 101 the client's connection would no longer carry HTTP
			this.responseKeepAlive = head.isFramed() && head.status() != 101;
		}
		boolean dechunk = this.client.dechunks(head);
		if (!this.client.relayHead(head, this.responseKeepAlive, dechunk)) {
			end(false);
			return false;
		}
		return dechunk;
	}

	@Override
	public void body(ByteBuf bytes, boolean last) {
		if (this.done) {
			bytes.release();
			return;
		}
		if (!this.client.relayBody(bytes, last)) {
			end(false);
		}
		else if (last) {
			end(true);
		}
	}

	@Override
	public void malformed(String reason) {
		broken("malformed response: " + reason);
	}

	/** The intercept broke the exchange: 502, or a reset once the response started. */
	private void broken(String why) {
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
		if (!this.scanning) {
			this.scanner.release();
		}
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
