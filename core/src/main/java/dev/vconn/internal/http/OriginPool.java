package dev.vconn.internal.http;

import dev.vconn.internal.net.HeldChannels;
import dev.vconn.internal.runtime.RuntimeCore;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
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

	/** Opens a new connection on {@code loop}; its pipeline ends with {@link OriginRelay}. */
	ChannelFuture connect(EventLoop loop) {
		return new Bootstrap().group(loop)
			.channelFactory(HeldChannels.socketFactory(this.runtime.transport()))
			.resolver(NoopAddressResolverGroup.INSTANCE)
			.option(ChannelOption.TCP_NODELAY, true)
			.handler(new ChannelInitializer<Channel>() {
				@Override
				protected void initChannel(Channel channel) {
					channel.pipeline()
						.addLast(OriginPool.this.codecs.nextHopCodec())
						.addLast(new IdleStateHandler(0, 0,
								OriginPool.this.codecs.limits().originIdleTimeout().toNanos(), TimeUnit.NANOSECONDS))
						.addLast(new OriginRelay());
				}
			})
			.connect(this.origin);
	}

	/** Gives back a connection whose exchange ended cleanly and that may be reused. On its loop. */
	void release(Channel channel) {
		OriginRelay relay = channel.pipeline().get(OriginRelay.class);
		if (relay != null) {
			relay.exchange = null;
		}
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

		void originRead(Object msg);

		/** The end of a batch of reads: what was relayed from it goes to the client now. */
		void originReadComplete();

		void originWritable();

		void originClosed(@Nullable Throwable cause);

	}

	/** Passes origin responses to the current exchange; an idle connection closes when it times out. */
	static final class OriginRelay extends ChannelInboundHandlerAdapter {

		@Nullable Exchange exchange;

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			Exchange current = this.exchange;
			if (current == null) {
				ReferenceCountUtil.release(msg);
				ctx.close(); // an idle origin must not send anything
				return;
			}
			current.originRead(msg);
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
			Exchange current = this.exchange;
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
