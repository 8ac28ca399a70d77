package dev.vconn.internal.http;

import dev.vconn.internal.vconn.ContinuationDelivery;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.vconn.Continuation;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionOutcome;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.internal.net.NetVConn;
import dev.vconn.internal.net.NetVConnFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * The request loop of one client connection of the per-transaction listener: reads requests one at
 * a time, offers each to the hooks, starts its {@link Exchange} (pass-through, server intercept) or
 * hands the connection to a connection intercept, relays the response, runs the header and idle
 * timers, and ends the connection gracefully after a response that says {@code Connection: close}.
 * On the connection's loop.
 *
 * <p>Longer than the house's 500 lines because every phase of the loop (reading a head, an exchange
 * in flight, relaying, closing, a takeover) reads and changes the same few fields on the same
 * thread; the codecs, exchanges, relay and hand-over already live in classes of their own.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {

	private static final System.Logger logger = System.getLogger(ClientConnection.class.getName());

	private static final ByteBuf CONTINUE = Unpooled.unreleasableBuffer(
			Unpooled.copiedBuffer("HTTP/1.1 100 Continue\r\n\r\n", StandardCharsets.US_ASCII).asReadOnly());

	final TransactionServer server;

	final HeadCapture capture = new HeadCapture();

	final RequestHeadDecoder decoder;

	private final ArrayDeque<HttpObject> inbound = new ArrayDeque<>();

	/** Set once the connection is active; every exchange starts after that. */
	@Nullable ChannelHandlerContext ctx;

	private @Nullable Exchange exchange;

	/** The transaction being served, until its end is reported. */
	private @Nullable HttpTransaction transaction;

	private boolean slotReserved;

	private boolean closing;

	private boolean readRequested;

	/** {@link HeadCapture#total} when nothing read was left unprocessed: what came since is held. */
	private long processedUpTo;

	private int requests;

	/**
	 * Whether a timeout runs: the header timeout (408) while a head is coming, the idle timeout
	 * between requests. It ends at {@link #deadline}.
	 */
	private boolean timeoutArmed;

	/** When the running timeout ends, in {@link System#nanoTime()}. */
	private long deadline;

	/**
	 * The one task that checks the deadline, at {@link #checkAt}. It stays scheduled while the
	 * timeouts are armed, disarmed and moved from one keep-alive request to the next, and when the
	 * deadline moved later meanwhile it schedules itself again for the rest, so that a request costs
	 * no scheduling and cancelling of tasks.
	 */
	private @Nullable ScheduledFuture<?> timeoutCheck;

	private long checkAt;

	/**
	 * The exchange whose next hop must start its response by the {@link #deadline}: the running
	 * timeout is its origin timeout. Null while a timeout of the connection itself runs, or none.
	 */
	private @Nullable ResponseTimer awaitedResponse;

	/** Waiting for the first byte of the next request: the idle timeout runs, not the header timeout. */
	private boolean idle;

	private boolean closeAfterResponse;

	/** The current request is HTTP/1.0. */
	private boolean http10Client;

	/** The client finished sending: requests it already sent are still answered, then the connection closes. */
	private boolean inputShutdown;

	/** Where this connection goes once no transaction is in flight, during a takeover; else null. */
	private @Nullable HandedOffConnection handOff;

	/** A takeover holds the connection: nothing read is processed, nothing more is asked for. */
	private boolean handingOff;

	/** The response encoder's context, through which raw response bytes bypass it; looked up on first use. */
	private @Nullable ChannelHandlerContext encoderContext;

	private @Nullable String forwardedFor;

	/** Response bytes were written that are not flushed yet. */
	private boolean unflushed;

	ClientConnection(TransactionServer server) {
		this.server = server;
		this.decoder = server.codecs.requestDecoder();
	}

	@Override
	public void channelActive(ChannelHandlerContext ctx) {
		this.ctx = ctx;
		if (!this.server.running) {
			ctx.close();
			return;
		}
		if (!this.server.runtime.reserveSlot()) {
			reject(503);
			return;
		}
		this.slotReserved = true;
		this.server.clients.add(ctx.channel());
		this.capture.onRead = this::bytesArrived;
		armHeaderTimeout();
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
		endTransaction(TransactionOutcome.ABANDONED, 0);
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
			this.server.clients.remove(ctx.channel());
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

	/**
	 * During a takeover: hands the connection to {@code sink} as soon as no transaction is in flight
	 * (now, or when the current response is complete), with the requests read and not yet served;
	 * see {@link HandedOffConnection}. Until then the connection is served as usual.
	 */
	void handOffWhenIdle(Consumer<? super HandedOffConnection> sink) {
		if (this.ctx != null) {
			this.handOff = new HandedOffConnection(this.ctx.channel(), this, sink);
			handOffIfIdle();
		}
	}

	/** Starts handing the connection over if it is idle; returns whether the takeover now holds it. */
	boolean handOffIfIdle() {
		HandedOffConnection pending = this.handOff;
		if (pending == null || !idleForHandOff() || !pending.start(this.inbound)) {
			return false;
		}
		this.handOff = null;
		this.handingOff = true; // what arrives meanwhile is kept, and served by whoever ends up with it
		cancelTimeout();
		return true;
	}

	boolean idleForHandOff() {
		return !this.closing && !this.inputShutdown && this.exchange == null && this.ctx != null;
	}

	/**
	 * The successor serves the connection: let go of this copy without a word to the client. The
	 * channel is deregistered, so its close reaches no handler: what they hold is released here.
	 */
	void handedOff() {
		this.closing = true;
		this.capture.release();
		releaseInbound();
		releaseSlot();
		this.server.clients.remove(this.ctx.channel());
		if (this.ctx.pipeline().context(this.decoder) != null) {
			this.ctx.pipeline().remove(this.decoder); // the bytes it held reach this handler, closing, which drops them
		}
		this.ctx.channel().close();
	}

	/** The successor did not take the connection: serve it again, registered with its loop, unserved requests first. */
	void resumeAfterHandOff() {
		this.handingOff = false;
		this.readRequested = false;
		armIdleTimeout();
		process();
	}

	// ---- the request loop ----

	void process() {
		if (this.closing || this.handingOff) {
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

	/**
	 * Reads when waiting for a head, or for body the current exchange wants, and also while what is
	 * held unprocessed stays within the head size limit, which bounds a pipelining client. Keeping a
	 * read pending while a transaction holds the connection lets NIO notice at once a client that
	 * resets or closes (NIO watches a socket only while asked to read), and keeps epoll's read
	 * interest registered from one keep-alive request to the next: a read asked for while the last
	 * one completes costs no system call, where clearing and setting it again costs two
	 * {@code epoll_ctl} per request.
	 */
	void maybeRead() {
		if (this.closing || this.handingOff || this.readRequested || this.ctx == null) {
			return;
		}
		Exchange current = this.exchange;
		boolean want = (current == null) ? this.inbound.isEmpty()
				: this.inbound.isEmpty() && current.wantsRequestContent();
		if (want || holdsLessThanAHead()) {
			requestRead();
		}
	}

	private boolean holdsLessThanAHead() {
		if (this.inbound.isEmpty()) {
			this.processedUpTo = this.capture.total;
		}
		return this.capture.total - this.processedUpTo < this.server.limits.maxHeaderSize();
	}

	private void requestRead() {
		this.readRequested = true;
		this.ctx.read();
	}

	private void startTransaction(HttpRequest request) {
		disarmTimeout();
		this.requests++;
		DecoderResult result = request.decoderResult();
		if (result.isFailure()) {
			reject(ErrorResponses.statusOf(result));
			return;
		}
		if (!HttpUtil.isKeepAlive(request)) {
			this.closeAfterResponse = true;
		}
		this.http10Client = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
		HttpTransaction txn = new HttpTransaction(this.ctx.channel(), request, true);
		this.transaction = txn;
		txn.started(this.server.observer);
		for (InterceptHook hook : this.server.hooks.hooks()) {
			txn.offeredTo(hook);
			try {
				hook.onTransaction(txn);
			}
			catch (Throwable ex) {
				logger.log(System.Logger.Level.WARNING,
						"Intercept hook " + hook.name() + " threw on transaction " + txn.id() + "; answering 500", ex);
				this.server.observer.onIntercept(hook.name(), InterceptType.INTERCEPT, InterceptOutcome.ERROR);
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
			txn.routed(TransactionPath.PASS_THROUGH);
			passThrough(request);
		}
		else if (txn.type() == InterceptType.SERVER_INTERCEPT) {
			txn.routed(TransactionPath.SERVER_INTERCEPTED);
			serverIntercept(hook, cont, request);
		}
		else {
			txn.routed(TransactionPath.INTERCEPTED);
			connectionIntercept(hook, cont, request);
		}
	}

	// ---- connection intercept: the client connection becomes the continuation's VConn ----

	private void connectionIntercept(String hook, Continuation cont, HttpRequest request) {
		ChannelHandlerContext context = this.ctx;
		Channel channel = context.channel();
		if (!channel.isActive() || !this.server.runtime.isRunning()) {
			this.server.observer.onIntercept(hook, InterceptType.INTERCEPT, InterceptOutcome.ACCEPT_FAILED);
			ContinuationDelivery.deliver(channel.eventLoop(), cont, VConnEvent.NET_ACCEPT_FAILED, null);
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
			InterceptHandOver.encode(context, request, this.inbound, replay);
		}
		this.closing = true; // this handler is done with the connection
		cancelTimeout();
		InterceptHandOver.ReplayCollector collector = new InterceptHandOver.ReplayCollector(replay);
		context.pipeline().addBefore(context.name(), null, collector);
		if (context.pipeline().context(this.capture) != null) {
			context.pipeline().remove(this.capture);
		}
		context.pipeline().remove(this.decoder); // its unparsed bytes land in the collector
		context.pipeline().remove(HttpResponseEncoder.class);
		context.pipeline().remove(collector);
		context.pipeline().remove(this);
		this.server.clients.remove(channel);
		this.slotReserved = false; // the slot is the VConn's now
		NetVConn vconn = NetVConnFactory.of(this.server.runtime).adoptAccepted(channel, replay, System.nanoTime());
		this.server.observer.onIntercept(hook, InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
		this.server.observer.onTransactionCompleted(TransactionPath.INTERCEPTED, 0);
		endTransaction(TransactionOutcome.COMPLETED, 0);
		InterceptHandOver.deliverAccept(channel, hook, cont, vconn);
	}

	// ---- responses ----

	/**
	 * Answers {@code 100 Continue} for the current request: its next hop is ready for the body, and
	 * the client, which waits for this, sends it.
	 */
	void respondContinue() {
		if (this.ctx != null && this.ctx.channel().isActive()) {
			writeRaw(CONTINUE.duplicate());
			flushRelayed();
		}
	}

	/**
	 * Whether the body of a final head goes to the client de-chunked: an HTTP/1.0 client does not
	 * know chunked encoding (RFC 9112 section 7.1), so it gets the data alone, ended by the close.
	 */
	boolean dechunks(ResponseHead head) {
		return !head.isInterim() && head.isChunked() && this.http10Client;
	}

	/**
	 * Sends the head of a next hop's response as bytes, the client's copy of the next hop's: see
	 * {@link ResponseHead#encode}. A final head carries the listener's connection field (RFC 9112
	 * section 9.6); an interim one is flushed at once, since the final one may be long in coming.
	 * @param keepAlive whether the response leaves the connection usable, as far as the next hop's
	 * response goes
	 * @param dechunked whether the body follows de-chunked, so that the client needs the close to find its end
	 * @return false if the client is gone
	 */
	boolean relayHead(ResponseHead head, boolean keepAlive, boolean dechunked) {
		if (this.ctx == null || !this.ctx.channel().isActive()) {
			return false;
		}
		String connection = null;
		if (!head.isInterim()) {
			Exchange current = this.exchange;
			this.closeAfterResponse = this.closeAfterResponse || !this.server.running || !keepAlive || dechunked
					|| (current != null && current.awaitsRequestBody());
			if (this.closeAfterResponse) {
				connection = "close";
			}
			else if (this.http10Client) {
				connection = "keep-alive";
			}
			if (this.transaction != null) {
				this.transaction.responded(head.status());
			}
		}
		writeRaw(head.encode(this.ctx.alloc(), connection, dechunked));
		if (head.isInterim()) {
			flushRelayed();
		}
		return true;
	}

	/**
	 * Sends body bytes of a next hop's response as they are, unflushed until the last or
	 * {@link #flushRelayed()}.
	 * <p><b>Ownership:</b> takes {@code bytes}, also when the client is gone.
	 * @return false if the client is gone
	 */
	boolean relayBody(ByteBuf bytes, boolean last) {
		if (this.ctx == null || !this.ctx.channel().isActive()) {
			bytes.release();
			return false;
		}
		if (bytes.isReadable()) {
			writeRaw(bytes);
		}
		else {
			bytes.release();
		}
		if (last) {
			flushRelayed();
		}
		return true;
	}

	/** Writes bytes past the response encoder, which takes only message objects. */
	private void writeRaw(ByteBuf bytes) {
		ChannelHandlerContext encoder = this.encoderContext;
		if (encoder == null) {
			encoder = this.ctx.pipeline().context(HttpResponseEncoder.class);
			this.encoderContext = encoder;
		}
		encoder.write(bytes, encoder.voidPromise());
		this.unflushed = true;
	}

	/**
	 * Sends what {@link #relayHead} and {@link #relayBody} left unflushed; called at the end of each
	 * batch read from the next hop.
	 */
	void flushRelayed() {
		if (this.unflushed && this.ctx != null) {
			this.unflushed = false;
			this.ctx.flush();
		}
	}

	boolean clientWritable() {
		return this.ctx != null && this.ctx.channel().isWritable();
	}

	/** The current exchange relayed its whole response. */
	void exchangeDone(TransactionPath path, int status, boolean keepAlive) {
		this.exchange = null;
		this.server.observer.onTransactionCompleted(path, status);
		endTransaction(TransactionOutcome.COMPLETED, status);
		if (!keepAlive || this.closeAfterResponse || !this.server.running) {
			close();
			return;
		}
		// a body the exchange did not take (e.g. answered early) must not be read as the next head
		armIdleTimeout();
		if (!handOffIfIdle()) {
			process();
		}
	}

	/** Ends the connection after what was written. */
	void close() {
		if (this.ctx == null || this.closing) {
			return;
		}
		this.closing = true;
		cancelTimeout();
		ErrorResponses.closeGracefully(this.ctx.channel().writeAndFlush(Unpooled.EMPTY_BUFFER));
	}

	/** Answers with an error status and closes without cutting the response off. */
	void reject(int status) {
		if (ErrorResponses.runtimeStopping(this.ctx.channel())) {
			endTransaction(TransactionOutcome.ABANDONED, 0);
		}
		else {
			if (status != 500) {
				this.server.observer.onListenerRejection(status);
			}
			endTransaction(TransactionOutcome.REJECTED, status);
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
		ErrorResponses.send(channel, status);
	}

	/**
	 * The response was cut off after it started: the client must see the connection fail, not a
	 * short body. A plain close would end a close-delimited body as if it were complete, so the
	 * connection is reset (SO_LINGER 0).
	 */
	void abortResponse() {
		endTransaction(TransactionOutcome.ABORTED, 0);
		Channel channel = this.ctx.channel();
		try {
			channel.config().setOption(ChannelOption.SO_LINGER, 0);
		}
		catch (RuntimeException ex) {
			// closed already: a plain close is all that is left
		}
		channel.close();
	}

	/**
	 * An exchange failed before any response byte reached the client: 502 (the next hop failed)
	 * or 504 (it did not answer in time), then close.
	 */
	void failBeforeResponse(int status) {
		reject(status);
	}

	/** The head of the first request must be complete within the header timeout of the accept. */
	private void armHeaderTimeout() {
		armTimeout(false, this.server.limits.headerTimeout().toNanos());
	}

	/**
	 * Between requests: a connection on which nothing arrives within the idle timeout is closed
	 * quietly; the first byte of a request starts its header timeout.
	 */
	private void armIdleTimeout() {
		if (!this.inbound.isEmpty()) {
			armHeaderTimeout(); // the next request is already here (pipelined)
			return;
		}
		armTimeout(true, this.server.limits.idleTimeout().toNanos());
	}

	/**
	 * The exchange's next hop has the timeout from now to start its response. It runs on the
	 * connection's own timeout check, which no timeout of the connection needs while a request is
	 * served, so that an exchange schedules and cancels no task of its own.
	 */
	void awaitResponse(ResponseTimer timer, long timeoutNanos) {
		armTimeout(false, timeoutNanos);
		this.awaitedResponse = timer;
	}

	/** The exchange's next hop made progress: its timeout counts from now. */
	void responseProgress(ResponseTimer timer, long timeoutNanos) {
		if (this.awaitedResponse == timer) {
			this.deadline = System.nanoTime() + timeoutNanos; // a check due earlier waits for the rest
		}
	}

	/** The exchange's response started, or the exchange ended: its timeout no longer runs. */
	void responseAwaited(ResponseTimer timer) {
		if (this.awaitedResponse == timer) {
			disarmTimeout();
		}
	}

	private void armTimeout(boolean idle, long timeoutNanos) {
		this.idle = idle;
		this.awaitedResponse = null;
		this.timeoutArmed = true;
		this.deadline = System.nanoTime() + timeoutNanos;
		if (this.timeoutCheck != null) {
			if (this.checkAt - this.deadline <= 0) {
				return; // the check comes in time, and waits for the rest then
			}
			this.timeoutCheck.cancel(false);
		}
		scheduleTimeoutCheck();
	}

	private void scheduleTimeoutCheck() {
		this.checkAt = this.deadline;
		this.timeoutCheck = this.ctx.executor()
			.schedule(this::checkTimeout, this.deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
	}

	private void checkTimeout() {
		this.timeoutCheck = null;
		if (!this.timeoutArmed || this.closing) {
			return;
		}
		if (this.deadline - System.nanoTime() > 0) {
			scheduleTimeoutCheck(); // moved later meanwhile
			return;
		}
		this.timeoutArmed = false;
		ResponseTimer awaited = this.awaitedResponse;
		if (awaited != null) {
			this.awaitedResponse = null;
			awaited.expired();
			return;
		}
		if (this.exchange != null) {
			return;
		}
		if (this.idle) {
			close();
		}
		else {
			reject(408);
		}
	}

	/** No timeout runs (a request is being served, say), but the check stays scheduled. */
	private void disarmTimeout() {
		this.idle = false;
		this.timeoutArmed = false;
		this.awaitedResponse = null;
	}

	/** Bytes came from the client: the first of a new request ends the idle wait. */
	private void bytesArrived() {
		if (this.idle && this.exchange == null && !this.closing) {
			armHeaderTimeout();
		}
	}

	/** Reports the end of the current transaction, if one is open, to the observers. */
	private void endTransaction(TransactionOutcome outcome, int status) {
		HttpTransaction current = this.transaction;
		if (current != null) {
			this.transaction = null;
			current.ended(outcome, status);
		}
	}

	/** The connection is closing or handed over: no timeout runs, and no check stays scheduled. */
	private void cancelTimeout() {
		disarmTimeout();
		if (this.timeoutCheck != null) {
			this.timeoutCheck.cancel(false);
			this.timeoutCheck = null;
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
			this.server.runtime.releaseSlot();
		}
	}

	// ---- pass-through ----

	private void passThrough(HttpRequest request) {
		OriginPool pool = this.server.origins;
		if (pool == null) {
			reject(502);
			return;
		}
		dropCapture();
		PassThroughExchange exchange = new PassThroughExchange(this, pool,
				PassThroughExchange.forwardable(request, forwardedFor(), this.server.forwardedHeaders));
		this.exchange = exchange;
		exchange.start();
	}

	/** The client's IP address as {@code X-Forwarded-For} gives it, worked out once per connection; null when it has none. */
	private @Nullable String forwardedFor() {
		if (this.forwardedFor == null && this.ctx.channel().remoteAddress() instanceof InetSocketAddress) {
			this.forwardedFor = ((InetSocketAddress) this.ctx.channel().remoteAddress()).getAddress().getHostAddress();
		}
		return this.forwardedFor;
	}

	void dropCapture() {
		this.capture.stopCapturing();
	}

	// ---- server intercept ----

	private void serverIntercept(String hook, Continuation cont, HttpRequest request) {
		ServerInterceptExchange exchange = ServerInterceptExchange.create(this, hook, cont, request);
		if (exchange != null) {
			this.exchange = exchange;
			exchange.begin(cont);
		}
	}

}
