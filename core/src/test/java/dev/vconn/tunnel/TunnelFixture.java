package dev.vconn.tunnel;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.vconn.Tunnel;
import dev.vconn.VConn;
import dev.vconn.VConnRuntime;
import dev.vconn.testing.CountingListener;
import dev.vconn.testing.TransportMode;

/**
 * Two VConns connected by the runtime to two loopback peers the test drives with plain JDK
 * sockets: {@code peerA <-> a} and {@code b <-> peerB}. A tunnel between {@code a} and {@code b}
 * then links the two peers.
 */
final class TunnelFixture implements AutoCloseable {

	/**
	 * How the tunnel moves bytes: a {@link TransportMode} of the shared permutation, and how many
	 * event threads the runtime has (with two, the VConns land on different loops).
	 */
	enum Mode {

		/** Epoll, one event thread: both VConns on one loop, so the tunnel splices. */
		SPLICE(TransportMode.EPOLL_SPLICE, 1),

		/** Epoll, one event thread, splicing refused: the copy path on epoll. */
		COPY_EPOLL(TransportMode.EPOLL_COPY, 1),

		/** Epoll, two event threads: the VConns land on different loops, so the tunnel copies. */
		COPY_EPOLL_CROSS_LOOP(TransportMode.EPOLL_SPLICE, 2),

		/** NIO: splicing is impossible, the tunnel copies. */
		COPY_NIO(TransportMode.NIO, 1);

		final TransportMode transport;

		final int eventThreads;

		final boolean expectSpliced;

		Mode(TransportMode transport, int eventThreads) {
			this.transport = transport;
			this.eventThreads = eventThreads;
			this.expectSpliced = transport.splicesOnOneLoop() && eventThreads == 1;
		}

	}

	final Mode mode;

	final CountingListener listener = new CountingListener();

	final VConnRuntime runtime;

	final VConn a;

	final VConn b;

	final SocketChannel peerA;

	final SocketChannel peerB;

	private TunnelFixture(Mode mode, int peerBReceiveBuffer) throws Exception {
		mode.transport.assumeAvailable();
		this.mode = mode;
		this.runtime = VConnRuntime.builder()
			.transport(mode.transport.transport())
			.eventThreads(mode.eventThreads)
			.shutdownTimeout(Duration.ofSeconds(5))
			.addListener(this.listener)
			.build();
		try (ServerSocketChannel serverA = ServerSocketChannel.open();
				ServerSocketChannel serverB = ServerSocketChannel.open()) {
			serverA.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
			if (peerBReceiveBuffer > 0) {
				serverB.setOption(StandardSocketOptions.SO_RCVBUF, peerBReceiveBuffer);
			}
			serverB.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
			this.a = this.runtime.factory().connect(serverA.getLocalAddress()).get(10, TimeUnit.SECONDS);
			this.peerA = serverA.accept();
			this.b = this.runtime.factory().connect(serverB.getLocalAddress()).get(10, TimeUnit.SECONDS);
			this.peerB = serverB.accept();
		}
	}

	static TunnelFixture open(Mode mode) throws Exception {
		return new TunnelFixture(mode, 0);
	}

	static TunnelFixture openWithSmallPeerBReceiveBuffer(Mode mode) throws Exception {
		return new TunnelFixture(mode, 32 * 1024);
	}

	Tunnel.Builder tunnel() {
		return Tunnel.between(this.a, this.b).splice(this.mode.transport.splice());
	}

	@Override
	public void close() throws IOException {
		try {
			this.peerA.close();
			this.peerB.close();
		}
		finally {
			this.runtime.close(Duration.ofSeconds(5));
		}
	}

}
