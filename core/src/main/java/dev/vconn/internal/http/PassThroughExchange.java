package dev.vconn.internal.http;

import java.util.ArrayDeque;

import dev.vconn.intercept.TransactionPath;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.jspecify.annotations.Nullable;

/**
 * One unclaimed transaction on its way to the origin: sends the request over a pooled connection
 * (one retry on a fresh one when a pooled connection turns out closed), relays the response to the
 * client with backpressure both ways, and answers 502 or 504 itself when the origin fails or does
 * not answer in time. On the client connection's loop, which is also the origin connection's.
 */
final class PassThroughExchange implements Exchange, OriginPool.Exchange {

	private static final String VIA = "1.1 vconn";

	private final ClientConnection client;

	private final OriginPool pool;

	private final HttpRequest request;

	private @Nullable Channel origin;

	/** The reader of {@link #origin}'s responses; set with it. */
	private OriginPool.@Nullable OriginRelay relay;

	private boolean reused;

	private boolean retried;

	private boolean requestComplete;

	private boolean responseStarted;

	private int status;

	private boolean originKeepAlive;

	private boolean clientKeepAlive;

	/** Request body read before an origin connection was there; made when the first part comes. */
	private @Nullable ArrayDeque<HttpContent> pendingBody;

	private boolean done;

	private final ResponseTimer timer;

	PassThroughExchange(ClientConnection client, OriginPool pool, HttpRequest request) {
		this.client = client;
		this.pool = pool;
		this.request = request;
		this.timer = new ResponseTimer(client,
				this.client.server.limits.originTimeout(), this::timedOut);
	}

	/** The origin did not start its response in time: the client gets 504. */
	private void timedOut() {
		if (!this.done && !this.responseStarted) {
			fail(504, null);
		}
	}

	/**
	 * The request as the origin gets it: hop-by-hop headers out, forwarding headers in.
	 * @param clientAddress the client's IP address for {@code X-Forwarded-For}, or null when it has none
	 */
	static HttpRequest forwardable(HttpRequest request, @Nullable String clientAddress, boolean forwardedHeaders) {
		HttpHeaders headers = request.headers();
		ResponseRelay.removeHopByHop(headers);
		if (forwardedHeaders) {
			headers.add(HttpHeaderNames.VIA, VIA);
			if (clientAddress != null) {
				headers.add("X-Forwarded-For", clientAddress);
			}
		}
		return new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri(), headers);
	}

	void start() {
		this.timer.start();
		Channel channel = this.client.ctx.channel();
		Channel idle = this.pool.pollIdle(channel.eventLoop());
		if (idle != null) {
			this.reused = true;
			attach(idle);
			return;
		}
		this.reused = false;
		connectFresh();
	}

	/** Opens a new origin connection for this exchange. */
	private void connectFresh() {
		this.pool.connect(this.client.ctx.channel().eventLoop()).addListener((ChannelFuture future) -> {
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
		this.relay = OriginPool.relayOf(channel);
		this.relay.begin(this, this.request.method().equals(HttpMethod.HEAD));
		channel.write(this.request, channel.voidPromise());
		HttpContent content;
		while (this.pendingBody != null && (content = this.pendingBody.pollFirst()) != null) {
			send(content);
		}
		channel.flush();
		channel.config().setAutoRead(true);
		this.client.process();
	}

	@Override
	public boolean wantsRequestContent() {
		return !this.requestComplete
				&& (this.origin == null ? this.pendingBody == null || this.pendingBody.size() < 16 : this.origin.isWritable());
	}

	@Override
	public void requestContent(HttpContent content) {
		if (this.origin == null) {
			pending().addLast(content);
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
		this.timer.progress();
		this.origin.write(content, this.origin.voidPromise());
	}

	@Override
	public void originWritable() {
		this.client.process();
	}

	@Override
	public boolean originHead(ResponseHead head) {
		if (this.done) {
			return false;
		}
		this.status = head.status();
		if (this.timer.headArrived(head)) {
			this.responseStarted = true;
			this.originKeepAlive = head.originKeepAlive;
			// a body delimited by the origin's close can reach the client only the same way
			this.clientKeepAlive = this.originKeepAlive && head.isFramed();
		}
		boolean dechunk = this.client.dechunks(head);
		if (!this.client.relayHead(head, this.clientKeepAlive, dechunk)) {
			abandon();
			return false;
		}
		pauseOriginIfClientFull();
		return dechunk;
	}

	@Override
	public void originBody(ByteBuf bytes, boolean last) {
		if (this.done) {
			bytes.release();
			return;
		}
		if (!this.client.relayBody(bytes, last)) {
			abandon();
			return;
		}
		pauseOriginIfClientFull();
		if (last) {
			finish();
		}
	}

	private void pauseOriginIfClientFull() {
		if (!this.client.clientWritable()) {
			this.origin.config().setAutoRead(false); // resumes in clientWritable()
		}
	}

	@Override
	public void originMalformed(String reason) {
		fail(new DecoderException("origin response: " + reason));
	}

	@Override
	public void originReadComplete() {
		this.client.flushRelayed();
	}

	private void finish() {
		this.done = true;
		this.timer.stop();
		Channel channel = this.origin;
		boolean reusable = this.originKeepAlive && this.requestComplete;
		if (reusable) {
			this.pool.release(channel, this.relay);
		}
		else {
			this.relay.detach();
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
		if (!this.responseStarted && this.reused && !this.retried && (this.pendingBody == null || this.pendingBody.isEmpty())
				&& this.requestComplete && !HttpUtil.isTransferEncodingChunked(this.request)
				&& HttpUtil.getContentLength(this.request, 0) == 0) {
			// a pooled connection the origin had closed meanwhile: one retry on a fresh one
			this.retried = true;
			this.reused = false;
			this.origin = null;
			// the request is sent again whole: its end went to the dead connection, and without it
			// the new connection's encoder would stay inside this request and refuse the next one
			pending().addLast(LastHttpContent.EMPTY_LAST_CONTENT);
			connectFresh();
			return;
		}
		fail(cause);
	}

	private void fail(@Nullable Throwable cause) {
		fail(502, cause);
	}

	private void fail(int status, @Nullable Throwable cause) {
		if (this.done) {
			return;
		}
		this.done = true;
		this.timer.stop();
		releasePending();
		if (this.origin != null) {
			this.relay.detach();
			this.origin.close();
		}
		if (!this.responseStarted) {
			this.client.failBeforeResponse(status);
		}
		else {
			this.client.abortResponse();
		}
	}

	private void abandon() {
		this.done = true;
		this.timer.stop();
		releasePending();
		if (this.origin != null) {
			this.relay.detach();
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

	private ArrayDeque<HttpContent> pending() {
		if (this.pendingBody == null) {
			this.pendingBody = new ArrayDeque<>();
		}
		return this.pendingBody;
	}

	private void releasePending() {
		HttpContent content;
		while (this.pendingBody != null && (content = this.pendingBody.pollFirst()) != null) {
			content.release();
		}
	}

}
