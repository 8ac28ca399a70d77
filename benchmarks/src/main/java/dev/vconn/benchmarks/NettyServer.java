package dev.vconn.benchmarks;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.FullHttpRequest;

/**
 * The far end of the I/O benchmarks, in raw Netty on its own single-thread epoll group: an echo
 * server, or an HTTP/1.1 origin that answers every request with a body of a fixed size.
 */
final class NettyServer implements AutoCloseable {

	private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());

	private final Channel server;

	private NettyServer(ChannelHandler perConnection) {
		this.server = new ServerBootstrap().group(this.group)
			.channel(EpollServerSocketChannel.class)
			.childHandler(perConnection)
			.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
			.syncUninterruptibly()
			.channel();
	}

	/** Echoes every byte back. */
	static NettyServer echo() {
		return new NettyServer(new ChannelInitializer<>() {
			@Override
			protected void initChannel(Channel ch) {
				ch.pipeline().addLast(new Echo());
			}
		});
	}

	/**
	 * Answers every request {@code 200} with {@code bodySize} bytes, keeping the connection open.
	 * @param bodySize bytes of the body
	 */
	static NettyServer http(int bodySize) {
		byte[] body = new byte[bodySize];
		java.util.Arrays.fill(body, (byte) 'x');
		ByteBuf content = Unpooled.unreleasableBuffer(Unpooled.directBuffer(bodySize).writeBytes(body));
		return new NettyServer(new ChannelInitializer<>() {
			@Override
			protected void initChannel(Channel ch) {
				ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new Origin(content));
			}
		});
	}

	InetSocketAddress address() {
		return (InetSocketAddress) this.server.localAddress();
	}

	@Override
	public void close() {
		this.server.close().syncUninterruptibly();
		this.group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
	}

	private static final class Echo extends ChannelInboundHandlerAdapter {

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			ctx.write(msg, ctx.voidPromise());
		}

		@Override
		public void channelReadComplete(ChannelHandlerContext ctx) {
			ctx.flush();
		}

	}

	private static final class Origin extends SimpleChannelInboundHandler<FullHttpRequest> {

		private final ByteBuf content;

		Origin(ByteBuf content) {
			this.content = content;
		}

		@Override
		protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
			FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
					this.content.duplicate());
			response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
			HttpUtil.setContentLength(response, this.content.readableBytes());
			HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
			ctx.writeAndFlush(response, ctx.voidPromise());
		}

	}

}
