package dev.vconn.tunnel;

import dev.vconn.testing.CountingListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.vconn.Transport;
import dev.vconn.Tunnel;
import dev.vconn.VConn;
import dev.vconn.VConnRuntime;
import io.netty.channel.epoll.Epoll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two VConns connected by the runtime to two loopback peers the test drives with plain JDK
 * sockets: {@code peerA <-> a} and {@code b <-> peerB}. A tunnel between {@code a} and {@code b}
 * then links the two peers.
 */
final class TunnelFixture implements AutoCloseable {

	/** How the tunnel moves bytes, and on which transport. */
	enum Mode {

		/** Epoll, one event thread: both VConns on one loop, so the tunnel splices. */
		SPLICE(Transport.EPOLL, 1, true, true),

		/** Epoll, one event thread, splicing refused: the copy path on epoll. */
		COPY_EPOLL(Transport.EPOLL, 1, false, false),

		/** Epoll, two event threads: the VConns land on different loops, so the tunnel copies. */
		COPY_EPOLL_CROSS_LOOP(Transport.EPOLL, 2, true, false),

		/** NIO: splicing is impossible, the tunnel copies. */
		COPY_NIO(Transport.NIO, 1, true, false);

		final Transport transport;

		final int eventThreads;

		final boolean splice;

		final boolean expectSpliced;

		Mode(Transport transport, int eventThreads, boolean splice, boolean expectSpliced) {
			this.transport = transport;
			this.eventThreads = eventThreads;
			this.splice = splice;
			this.expectSpliced = expectSpliced;
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
		if (mode.transport == Transport.EPOLL) {
			assumeTrue(Epoll.isAvailable(), "epoll is not available here");
		}
		this.mode = mode;
		this.runtime = VConnRuntime.builder()
			.transport(mode.transport)
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
		return Tunnel.between(this.a, this.b).splice(this.mode.splice);
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
