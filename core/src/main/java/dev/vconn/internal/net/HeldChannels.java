package dev.vconn.internal.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.spi.SelectorProvider;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.vconn.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.UnixChannel;
import org.jspecify.annotations.Nullable;

/**
 * Makes the channels of every VConn runtime, each holding its descriptor in {@link HeldFds} from
 * creation (or, for a connection a listener accepts, from the moment the listener sees it) until
 * it is closed, so that no descriptor of a runtime channel can be adopted. NIO channels keep their
 * descriptors inside the JDK, out of reach of {@code adopt(int)}, and are made as they are.
 *
 * <p>A channel gives its number back when its close future completes, which Netty does on the
 * loop right after {@code close(2)}; from the moment Netty marks the channel's descriptor closed,
 * an adoption of a number reused meanwhile waits for that instead of failing ({@link HeldFds}).
 */
public final class HeldChannels {

	private static final ChannelHandler ACCEPTED = new AcceptedConnections();

	/**
	 * The local addresses of the runtimes' bound epoll listening channels, each with how many
	 * channels listen there (two runtimes of one process can share a socket handed over).
	 */
	private static final Map<InetSocketAddress, Integer> LISTENING = new ConcurrentHashMap<>();

	private HeldChannels() {
	}

	/**
	 * Makes listening channels whose accepted connections are held.
	 * @param transport the runtime's transport (EPOLL or NIO)
	 * @return the factory for {@code ServerBootstrap.channelFactory}
	 */
	static ChannelFactory<ServerChannel> serverFactory(Transport transport) {
		if (transport != Transport.EPOLL) {
			return NioServerSocketChannel::new;
		}
		return () -> {
			EpollServerSocketChannel channel = hold(new EpollServerSocketChannel());
			channel.pipeline().addLast(ACCEPTED);
			return channel;
		};
	}

	/**
	 * Makes the listening channel over an inherited listening descriptor (epoll only), held and
	 * holding what it accepts like a listening channel of the runtime's own.
	 * @param fd the inherited descriptor
	 * @return the factory for {@code ServerBootstrap.channelFactory}
	 */
	static ChannelFactory<ServerChannel> inheritedServerFactory(int fd) {
		return () -> {
			EpollServerSocketChannel channel = hold(new EpollServerSocketChannel(fd));
			channel.pipeline().addLast(ACCEPTED);
			return channel;
		};
	}

	/**
	 * Makes TCP client channels.
	 * @param transport the runtime's transport (EPOLL or NIO)
	 * @return the factory for {@code Bootstrap.channelFactory}
	 */
	public static ChannelFactory<Channel> socketFactory(Transport transport) {
		return (transport == Transport.EPOLL) ? () -> hold(new EpollSocketChannel()) : NioSocketChannel::new;
	}

	/**
	 * Makes a TCP client channel for a connect to {@code target}, of the target's address family: an
	 * IPv4 socket for an IPv4 address needs no dual-stack option, and reports plain IPv4 addresses.
	 * @param transport the runtime's transport (EPOLL or NIO)
	 * @param target the resolved address to connect to
	 * @return the unregistered channel
	 */
	static Channel newSocket(Transport transport, InetSocketAddress target) {
		SocketProtocolFamily family = (target.getAddress() instanceof Inet4Address) ? SocketProtocolFamily.INET
				: SocketProtocolFamily.INET6;
		if (transport != Transport.EPOLL) {
			return new NioSocketChannel(SelectorProvider.provider(), family);
		}
		return hold(new EpollSocketChannel(family));
	}

	/**
	 * Makes a Unix domain client channel (epoll only).
	 * @return the unregistered channel
	 */
	static Channel newDomainSocket() {
		return hold(new EpollDomainSocketChannel());
	}

	/**
	 * Wraps a client connection another process handed over (epoll only), after the checks of
	 * {@code fdCreate}: an open, connected TCP stream socket without a pending error. On success the
	 * channel owns the descriptor and holds it; on failure the descriptor stays the caller's.
	 * @param fd the received descriptor
	 * @return the unregistered channel
	 * @throws IllegalArgumentException naming what is wrong with the descriptor
	 */
	public static Channel handedOverConnection(int fd) {
		try {
			FdProbe.Facts facts = FdProbe.inspect(fd);
			if (facts.unix) {
				throw new IllegalArgumentException("fd " + fd + " is a Unix domain socket, not a TCP connection");
			}
		}
		catch (FdProbe.Rejected ex) {
			throw new IllegalArgumentException(ex.getMessage() + " (" + ex.reason + ")");
		}
		if (LibC.fcntl(fd, LibC.F_SETFL, LibC.fcntl(fd, LibC.F_GETFL, 0) | LibC.O_NONBLOCK) == -1) {
			throw new IllegalArgumentException("fd " + fd + " cannot be made non-blocking: errno " + LibC.errno());
		}
		return hold(new EpollSocketChannel(fd));
	}

