package dev.vconn.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;

import dev.vconn.testing.NativeFds.TcpConnection;
import dev.vconn.testing.NativeFds.UnixConnection;
import dev.vconn.testing.NativeFds.UnixPair;

/**
 * A connected native stream socket under test and its peer, whatever the family: what adoption
 * tests need to send bytes from the peer, read what reaches it, and see how it ends.
 */
public abstract class Connected {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private final int fd;

	private Connected(int fd) {
		this.fd = fd;
	}

	/**
	 * A connected socket of the given kind, made by {@code fds}.
	 * @param fds the fixture
	 * @param kind the kind
	 * @return the socket and its peer
	 */
	public static Connected of(NativeFds fds, SocketKind kind) {
		return switch (kind) {
			case TCP -> new Tcp(fds.connectedTcp());
			case TCP6 -> new Tcp(fds.connectedTcp6());
			case UNIX_PAIR -> new Pair(fds, fds.unixSocketPair());
			case UNIX_PATH -> new UnixPath(fds.connectedUnix());
		};
	}

	/**
	 * The descriptor under test.
	 * @return the fd
	 */
	public int fd() {
		return this.fd;
	}

	/**
	 * Sends bytes from the peer.
	 * @param bytes the bytes
	 */
	public abstract void peerWrite(byte[] bytes);

	/**
	 * Sends bytes from the peer and waits until all of them can be read from {@link #fd()}
	 * (without reading them).
	 * @param bytes the bytes
	 */
	public void peerWriteAndAwait(byte[] bytes) {
		int before = NativeFds.readable(this.fd);
		peerWrite(bytes);
		NativeFds.awaitReadable(this.fd, before + bytes.length, TIMEOUT);
	}

	/**
	 * Closes the peer now (it would otherwise be closed with the fixture).
	 */
	public abstract void peerClose();

	/**
	 * Reads exactly {@code n} bytes at the peer.
	 * @param n how many
	 * @return the bytes
	 */
	public abstract byte[] peerRead(int n);

	/**
	 * Reads at the peer until end of stream.
	 * @return the bytes before end of stream
	 * @throws IOException if the peer sees an error instead (a reset)
	 */
	public abstract byte[] peerReadToEof() throws IOException;

	/**
	 * The bytes waiting at the peer, not read (TCP and socket pairs only).
	 * @return the count
	 */
	public abstract int peerReadable();

	/**
	 * What the peer sees as its own address (the VConn's remote address).
	 * @return the address, {@code null} if the peer has no Java view of it
	 */
	public abstract SocketAddress peerLocalAddress();

	/**
	 * What the peer sees as the address of the socket under test (the VConn's local address).
	 * @return the address, {@code null} if the peer has no Java view of it
	 */
	public abstract SocketAddress peerRemoteAddress();

	/** An AF_INET or AF_INET6 socket and the Java socket that accepted it. */
	public static final class Tcp extends Connected {

		private final TcpConnection connection;

		Tcp(TcpConnection connection) {
			super(connection.fd());
			this.connection = connection;
		}

		@Override
		public void peerWrite(byte[] bytes) {
			write(this.connection.peer(), bytes);
		}

		/**
		 * Writes bytes to a Java socket.
		 * @param socket the socket
		 * @param bytes the bytes
		 */
		public static void write(java.net.Socket socket, byte[] bytes) {
			try {
				socket.getOutputStream().write(bytes);
				socket.getOutputStream().flush();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		@Override
		public void peerClose() {
			try {
				this.connection.peer().close();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		@Override
		public byte[] peerRead(int n) {
			try {
				byte[] bytes = VConnIo.readFully(this.connection.peer(), n);
				if (bytes.length < n) {
					throw new IllegalStateException("end of stream after " + bytes.length + " of " + n + " bytes");
				}
				return bytes;
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		@Override
		public byte[] peerReadToEof() throws IOException {
			return VConnIo.readToEof(this.connection.peer());
		}

		@Override
		public int peerReadable() {
			try {
				return this.connection.peer().getInputStream().available();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		@Override
		public InetSocketAddress peerLocalAddress() {
			return (InetSocketAddress) this.connection.peer().getLocalSocketAddress();
		}

		@Override
		public InetSocketAddress peerRemoteAddress() {
			return (InetSocketAddress) this.connection.peer().getRemoteSocketAddress();
		}

		@Override
		public String toString() {
			return "TCP fd " + fd() + " <-> " + this.connection.peer();
		}

	}

	/** A connected AF_UNIX socket pair. */
	static final class Pair extends Connected {

		private final NativeFds fds;

		private final UnixPair pair;

		Pair(NativeFds fds, UnixPair pair) {
			super(pair.fd());
			this.fds = fds;
			this.pair = pair;
		}

		@Override
		public void peerClose() {
			this.fds.closeFd(this.pair.peerFd());
		}

		@Override
		public void peerWrite(byte[] bytes) {
			NativeFds.writeFully(this.pair.peerFd(), bytes);
		}

		@Override
		public byte[] peerRead(int n) {
			return NativeFds.readFully(this.pair.peerFd(), n, TIMEOUT);
		}

		@Override
		public byte[] peerReadToEof() throws IOException {
			try {
				return NativeFds.readToEof(this.pair.peerFd(), TIMEOUT);
			}
			catch (NativeFds.ErrnoException ex) {
				throw new SocketException("read failed: errno " + ex.errno());
			}
		}

		@Override
		public int peerReadable() {
			return NativeFds.readable(this.pair.peerFd());
		}

		@Override
		public SocketAddress peerLocalAddress() {
			return null;
		}

		@Override
		public SocketAddress peerRemoteAddress() {
			return null;
		}

		@Override
		public String toString() {
			return "AF_UNIX pair fd " + fd() + " <-> fd " + this.pair.peerFd();
		}

	}

	/** An AF_UNIX socket connected to a Java server bound to a path. */
	static final class UnixPath extends Connected {

		private final UnixConnection connection;

		UnixPath(UnixConnection connection) {
			super(connection.fd());
			this.connection = connection;
		}

		@Override
		public void peerWrite(byte[] bytes) {
			try {
				VConnIo.writeFully(this.connection.peer(), bytes);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		@Override
		public void peerClose() {
			try {
				this.connection.peer().close();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		@Override
		public byte[] peerRead(int n) {
			try {
				return VConnIo.readFully(this.connection.peer(), n);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		@Override
		public byte[] peerReadToEof() throws IOException {
			java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
			ByteBuffer buffer = ByteBuffer.allocate(8192);
			while (this.connection.peer().read(buffer.clear()) >= 0) {
				out.write(buffer.array(), 0, buffer.position());
			}
			return out.toByteArray();
		}

		@Override
		public int peerReadable() {
			throw new UnsupportedOperationException("a JDK channel cannot tell its pending bytes");
		}

		@Override
		public SocketAddress peerLocalAddress() {
			try {
				return this.connection.peer().getLocalAddress();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		@Override
		public SocketAddress peerRemoteAddress() {
			try {
				return this.connection.peer().getRemoteAddress();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		@Override
		public String toString() {
			return "AF_UNIX fd " + fd() + " <-> " + this.connection.path();
		}

	}

}
