package dev.vconn.reliability;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Event loops for the suite's own load clients and origins, kept apart from the runtime's: epoll
 * where available, NIO otherwise. A few threads drive thousands of connections, so the suite's
 * thread count does not grow with its load.
 */
final class NettyLoops {

	private NettyLoops() {
	}

	static EventLoopGroup group(int threads, String name) {
		return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true),
				Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
	}

	static Class<? extends ServerChannel> serverChannel() {
		return Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
	}

	static Class<? extends SocketChannel> channel() {
		return Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class;
	}

}
