package dev.vconn.demo.intercept;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Creates and connects TCP sockets with plain libc calls, through JNA: what a user's JNI or
 * native library typically hands over, an already-connected file descriptor, for
 * {@code VConnFactory.fdCreate(int)} to adopt. The calls block, so they run off the event
 * threads. Linux only (the constants are Linux's).
 *
 * <p>The binding is JNA's direct mapping ({@code native} methods registered once), not an interface
 * proxy: a proxy goes through reflection on every call, which cost as much CPU as the calls
 * themselves outside the kernel, on a path that runs once per request.
 */
final class NativeSockets {

	private static final int AF_INET = 2;

	private static final int AF_INET6 = 10;

	private static final int SOCK_STREAM = 1;

	/** So that processes started by the JVM do not inherit the descriptor. */
	private static final int SOCK_CLOEXEC = 02000000;

	private static final int SOL_SOCKET = 1;

	/** On Linux it also bounds a blocking {@code connect}. */
	private static final int SO_SNDTIMEO = 21;

	private static final int EINTR = 4;

	private static final int EISCONN = 106;

	private NativeSockets() {
	}

	/**
	 * Opens a TCP socket and connects it, blocking: {@code socket(2)} then {@code connect(2)}.
	 * @param address the resolved address to connect to
	 * @param timeout the longest the connect may take
	 * @return the connected descriptor, blocking, now the caller's to adopt or close
	 * @throws IOException with the {@code errno} text if the socket cannot be created or connected
	 * (the descriptor is then closed)
	 */
	static int connect(InetSocketAddress address, Duration timeout) throws IOException {
		byte[] sockaddr = sockaddr(address);
		int domain = (sockaddr.length == 16) ? AF_INET : AF_INET6;
		int fd;
		try {
			fd = LibC.socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
		}
		catch (LastErrorException ex) {
			throw new IOException("socket() failed: " + ex.getMessage(), ex);
		}
		try {
			byte[] timeval = timeval(timeout);
			LibC.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, timeval, timeval.length);
			connect(fd, sockaddr, System.nanoTime() + timeout.toNanos());
			return fd;
		}
		catch (LastErrorException ex) {
			close(fd);
			throw new IOException("connect() to " + address + " failed: " + ex.getMessage(), ex);
		}
	}

	/**
	 * {@code connect(2)}, repeated when a signal interrupts it (a profiler's, or the JVM's own): with
	 * a send timeout set the kernel never restarts it, but the connection goes on being made, and
	 * the repeated call waits for it ({@code EISCONN} if it was made meanwhile).
	 */
	private static void connect(int fd, byte[] sockaddr, long deadline) {
		while (true) {
			try {
				LibC.connect(fd, sockaddr, sockaddr.length);
				return;
			}
			catch (LastErrorException ex) {
				if (ex.getErrorCode() == EISCONN) {
					return;
				}
				if (ex.getErrorCode() != EINTR || System.nanoTime() - deadline > 0) {
					throw ex;
				}
			}
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

	/** {@code struct timeval} on LP64: two longs. */
	private static byte[] timeval(Duration timeout) {
		ByteBuffer buffer = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
		buffer.putLong(timeout.getSeconds());
		buffer.putLong(timeout.getNano() / 1000);
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

		static native int setsockopt(int fd, int level, int name, byte[] value, int length) throws LastErrorException;

		static native int connect(int fd, byte[] address, int length) throws LastErrorException;

		static native int close(int fd) throws LastErrorException;

	}

}
