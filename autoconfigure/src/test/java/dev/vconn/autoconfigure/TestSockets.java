package dev.vconn.autoconfigure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Real loopback sockets and raw descriptors for adoption tests. Everything it opens is closed by
 * {@link #close()}, except what a test handed over to a VConn (see {@link #forget(int)}).
 */
public final class TestSockets implements AutoCloseable {

	private static final int AF_INET = 2;

	private static final int SOCK_STREAM = 1;

	private static final int O_RDONLY = 0;

	private static final int F_GETFL = 3;

	private final ServerSocketChannel server;

	private final List<AutoCloseable> closeables = new ArrayList<>();

	private final List<Integer> fds = new ArrayList<>();

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
		int fd = LibC.socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			throw new IllegalStateException("socket failed: errno " + Native.getLastError());
		}
		this.fds.add(fd);
		InetSocketAddress local;
		try {
			local = (InetSocketAddress) this.server.getLocalAddress();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		byte[] address = new byte[16];
		address[0] = (byte) AF_INET; // sa_family, little-endian on x86_64 and aarch64
		address[2] = (byte) (local.getPort() >> 8); // sin_port, network order
		address[3] = (byte) local.getPort();
		byte[] ip = local.getAddress().getAddress();
		System.arraycopy(ip, 0, address, 4, 4);
		if (LibC.connect(fd, address, address.length) != 0) {
			throw new IllegalStateException("connect failed: errno " + Native.getLastError());
		}
		try {
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
		int[] ends = new int[2];
		if (LibC.pipe(ends) != 0) {
			throw new IllegalStateException("pipe failed: errno " + Native.getLastError());
		}
		this.fds.add(ends[0]);
		this.fds.add(ends[1]);
		return ends[0];
	}

	/**
	 * Opens a regular file for reading.
	 * @param file the file
	 * @return its descriptor
	 */
	public int fileFd(Path file) {
		int fd = LibC.open(file.toString(), O_RDONLY);
		if (fd < 0) {
			throw new IllegalStateException("open failed: errno " + Native.getLastError());
		}
		this.fds.add(fd);
		return fd;
	}

	/**
	 * A descriptor number that was open and is now closed: a pipe end moved up to a high number
	 * (which the kernel does not hand out while lower ones are free) and closed.
	 * @return the closed number
	 */
	public int closedFd() {
		int pipe = pipeFd();
		int high = 4000;
		while (isOpen(high)) {
			high++;
		}
		if (LibC.dup2(pipe, high) != high) {
			throw new IllegalStateException("dup2 failed: errno " + Native.getLastError());
		}
		LibC.close(high);
		if (isOpen(high)) {
			throw new IllegalStateException(high + " is still open");
		}
		return high;
	}

	/**
	 * The file status flags of a descriptor.
	 * @param fd the descriptor
	 * @return the flags, or -1 if it is not open
	 */
	public static int statusFlags(int fd) {
		return LibC.fcntl(fd, F_GETFL, 0);
	}

	public static boolean isOpen(int fd) {
		return LibC.fcntl(fd, F_GETFL, 0) != -1;
	}

	/**
	 * Stops tracking a descriptor that a VConn now owns, so it is not closed twice.
	 * @param fd the descriptor
	 */
	public void forget(int fd) {
		this.fds.remove(Integer.valueOf(fd));
	}

	public static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	@Override
	public void close() throws Exception {
		for (int fd : this.fds) {
			LibC.close(fd);
		}
		this.fds.clear();
		for (AutoCloseable closeable : this.closeables) {
			closeable.close();
		}
		this.closeables.clear();
	}

	public record ChannelPair(SocketChannel client, SocketChannel peer) {

	}

	public record FdPair(int fd, SocketChannel peer) {

	}

	static final class LibC {

		static {
			Native.register(LibC.class, Platform.C_LIBRARY_NAME);
		}

		private LibC() {
		}

		static native int socket(int domain, int type, int protocol);

		static native int connect(int fd, byte[] address, int length);

		static native int pipe(int[] fds);

		static native int open(String path, int flags);

		static native int dup2(int oldFd, int newFd);

		static native int fcntl(int fd, int cmd, int arg);

		static native int close(int fd);

	}

}
