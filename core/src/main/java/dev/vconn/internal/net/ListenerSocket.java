package dev.vconn.internal.net;

import dev.vconn.internal.runtime.RuntimeCore;
import java.net.InetSocketAddress;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;

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
	 * A listener bootstrap on {@code runtime}'s loops for this socket: its server channel wraps the
	 * inherited descriptor (held like the runtime's own), or is a new socket of the runtime's to bind.
	 * @param runtime the runtime the listener runs on
	 * @return the bootstrap
	 */
	public ServerBootstrap bootstrap(RuntimeCore runtime) {
		return isInherited() ? runtime.listenerBootstrap(HeldChannels.inheritedServerFactory(this.fd))
				: runtime.listenerBootstrap();
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
