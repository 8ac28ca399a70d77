package dev.vconn.autoconfigure.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.vconn.testing.NativeFds;

/**
 * Real loopback sockets and raw descriptors for adoption tests, the raw ones made by core's
 * {@link NativeFds}. Everything it opens is closed by {@link #close()}, except what a test handed
 * over to a VConn (see {@link #forget(int)}).
 */
public final class TestSockets implements AutoCloseable {

	private final ServerSocketChannel server;

	private final NativeFds fds = new NativeFds();

	private final List<AutoCloseable> closeables = new ArrayList<>();

	public TestSockets() {
		try {
			this.server = ServerSocketChannel.open();
			this.server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
			this.closeables.add(this.server);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Opens a connected loopback JDK channel.
	 * @return the client end (to adopt) and the accepted peer
	 */
	public ChannelPair connectedChannel() {
		try {
			SocketChannel client = SocketChannel.open(this.server.getLocalAddress());
			SocketChannel peer = this.server.accept();
			this.closeables.add(peer);
			return new ChannelPair(client, peer);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Opens a connected loopback socket with libc and returns its raw descriptor.
	 * @return the client's descriptor (to adopt) and the accepted peer
	 */
	public FdPair connectedFd() {
		try {
			int fd = this.fds.connectedTo((InetSocketAddress) this.server.getLocalAddress());
			SocketChannel peer = this.server.accept();
			this.closeables.add(peer);
			return new FdPair(fd, peer);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Opens a pipe.
	 * @return the read end's descriptor
	 */
	public int pipeFd() {
		return this.fds.pipe().readFd();
	}

	/**
	 * Opens a regular temporary file holding {@code content}.
	 * @param content the file's bytes
	 * @return its descriptor
	 */
	public int regularFileFd(byte[] content) {
		return this.fds.regularFile(content, 0);
	}

	/**
	 * A descriptor number that was open and is now closed, far above the numbers in use.
	 * @return the closed number
	 */
	public int closedFd() {
		return this.fds.closedFdNumber();
	}

	/**
	 * The file status flags of an open descriptor.
	 * @param fd the descriptor
	 * @return the flags
	 */
	public static int statusFlags(int fd) {
		return NativeFds.getFl(fd);
	}

	public static boolean isOpen(int fd) {
		return NativeFds.isOpen(fd);
	}

	/**
	 * Stops tracking a descriptor that a VConn now owns, so it is not closed twice.
	 * @param fd the descriptor
	 */
	public void forget(int fd) {
		this.fds.release(fd);
	}

	public static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	@Override
	public void close() throws Exception {
		try {
			this.fds.close();
		}
		finally {
			for (AutoCloseable closeable : this.closeables) {
				closeable.close();
			}
			this.closeables.clear();
		}
	}

	public record ChannelPair(SocketChannel client, SocketChannel peer) {

	}

	public record FdPair(int fd, SocketChannel peer) {

	}

}
