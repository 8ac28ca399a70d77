package dev.vconn.reliability;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Many HTTP/1.1 client connections to one address, driven by two event-loop threads with Netty's
 * HTTP client codec: each {@link Connection} sends requests (pipelined when sent before the
 * previous answer) and gets each response, whole, as a future.
 */
final class LoadClients implements AutoCloseable {

	/** Connects in flight at once: stays under any listen backlog. */
	private static final int CONNECTS_IN_FLIGHT = 256;

	/** A response as the client read it. */
	record Reply(int status, String body, boolean closeAsked) {
	}

	private final EventLoopGroup group = NettyLoops.group(2, "load-client");

	private final Bootstrap bootstrap;

	LoadClients(InetSocketAddress target) {
		this.bootstrap = new Bootstrap().group(this.group)
			.channel(NettyLoops.channel())
			.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
			.option(ChannelOption.TCP_NODELAY, true)
			.remoteAddress(target)
			.handler(new ChannelInitializer<>() {
				@Override
				protected void initChannel(Channel channel) {
					channel.pipeline()
						.addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20), new Connection(channel));
				}
			});
	}

	/**
	 * Opens {@code count} connections, at most {@link #CONNECTS_IN_FLIGHT} connecting at once.
	 * @return the connections, all connected
	 */
	List<Connection> open(int count) throws InterruptedException {
		Semaphore inFlight = new Semaphore(CONNECTS_IN_FLIGHT);
		List<CompletableFuture<Connection>> connecting = new ArrayList<>(count);
		for (int i = 0; i < count; i++) {
			inFlight.acquire();
			CompletableFuture<Connection> connected = new CompletableFuture<>();
			this.bootstrap.connect().addListener((io.netty.channel.ChannelFuture f) -> {
				inFlight.release();
				if (f.isSuccess()) {
					connected.complete(f.channel().pipeline().get(Connection.class));
				}
				else {
					connected.completeExceptionally(f.cause());
				}
			});
			connecting.add(connected);
		}
		return connecting.stream().map(CompletableFuture::join).toList();
	}

	@Override
	public void close() {
		this.group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
	}

	/** One client connection; its methods may be called from any thread. */
	static final class Connection extends SimpleChannelInboundHandler<FullHttpResponse> {

		private final Channel channel;

		private final Queue<CompletableFuture<Reply>> waiting = new ConcurrentLinkedQueue<>();

		Connection(Channel channel) {
			this.channel = channel;
		}

		/** Sends a GET for {@code target}; the future completes with its response, or fails if the connection ends first. */
		CompletableFuture<Reply> get(String target) {
			FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
			request.headers().set(HttpHeaderNames.HOST, "origin.test");
			CompletableFuture<Reply> reply = new CompletableFuture<>();
			// queued and written on the loop, so the queue order is the wire order
			this.channel.eventLoop().execute(() -> {
				if (!this.channel.isActive()) {
					request.release();
					reply.completeExceptionally(new IOException("connection closed before the request was sent"));
					return;
				}
				this.waiting.add(reply);
				this.channel.writeAndFlush(request);
			});
			return reply;
		}

		/** Whether the connection is open. */
		boolean isOpen() {
			return this.channel.isActive();
		}

		/** Closes the connection; the future completes once it is closed. */
		CompletableFuture<Void> close() {
			CompletableFuture<Void> closed = new CompletableFuture<>();
			this.channel.close().addListener((f) -> closed.complete(null));
			return closed;
		}

		@Override
		protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
			CompletableFuture<Reply> reply = this.waiting.poll();
			if (reply != null) {
				reply.complete(new Reply(response.status().code(),
						response.content().toString(StandardCharsets.ISO_8859_1),
						response.headers().containsValue(HttpHeaderNames.CONNECTION, "close", true)));
			}
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			CompletableFuture<Reply> reply;
			while ((reply = this.waiting.poll()) != null) {
				reply.completeExceptionally(new IOException("connection closed before the response"));
			}
			ctx.fireChannelInactive();
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			ctx.close();
		}

	}

}
