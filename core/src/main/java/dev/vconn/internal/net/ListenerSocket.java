package dev.vconn.internal.net;

import java.net.InetSocketAddress;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;

/**
 * The socket an intercept listener serves on: an address to bind, or a listening descriptor it
 * inherited (socket activation, and later a takeover). An inherited descriptor belongs to the
 * listener's server channel once {@link #open} is called: closing the channel closes it.
 */
public final class ListenerSocket {

	private final InetSocketAddress bindAddress;

	private final int fd;

	private final String origin;

	private ListenerSocket(InetSocketAddress bindAddress, int fd, String origin) {
		this.bindAddress = bindAddress;
		this.fd = fd;
		this.origin = origin;
	}

	/** A socket to create and bind to an address. */
	public static ListenerSocket bind(InetSocketAddress address) {
		return new ListenerSocket(address, -1, "bound");
	}

	/**
	 * A listening TCP socket already checked by {@link SocketActivation#checkListening}, in
	 * non-blocking mode; epoll only.
	 * @param fd the descriptor
	 * @param origin where it came from, for logs (for example {@code "LISTEN_FDS fd 3 (vconn-listener)"})
	 * @param configured the address that would have been bound, shown in logs only
	 */
	public static ListenerSocket inherited(int fd, String origin, InetSocketAddress configured) {
		return new ListenerSocket(configured, fd, origin);
	}

	public boolean isInherited() {
		return this.fd >= 0;
	}

	/** The inherited descriptor, or -1. */
	public int fd() {
		return this.fd;
	}

	/**
	 * Points a listener bootstrap at this socket: for an inherited descriptor, an epoll channel
	 * wrapping it; otherwise the bootstrap keeps the runtime's own channel factory, which creates
	 * (and records as held) a new socket to bind.
	 * @param bootstrap the runtime's listener bootstrap
	 * @return the same bootstrap
	 */
	public ServerBootstrap configure(ServerBootstrap bootstrap) {
		if (isInherited()) {
			return bootstrap.channelFactory(HeldChannels.inheritedServerFactory(this.fd));
		}
		return bootstrap;
	}

	/**
	 * Starts accepting: binds, or registers the inherited listening socket with an event loop.
	 * Blocks until done; rethrows the bind failure.
	 */
	public Channel open(ServerBootstrap bootstrap) {
		if (isInherited()) {
			return bootstrap.register().syncUninterruptibly().channel();
		}
		return bootstrap.bind(this.bindAddress).syncUninterruptibly().channel();
	}

	@Override
	public String toString() {
		return isInherited() ? this.origin : "bind " + this.bindAddress;
	}

}
