package dev.vconn.contract;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.vconn.Adoption;
import dev.vconn.Transport;
import dev.vconn.VConn;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;
import dev.vconn.testing.NativeFds;
import io.netty.channel.epoll.Epoll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * How one permutation of the contract suite gets a VConn connected to a peer the test controls:
 * which transport the runtime runs, and how the VConn is made (connected by the runtime, adopted
 * from a raw descriptor, adopted from a JDK channel, or one end of an in-memory
 * {@link VConnPair} whose other end is the peer).
 */
abstract class TransportFixture {

	private final String name;

	private final Transport transport;

	private final BufferAllocator buffers;

	private TransportFixture(String name, Transport transport, BufferAllocator buffers) {
		this.name = name + ", " + buffers + " buffers";
		this.transport = transport;
		this.buffers = buffers;
	}

	/** The runtime connects: {@code factory().connect(address)}. */
	static TransportFixture connect(Transport transport, BufferAllocator buffers) {
		return new SocketFixture(transport.name().toLowerCase() + " runtime, connect()", transport, buffers) {
			@Override
			VConn open(VConnRuntime runtime, InetSocketAddress server) throws Exception {
				return runtime.factory().connect(server).get(10, TimeUnit.SECONDS);
			}

			@Override
			void checkFd(VConn vconn) {
				if (transport == Transport.EPOLL) {
					assertThat(vconn.fd()).as("fd of an epoll VConn").isGreaterThan(2);
				}
				else {
					assertThat(vconn.fd()).as("fd of a NIO VConn").isEqualTo(-1);
				}
			}
		};
	}

	/** A raw connected descriptor adopted with {@code factory().adopt(int)} (epoll only). */
	static TransportFixture rawFd(BufferAllocator buffers) {
		return new SocketFixture("epoll runtime, adopt(int fd)", Transport.EPOLL, buffers) {
			@Override
			VConn open(VConnRuntime runtime, InetSocketAddress server) {
				Adoption adoption;
				int fd;
				try (NativeFds fds = new NativeFds()) {
					fd = fds.connectedTo(server);
					adoption = runtime.factory().adopt(fd);
					if (adoption.isSuccess()) {
						fds.release(fd);
					}
				}
				VConn vconn = adoption.orElseThrow();
				assertThat(vconn.fd()).as("fd() of an adopted descriptor").isEqualTo(fd);
				return vconn;
			}

			@Override
			void checkFd(VConn vconn) {
				assertThat(vconn.fd()).isGreaterThan(2);
			}
		};
	}

	/** A connected JDK channel adopted with {@code factory().adopt(SocketChannel)}: NIO loops on any runtime. */
	static TransportFixture jdkChannel(Transport runtimeTransport, BufferAllocator buffers) {
		return new SocketFixture(runtimeTransport.name().toLowerCase() + " runtime, adopt(SocketChannel)",
				runtimeTransport, buffers) {
			@Override
			VConn open(VConnRuntime runtime, InetSocketAddress server) throws Exception {
				SocketChannel channel = SocketChannel.open(server);
				Adoption adoption = runtime.factory().adopt(channel);
				if (!adoption.isSuccess()) {
					channel.close();
				}
				return adoption.orElseThrow();
			}

			@Override
			void checkFd(VConn vconn) {
				assertThat(vconn.fd()).as("a JDK channel has no fd").isEqualTo(-1);
			}

			@Override
			Transport loopTransport() {
				return Transport.NIO;
			}
		};
	}

	String name() {
		return this.name;
	}

	Transport transport() {
		return this.transport;
	}

	/** The transport of the event loops that drive this kind of VConn (JDK channels: always NIO). */
	Transport loopTransport() {
		return this.transport;
	}

	/** The allocator of the buffers the tests create. */
	BufferAllocator buffers() {
		return this.buffers;
	}

	void assumeAvailable() {
		if (this.transport == Transport.EPOLL) {
			assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
		}
	}

	VConnRuntime.Builder runtimeBuilder() {
		return VConnRuntime.builder().transport(this.transport);
	}

	/**
	 * Makes a VConn under test and its peer. Every VConn the connection made (the one under test
	 * first) is in {@link Connection#vconns()}: {@link #vconnsPerConnection()} of them.
	 * @param server a listening loopback socket, for the fixtures whose VConns are sockets
	 */
	abstract Connection open(VConnRuntime runtime, ServerSocket server) throws Exception;

	/** How many live VConns of the runtime one {@link #open} makes: 1 for a socket, 2 for a pair. */
	int vconnsPerConnection() {
		return 1;
	}

	/**
	 * Whether the VConn is a socket: it has addresses, and its peer sees TCP's FIN/RST and kernel
	 * buffers. A pair end has none of these.
	 */
	boolean hasSocket() {
		return true;
	}

	/** Checks {@link VConn#fd()} for this kind of VConn. */
	abstract void checkFd(VConn vconn);

	@Override
	public String toString() {
		return this.name;
	}

	/** A VConn under test, its peer, and every VConn of the runtime the connection made. */
	record Connection(VConn vconn, PeerEnd peer, List<VConn> vconns) {
	}

	/** Both ends of an in-memory {@link VConnPair}: the passive end is tested, the active end is the peer. */
	static TransportFixture inMemoryPair(Transport transport, BufferAllocator buffers) {
		return new TransportFixture(transport.name().toLowerCase() + " runtime, VConnPair", transport, buffers) {
			@Override
			Connection open(VConnRuntime runtime, ServerSocket server) {
				VConnPair pair = VConnPair.create(runtime);
				PairPeer peer;
				try {
					peer = new PairPeer(pair.active(), buffers.allocator());
				}
				catch (RuntimeException ex) {
					pair.active().close();
					pair.passive().close();
					throw ex;
				}
				return new Connection(pair.passive(), peer, List.of(pair.passive(), pair.active()));
			}

			@Override
			void checkFd(VConn vconn) {
				assertThat(vconn.fd()).as("a pair end has no fd").isEqualTo(-1);
			}

			@Override
			int vconnsPerConnection() {
				return 2;
			}

			@Override
			boolean hasSocket() {
				return false;
			}
		};
	}

	/** A fixture whose VConn is a socket connected to {@code server}; the peer is the accepted socket. */
	private abstract static class SocketFixture extends TransportFixture {

		SocketFixture(String name, Transport transport, BufferAllocator buffers) {
			super(name, transport, buffers);
		}

		/** Makes a VConn connected to {@code server}; {@link #open} accepts the peer side. */
		abstract VConn open(VConnRuntime runtime, InetSocketAddress server) throws Exception;

		@Override
		Connection open(VConnRuntime runtime, ServerSocket server) throws Exception {
			VConn vconn = open(runtime, (InetSocketAddress) server.getLocalSocketAddress());
			Peer peer;
			try {
				peer = new Peer(server.accept());
			}
			catch (Exception ex) {
				vconn.close();
				throw ex;
			}
			assertThat(peer.remoteAddress()).as("peer accepted for %s", vconn).isEqualTo(vconn.localAddress());
			return new Connection(vconn, peer, List.of(vconn));
		}

	}

}
