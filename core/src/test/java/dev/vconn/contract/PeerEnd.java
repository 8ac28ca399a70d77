package dev.vconn.contract;

import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The far end of a VConn under test, driven by the test thread (or a helper thread) with blocking
 * calls: a real socket ({@link Peer}) or the other end of a {@link dev.vconn.VConnPair}
 * ({@link PairPeer}). Blocking reads give up after {@link #READ_TIMEOUT} so a broken engine fails a
 * test instead of hanging it.
 */
interface PeerEnd extends AutoCloseable {

	Duration READ_TIMEOUT = Duration.ofSeconds(20);

	/** How a peer saw the connection end. */
	enum End {

		/** An orderly end of stream (a socket's FIN, a pair's EOS). */
		EOF,

		/** An abortive end (a socket's RST, a pair's ERROR). */
		RESET

	}

	/** The peer's own address, {@code null} when there is no socket. */
	@Nullable SocketAddress localAddress();

	/** The address the peer is connected to, {@code null} when there is no socket. */
	@Nullable SocketAddress remoteAddress();

	void send(byte[] bytes) throws IOException;

	/** Reads exactly {@code n} bytes; fails on an early end of stream or a reset. */
	byte[] readExactly(int n) throws IOException;

	/** Reads until end of stream; a reset throws. */
	byte[] readToEnd() throws IOException;

	/** Reads (and drops) until the connection ends, and says how it ended. */
	End awaitEnd() throws IOException;

	/** Whether nothing arrives (and the stream does not end) within {@code window}. */
	boolean receivesNothingWithin(Duration window) throws IOException;

	/** Sends {@code total} pseudo-random bytes from {@code seed}; returns their CRC32. */
	long sendRandom(long total, long seed) throws IOException;

	/** Receives exactly {@code total} bytes; returns their CRC32. */
	long receive(long total) throws IOException;

	/** Half-closes: the VConn reads every byte sent so far, then end of stream. */
	void shutdownOutput() throws IOException;

	/** Ends abortively, so that the VConn sees a connection reset (socket) or an abort (pair). */
	void reset() throws IOException;

	@Override
	void close();

}
