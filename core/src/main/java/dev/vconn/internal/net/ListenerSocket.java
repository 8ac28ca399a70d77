package dev.vconn.internal.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

import dev.vconn.Transport;
import dev.vconn.internal.runtime.RuntimeCore;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.util.concurrent.EventExecutor;

/**
 * The sockets an intercept listener serves on: an address to bind, or listening descriptors it
 * inherited (socket activation, a takeover). Inherited descriptors belong to the listener's server
 * channels once {@link #open} is called: closing the channels closes them.
 *
 * <p>Bound on epoll with more than one event loop, the listener opens one socket per loop, all on
 * the address ({@code SO_REUSEPORT}): the kernel spreads connections over them, and each loop
 * serves what it accepts. With a single socket, the loop that accepts has to hand half of the
 * connections to another loop and wake it, a system call and a thread switch per connection.
 */
public final class ListenerSocket {

	private final InetSocketAddress bindAddress;

	private final int[] fds;

	private final boolean socketPerLoop;

	private final String origin;

	private ListenerSocket(InetSocketAddress bindAddress, int[] fds, boolean socketPerLoop, String origin) {
		this.bindAddress = bindAddress;
		this.fds = fds;
		this.socketPerLoop = socketPerLoop;
		this.origin = origin;
	}

	/**
	 * Sockets to create and bind to an address.
	 * @param address the address to bind
	 * @param socketPerLoop whether to bind one socket per event loop where the transport allows
	 * ({@code SO_REUSEPORT} on epoll); otherwise one socket whose loop hands connections to the others
	 * @return the sockets
	 */
	public static ListenerSocket bind(InetSocketAddress address, boolean socketPerLoop) {
		return new ListenerSocket(address, new int[0], socketPerLoop, "bound");
	}

	/**
	 * Listening TCP sockets already checked by {@link SocketActivation#checkListening}, in
	 * non-blocking mode; epoll only. With as many sockets as event loops or more, each loop serves
	 * the connections its sockets accept; with fewer, accepted connections are spread over all loops.
	 * @param fds the descriptors, at least one
	 * @param origin where they came from, for logs (for example {@code "LISTEN_FDS fd 3 (vconn-listener)"})
	 * @param configured the address that would have been bound, shown in logs only
	 * @return the sockets
	 */
	public static ListenerSocket inherited(int[] fds, String origin, InetSocketAddress configured) {
		if (fds.length == 0) {
			throw new IllegalArgumentException("no inherited descriptor");
		}
		return new ListenerSocket(configured, fds.clone(), false, origin);
	}

	public boolean isInherited() {
		return this.fds.length > 0;
	}

	/**
	 * Starts accepting: binds, or registers the inherited listening sockets with event loops.
	 * Blocks until done. On a failure the channels opened so far are closed and the failure is
	 * rethrown.
	 * @param runtime the runtime the listener runs on
	 * @param connections initializes each accepted connection's pipeline
	 * @return the open server channels
	 */
	public ListeningChannels open(RuntimeCore runtime, ChannelHandler connections) {
		MultiThreadIoEventLoopGroup group = runtime.group();
		List<EventLoop> loops = new ArrayList<>();
		for (EventExecutor executor : group) {
			loops.add((EventLoop) executor);
		}
		List<Channel> opened = new ArrayList<>();
		try {
			if (isInherited()) {
				boolean ownLoops = this.fds.length >= loops.size();
				for (int i = 0; i < this.fds.length; i++) {
					EventLoop loop = loops.get(i % loops.size());
					ServerBootstrap bootstrap = runtime.listenerBootstrap(HeldChannels.inheritedServerFactory(this.fds[i]),
							loop, ownLoops ? loop : group);
					opened.add(bootstrap.childHandler(connections).register().syncUninterruptibly().channel());
				}
			}
			else if (this.socketPerLoop && runtime.transport() == Transport.EPOLL && loops.size() > 1) {
				checkFree(this.bindAddress);
				InetSocketAddress address = this.bindAddress;
				for (EventLoop loop : loops) {
					ServerBootstrap bootstrap = runtime.listenerBootstrap(runtime.listeningChannels(), loop, loop)
						.option(EpollChannelOption.SO_REUSEPORT, true);
					Channel channel = bootstrap.childHandler(connections).bind(address).syncUninterruptibly().channel();
					opened.add(channel);
					// the others join the first one's port, the one the kernel chose if asked for port 0
					address = (InetSocketAddress) channel.localAddress();
				}
			}
			else {
				opened.add(runtime.listenerBootstrap(runtime.listeningChannels(), group, group)
					.childHandler(connections)
					.bind(this.bindAddress)
					.syncUninterruptibly()
					.channel());
			}
		}
		catch (Throwable ex) {
			// a bind failure too, which Netty rethrows as it is although it is checked
			new ListeningChannels(opened).close();
			throw ex;
		}
		return new ListeningChannels(opened);
	}

	/**
	 * Fails as a plain bind does if a socket holds the address. A group of {@code SO_REUSEPORT}
	 * sockets would let this one join it: two listeners configured with one port (two instances of
	 * an application, say) would share the connections instead of the second failing to start.
	 */
	private static void checkFree(InetSocketAddress address) {
		if (address.getPort() == 0) {
			return; // the kernel picks a port no socket uses
		}
		try (ServerSocketChannel probe = ServerSocketChannel.open()) {
			probe.bind(address);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot bind " + address + ": " + ex.getMessage(), ex);
		}
	}

	@Override
	public String toString() {
		return isInherited() ? this.origin : "bind " + this.bindAddress;
	}

}
