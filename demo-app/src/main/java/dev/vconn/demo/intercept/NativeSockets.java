package dev.vconn.demo.intercept;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Creates and connects TCP sockets with plain libc calls, through JNA: what a user's JNI or
 * native library typically hands over, an already-connected file descriptor, for
 * {@code VConnFactory.fdCreate(int)} to adopt. Nothing here blocks but {@link #finishConnect} with
 * a timeout, which therefore runs off the event threads. Linux only (the constants are Linux's).
 *
 * <p>The binding is JNA's direct mapping ({@code native} methods registered once), not an interface
 * proxy: a proxy goes through reflection on every call, which cost as much CPU as the calls
 * themselves outside the kernel, on a path that runs once per request.
 */
final class NativeSockets {

	private static final int AF_INET = 2;

	private static final int AF_INET6 = 10;

	private static final int SOCK_STREAM = 1;

	/** {@code connect} returns at once; the connection is made meanwhile. */
	private static final int SOCK_NONBLOCK = 04000;

	/** So that processes started by the JVM do not inherit the descriptor. */
	private static final int SOCK_CLOEXEC = 02000000;

	private static final int SOL_SOCKET = 1;

	private static final int SO_ERROR = 4;

	private static final short POLLOUT = 0x4;

	private static final int EINTR = 4;

	private static final int EINPROGRESS = 115;

	private static final int EALREADY = 114;

	private static final int EISCONN = 106;

	/** The {@code errno} of a connect that took too long. */
	static final int ETIMEDOUT = 110;

	private NativeSockets() {
	}

	/**
	 * A socket {@link #startConnect} opened.
	 * @param fd the descriptor, now the caller's to adopt or close
	 * @param connected whether the connection was made by the time {@code startConnect} returned
	 */
	record Connecting(int fd, boolean connected) {
	}

	/**
	 * Opens a non-blocking TCP socket and starts connecting it: {@code socket(2)}, then
	 * {@code connect(2)}, which returns at once. To an origin on the same host the connection is
	 * usually made by then: a second {@code connect(2)} tells, in one call where {@code poll(2)} and
	 * {@code SO_ERROR} take two. Otherwise {@link #finishConnect} waits for it.
	 * @param address the resolved address to connect to
	 * @return the descriptor, connected or connecting
	 * @throws IOException with the {@code errno} text if the socket cannot be created or the connect
	 * failed at once (the descriptor is then closed)
	 */
	static Connecting startConnect(InetSocketAddress address) throws IOException {
		byte[] sockaddr = sockaddr(address);
		int domain = (sockaddr.length == 16) ? AF_INET : AF_INET6;
		int fd;
		try {
			fd = LibC.socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		}
		catch (LastErrorException ex) {
			throw new IOException("socket() failed: " + ex.getMessage(), ex);
		}
		// the usual answers are errors, so errno is read rather than thrown (an exception costs more than the call)
		if (LibC.connect(fd, sockaddr, sockaddr.length) == 0) {
			return new Connecting(fd, true);
		}
		int errno = Native.getLastError();
		// EINTR too: the connection goes on being made, as with EINPROGRESS
		if (errno == EINPROGRESS || errno == EINTR) {
			// again on a connect under way: 0 (or EISCONN) once it is made, EALREADY while it is being
			// made, and the connect's error if it failed
			if (LibC.connect(fd, sockaddr, sockaddr.length) == 0) {
				return new Connecting(fd, true);
			}
			errno = Native.getLastError();
			if (errno == EISCONN) {
				return new Connecting(fd, true);
			}
			if (errno == EALREADY || errno == EINPROGRESS || errno == EINTR) {
				return new Connecting(fd, false);
			}
		}
		close(fd);
		LastErrorException failure = new LastErrorException(errno);
		throw new IOException("connect() to " + address + " failed: " + failure.getMessage(), failure);
	}

	/**
	 * Waits for the connect {@link #startConnect} began: {@code poll(2)} until the socket is
	 * writable, then its {@code SO_ERROR}. Blocks up to {@code timeout}: call it with a timeout
	 * only off the event threads.
	 * @param fd the descriptor
	 * @param timeout the longest to wait; zero only looks
	 * @return whether the socket is connected; false if it is still connecting after the timeout
	 * @throws IOException with the {@code errno} text if the connect failed (the descriptor is then
	 * closed)
	 */
	static boolean finishConnect(int fd, Duration timeout) throws IOException {
		long deadline = System.nanoTime() + timeout.toNanos();
		byte[] pollfd = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(fd).putShort(POLLOUT).array();
		try {
			while (true) {
				int waitMillis = (int) Math.min(Integer.MAX_VALUE,
						Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
				try {
					if (LibC.poll(pollfd, 1, waitMillis) == 0) {
						return false;
					}
					break;
				}
				catch (LastErrorException ex) {
					// a signal (a profiler's, or the JVM's own) cut the wait short: wait for the rest
					if (ex.getErrorCode() != EINTR) {
						throw ex;
					}
				}
			}
			int[] error = new int[1];
			LibC.getsockopt(fd, SOL_SOCKET, SO_ERROR, error, new int[] { 4 });
			if (error[0] != 0) {
				throw new LastErrorException(error[0]);
			}
			return true;
		}
		catch (LastErrorException ex) {
			close(fd);
			throw new IOException("connect() failed: " + ex.getMessage(), ex);
		}
	}

	/**
	 * Closes a descriptor that was not adopted.
	 * @param fd the descriptor
	 */
	static void close(int fd) {
		try {
			LibC.close(fd);
		}
		catch (LastErrorException ex) {
			// nothing more can be done with it
		}
	}

	/** {@code struct sockaddr_in} (16 bytes) or {@code struct sockaddr_in6} (28 bytes). */
	private static byte[] sockaddr(InetSocketAddress address) {
		if (address.isUnresolved()) {
			throw new IllegalArgumentException("unresolved address " + address);
		}
		byte[] ip = address.getAddress().getAddress();
		ByteBuffer buffer;
		if (address.getAddress() instanceof Inet4Address) {
			buffer = ByteBuffer.allocate(16);
			buffer.order(ByteOrder.nativeOrder()).putShort((short) AF_INET);
			buffer.order(ByteOrder.BIG_ENDIAN).putShort((short) address.getPort());
			buffer.put(ip);
		}
		else if (address.getAddress() instanceof Inet6Address v6) {
			buffer = ByteBuffer.allocate(28);
			buffer.order(ByteOrder.nativeOrder()).putShort((short) AF_INET6);
			buffer.order(ByteOrder.BIG_ENDIAN).putShort((short) address.getPort());
			buffer.putInt(0);
			buffer.put(ip);
			buffer.order(ByteOrder.nativeOrder()).putInt(v6.getScopeId());
		}
		else {
			throw new IllegalArgumentException("not an IP address: " + address);
		}
		return buffer.array();
	}

	/** The libc functions used, with {@code errno} turned into {@link LastErrorException}. */
	static final class LibC {

		static {
			Native.register(LibC.class, Platform.C_LIBRARY_NAME);
		}

		private LibC() {
		}

		static native int socket(int domain, int type, int protocol) throws LastErrorException;

		static native int getsockopt(int fd, int level, int name, int[] value, int[] length) throws LastErrorException;

		static native int poll(byte[] fds, int count, int timeoutMillis) throws LastErrorException;

		/** Returns -1 with {@code errno} in {@link Native#getLastError()}: a non-blocking connect always fails. */
		static native int connect(int fd, byte[] address, int length);

		static native int close(int fd) throws LastErrorException;

	}

}
