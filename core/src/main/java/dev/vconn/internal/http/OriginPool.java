package dev.vconn.internal.http;

import dev.vconn.internal.net.HeldChannels;
import dev.vconn.internal.runtime.RuntimeCore;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

/**
 * Keep-alive HTTP/1.1 connections to the origin, one idle list per event loop, so that a client
 * connection always reuses origin connections of its own loop and never touches another loop's.
 * Idle connections close themselves after the origin idle timeout of the listener's
 * {@link HttpLimits}, so a quiet process holds no origin connection for long.
 */
final class OriginPool {

	/** Bound on idle connections kept per loop; more are closed on release. */
	private static final int MAX_IDLE_PER_LOOP = 64;

	private final RuntimeCore runtime;

	private final InetSocketAddress origin;

	private final Map<EventLoop, ArrayDeque<Channel>> idle = new ConcurrentHashMap<>();

	private final HttpCodecs codecs;

	private volatile boolean closed;

	OriginPool(RuntimeCore runtime, InetSocketAddress origin, HttpCodecs codecs) {
		this.runtime = runtime;
		this.origin = origin;
		this.codecs = codecs;
	}

	InetSocketAddress origin() {
		return this.origin;
	}

	/** An idle connection of this loop, or null. On the loop. */
	@Nullable Channel pollIdle(EventLoop loop) {
		ArrayDeque<Channel> channels = this.idle.get(loop);
		if (channels == null) {
			return null;
		}
		Channel channel;
		while ((channel = channels.pollFirst()) != null) {
			if (channel.isActive()) {
				return channel;
			}
		}
		return null;
	}

	/**
	 * Opens a new connection on {@code loop}; its pipeline ends with {@link OriginRelay}. Requests
	 * go out through Netty's encoder; responses are read as bytes by the relay's
	 * {@link ResponseScanner}, never decoded into message objects.
	 */
	ChannelFuture connect(EventLoop loop) {
		return new Bootstrap().group(loop)
			.channelFactory(HeldChannels.socketFactory(this.runtime.transport()))
			.resolver(NoopAddressResolverGroup.INSTANCE)
			.option(ChannelOption.TCP_NODELAY, true)
			.handler(new ChannelInitializer<Channel>() {
				@Override
				protected void initChannel(Channel channel) {
					channel.pipeline()
						.addLast(new HttpRequestEncoder())
						// idle by reads alone: a pooled connection's last act was reading a response, and
						// watching writes would cost a promise and a listener per write
						.addLast(new IdleStateHandler(OriginPool.this.codecs.limits().originIdleTimeout().toNanos(), 0, 0,
								TimeUnit.NANOSECONDS))
						.addLast(new OriginRelay());
				}
			})
			.connect(this.origin);
	}

	/** The relay of a connection this pool opened: the last handler, found without a search of the pipeline. */
	static OriginRelay relayOf(Channel channel) {
		ChannelHandler last = channel.pipeline().last();
		return (last instanceof OriginRelay) ? (OriginRelay) last : channel.pipeline().get(OriginRelay.class);
	}

	/** Gives back a connection whose exchange ended cleanly and that may be reused, with its relay. On its loop. */
	void release(Channel channel, OriginRelay relay) {
		relay.detach();
		ArrayDeque<Channel> channels = this.idle.computeIfAbsent(channel.eventLoop(), (loop) -> new ArrayDeque<>());
		if (this.closed || !channel.isActive() || channels.size() >= MAX_IDLE_PER_LOOP) {
			channel.close();
			return;
		}
		channels.addFirst(channel);
	}

	void close() {
		this.closed = true;
		for (Map.Entry<EventLoop, ArrayDeque<Channel>> entry : this.idle.entrySet()) {
			entry.getKey().execute(() -> {
				Channel channel;
				while ((channel = entry.getValue().pollFirst()) != null) {
					channel.close();
				}
			});
		}
	}

	/** What an origin connection reports to the exchange using it. */
	interface Exchange {

		/** See {@link ResponseScanner.Sink#head}. */
		boolean originHead(ResponseHead head);

		/** See {@link ResponseScanner.Sink#body}. */
		void originBody(ByteBuf bytes, boolean last);

		/** The origin's response broke HTTP/1.1. */
		void originMalformed(String reason);

		/** The end of a batch of reads: what was relayed from it goes to the client now. */
		void originReadComplete();

		void originWritable();

		void originClosed(@Nullable Throwable cause);

	}

	/**
	 * Reads the origin's responses for the current exchange; an idle connection closes when it times
	 * out, and when the origin sends anything no request asked for.
	 */
	static final class OriginRelay extends ChannelInboundHandlerAdapter implements ResponseScanner.Sink {

		private @Nullable Exchange exchange;

		private @Nullable ResponseScanner scanner;

		private @Nullable ChannelHandlerContext ctx;

		@Override
		public void handlerAdded(ChannelHandlerContext ctx) {
			this.ctx = ctx;
			this.scanner = new ResponseScanner(ctx.alloc());
		}

		/** The exchange's request goes out on this connection: the response to it is the exchange's. */
		void begin(Exchange exchange, boolean headRequest) {
			this.exchange = exchange;
			this.scanner.expect(headRequest);
		}

		/** The connection no longer serves an exchange: pooled, or closing. */
		void detach() {
			this.exchange = null;
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (this.exchange == null || !(msg instanceof ByteBuf)) {
				ReferenceCountUtil.release(msg);
				ctx.close(); // an idle origin must not send anything
				return;
			}
			if (!this.scanner.read((ByteBuf) msg, this)) {
				ctx.close(); // bytes after the end of the response
			}
		}

		@Override
		public boolean head(ResponseHead head) {
			Exchange current = this.exchange;
			return current != null && current.originHead(head);
		}

		@Override
		public void body(ByteBuf bytes, boolean last) {
			Exchange current = this.exchange;
			if (current == null) {
				bytes.release();
				return;
			}
			current.originBody(bytes, last);
		}

		@Override
		public void malformed(String reason) {
			Exchange current = this.exchange;
			this.exchange = null;
			this.ctx.close();
			if (current != null) {
				current.originMalformed(reason);
			}
		}

		@Override
		public void channelReadComplete(ChannelHandlerContext ctx) {
			Exchange current = this.exchange;
			if (current != null) {
				current.originReadComplete();
			}
			ctx.fireChannelReadComplete();
		}

		@Override
		public void channelWritabilityChanged(ChannelHandlerContext ctx) {
			Exchange current = this.exchange;
			if (current != null && ctx.channel().isWritable()) {
				current.originWritable();
			}
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			boolean closeDelimited = this.scanner.closeDelimited();
			boolean insideHead = this.scanner.insideHead();
			this.scanner.release();
			Exchange current = this.exchange;
			if (current != null && insideHead) {
				// part of a response came: not a pooled connection the origin had closed, so no retry
				this.exchange = null;
				current.originMalformed("the origin closed inside a response head");
				return;
			}
			if (current != null && closeDelimited) {
				current.originBody(Unpooled.EMPTY_BUFFER, true); // the close ends the body
				current = this.exchange;
			}
			this.exchange = null;
			if (current != null) {
				current.originClosed(null);
			}
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			Exchange current = this.exchange;
			this.exchange = null;
			ctx.close();
			if (current != null) {
				current.originClosed(cause);
			}
		}

		@Override
		public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
			if (evt instanceof IdleStateEvent && this.exchange == null) {
				ctx.close();
			}
			else {
				ctx.fireUserEventTriggered(evt);
			}
		}

	}

}
