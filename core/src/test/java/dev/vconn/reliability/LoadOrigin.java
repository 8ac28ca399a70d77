package dev.vconn.reliability;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * An HTTP/1.1 origin on loopback that holds thousands of connections on one event loop (where
 * {@code TestOrigin} takes a thread per connection). Every request gets 200 with the body
 * {@link #bodyFor}, so a client can tell that its own request was answered; keep-alive as the
 * request asks.
 */
final class LoadOrigin implements AutoCloseable {

	private final EventLoopGroup group = NettyLoops.group(1, "load-origin");

	private final AtomicInteger accepted = new AtomicInteger();

	private final AtomicInteger open = new AtomicInteger();

	private final AtomicInteger served = new AtomicInteger();

	/** Accepted connections still open, closed by {@link #close()} itself. */
	private final Set<Channel> channels = ConcurrentHashMap.newKeySet();

	private final Channel server;

	LoadOrigin() {
		this.server = new ServerBootstrap().group(this.group)
			.channel(NettyLoops.serverChannel())
			.option(ChannelOption.SO_BACKLOG, 4096)
			.childHandler(new ChannelInitializer<>() {
				@Override
				protected void initChannel(Channel channel) {
					LoadOrigin.this.accepted.incrementAndGet();
					LoadOrigin.this.open.incrementAndGet();
					LoadOrigin.this.channels.add(channel);
					channel.closeFuture().addListener((f) -> {
						LoadOrigin.this.channels.remove(channel);
						LoadOrigin.this.open.decrementAndGet();
					});
					channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Answer());
				}
			})
			.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
			.syncUninterruptibly()
			.channel();
	}

	/** The body of the answer to a request for {@code target} with a body of {@code bodyLength} bytes. */
	static String bodyFor(String target, int bodyLength) {
		return "served " + target + " with " + bodyLength + " request bytes";
	}

	InetSocketAddress address() {
		return (InetSocketAddress) this.server.localAddress();
	}

	/** Connections accepted so far. */
	int accepted() {
		return this.accepted.get();
	}

	/** Connections open now. */
	int open() {
		return this.open.get();
	}

	/** Requests answered so far. */
	int served() {
		return this.served.get();
	}

	/**
	 * Closes the listening socket and every accepted connection, then the event loop. The
	 * connections are closed here, not left to the loop's shutdown: Netty closes what is still
	 * registered only on a loop iteration that sees the shutdown, which a loop busy with tasks
	 * (the FINs of the proxy's pooled connections, say) can end without.
	 */
	@Override
	public void close() {
		this.server.close().syncUninterruptibly();
		List.copyOf(this.channels).forEach((channel) -> channel.close().syncUninterruptibly());
		this.group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
	}

	private final class Answer extends SimpleChannelInboundHandler<FullHttpRequest> {

		@Override
		protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
			ByteBuf body = Unpooled.copiedBuffer(bodyFor(request.uri(), request.content().readableBytes()),
					StandardCharsets.ISO_8859_1);
			FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
			HttpUtil.setContentLength(response, body.readableBytes());
			boolean keepAlive = HttpUtil.isKeepAlive(request);
			if (!keepAlive) {
				response.headers().set(HttpHeaderNames.CONNECTION, "close");
			}
			LoadOrigin.this.served.incrementAndGet();
			ctx.writeAndFlush(response)
				.addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			ctx.close(); // a peer that went away
		}

	}

}
