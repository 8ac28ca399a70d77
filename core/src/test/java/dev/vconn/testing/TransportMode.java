package dev.vconn.testing;

import dev.vconn.Transport;
import io.netty.channel.epoll.Epoll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The transports the socket suites (tunnel, intercept, transaction) run on, and whether a tunnel
 * between two VConns may splice: the one permutation they share. Use it as the source of a
 * parameterized test ({@code @EnumSource(TransportMode.class)}) or class
 * ({@link OnEachTransport}).
 */
public enum TransportMode {

	/** Epoll, splicing allowed: a tunnel between two VConns of one loop splices. */
	EPOLL_SPLICE(Transport.EPOLL, true),

	/** Epoll, splicing refused: the copy path on epoll. */
	EPOLL_COPY(Transport.EPOLL, false),

	/** NIO: splicing is impossible, tunnels copy. */
	NIO(Transport.NIO, true);

	private final Transport transport;

	private final boolean splice;

	TransportMode(Transport transport, boolean splice) {
		this.transport = transport;
		this.splice = splice;
	}

	/** The runtime's transport. */
	public Transport transport() {
		return this.transport;
	}

	/** Whether tunnels are allowed to splice ({@code Tunnel.Builder.splice}, {@code InterceptListener.Builder.splice}). */
	public boolean splice() {
		return this.splice;
	}

	/** Whether a tunnel between two VConns of one event loop splices in this mode. */
	public boolean splicesOnOneLoop() {
		return this.splice && this.transport == Transport.EPOLL;
	}

	/** Skips the test where this mode's transport is not available. */
	public void assumeAvailable() {
		if (this.transport == Transport.EPOLL) {
			assumeTrue(Epoll.isAvailable(), () -> "epoll is not available here: " + Epoll.unavailabilityCause());
		}
	}

}