	/**
	 * Wraps close-on-exec duplicates of connections another process handed over together (a
	 * tunnel's two sockets), after the checks of {@link #handedOverConnection}. The descriptors
	 * stay the caller's, whatever happens; the channels own the duplicates.
	 * @param fds the received descriptors
	 * @return the unregistered channels, in the order of {@code fds}
	 * @throws IllegalArgumentException naming what is wrong with a descriptor
	 */
	public static Channel[] handedOverConnections(int... fds) {
		Channel[] channels = new Channel[fds.length];
		try {
			for (int i = 0; i < fds.length; i++) {
				int duplicate = LibC.fcntl(fds[i], LibC.F_DUPFD_CLOEXEC, 0);
				if (duplicate < 0) {
					throw new IllegalArgumentException("fd " + fds[i] + " cannot be duplicated: errno " + LibC.errno());
				}
				try {
					channels[i] = handedOverConnection(duplicate);
				}
				catch (RuntimeException ex) {
					LibC.close(duplicate);
					throw ex;
				}
			}
			return channels;
		}
		catch (RuntimeException ex) {
			for (Channel channel : channels) {
				if (channel != null) {
					channel.unsafe().closeForcibly();
				}
			}
			throw ex;
		}
	}

	/** Wraps a duplicate an adoption made; the channel owns and holds it from then on. */
	static Channel wrap(int duplicate, boolean unix) {
		return hold(unix ? new EpollDomainSocketChannel(duplicate) : new EpollSocketChannel(duplicate));
	}

	private static <C extends UnixChannel> C hold(C channel) {
		HeldFds.Hold hold = HeldFds.take(channel.fd());
		((Channel) channel).closeFuture().addListener((ChannelFutureListener) (future) -> hold.release());
		return channel;
	}

	/**
	 * Whether {@code local} is the local address of a connection one of the runtimes' listening
	 * channels accepted (see {@link #accepts}).
	 * <p>An accepted connection is held only once the listener's pipeline sees it, a moment after
	 * the kernel gave it its number; an adoption racing with that moment checks this instead.
	 */
	static boolean isListenersConnection(@Nullable SocketAddress local) {
		if (LISTENING.isEmpty() || !(local instanceof InetSocketAddress)) {
			return false;
		}
		InetSocketAddress address = (InetSocketAddress) local;
		for (InetSocketAddress listening : LISTENING.keySet()) {
			if (accepts(listening, address)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether a socket listening on {@code listening} can have accepted a connection whose local
	 * address is {@code local}: the same port, and the same IP unless the listener is bound to a
	 * wildcard. {@code 0.0.0.0} takes IPv4 connections only, so an IPv6 connection to the same port
	 * (accepted by another socket, bound to an IPv6 address) is not one of its; {@code ::} takes both
	 * families, as the runtimes' dual-stack listening sockets do.
	 */
	static boolean accepts(InetSocketAddress listening, InetSocketAddress local) {
		if (listening.getPort() != local.getPort()) {
			return false;
		}
		InetAddress bound = listening.getAddress();
		if (!bound.isAnyLocalAddress()) {
			return bound.equals(local.getAddress());
		}
		return !(bound instanceof Inet4Address) || local.getAddress() instanceof Inet4Address;
	}

	/** Whether any runtime listening channel is bound: only then can an adoption race with an accept. */
	static boolean hasListeners() {
		return !LISTENING.isEmpty();
	}

	/**
	 * Holds each connection a listening channel accepts, before it is registered anywhere, and
	 * records where the listening channel listens while it is bound.
	 */
	@ChannelHandler.Sharable
	private static final class AcceptedConnections extends ChannelInboundHandlerAdapter {

		@Override
		public void channelActive(ChannelHandlerContext ctx) {
			SocketAddress local = ctx.channel().localAddress();
			if (local instanceof InetSocketAddress) {
				LISTENING.merge((InetSocketAddress) local, 1, Integer::sum);
			}
			ctx.fireChannelActive();
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			SocketAddress local = ctx.channel().localAddress();
			if (local instanceof InetSocketAddress) {
				LISTENING.computeIfPresent((InetSocketAddress) local, (address, count) -> (count > 1) ? count - 1 : null);
			}
			ctx.fireChannelInactive();
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (msg instanceof UnixChannel) {
				hold((UnixChannel) msg);
			}
			ctx.fireChannelRead(msg);
		}

	}

}
