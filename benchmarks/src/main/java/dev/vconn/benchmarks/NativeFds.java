package dev.vconn.benchmarks;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Raw descriptors made with libc through JNA, as a user's native library hands them to
 * {@code fdCreate}: connected IPv4 TCP sockets, unconnected sockets, and a descriptor number that
 * is not open. Linux only.
 */
final class NativeFds {

	private static final int AF_INET = 2;

	private static final int SOCK_STREAM = 1;

	private static final int SOCK_CLOEXEC = 02000000;

	/** Far above any descriptor the JVM opens, so never open: {@code fcntl} on it fails with EBADF. */
	static final int NOT_OPEN = 1 << 20;

	private NativeFds() {
	}

	/**
	 * A blocking IPv4 TCP socket connected to {@code address}.
	 * @param address a loopback IPv4 address
	 * @return the descriptor, the caller's to adopt or close
	 */
	static int connect(InetSocketAddress address) {
		LibC libc = LibC.INSTANCE;
		int fd = libc.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		try {
			byte[] sockaddr = sockaddr(address);
			libc.connect(fd, sockaddr, sockaddr.length);
			return fd;
		}
		catch (LastErrorException ex) {
			libc.close(fd);
			throw new IllegalStateException("connect() to " + address + " failed", ex);
		}
	}

	/**
	 * An IPv4 TCP socket that was never connected.
	 * @return the descriptor, the caller's to close
	 */
	static int unconnected() {
		return LibC.INSTANCE.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}

	static void close(int fd) {
		try {
			LibC.INSTANCE.close(fd);
		}
		catch (LastErrorException ex) {
			// already gone: nothing to release
		}
	}

	/** {@code struct sockaddr_in}. */
	private static byte[] sockaddr(InetSocketAddress address) {
		if (!(address.getAddress() instanceof Inet4Address ip)) {
			throw new IllegalArgumentException("not an IPv4 address: " + address);
		}
		ByteBuffer buffer = ByteBuffer.allocate(16);
		buffer.order(ByteOrder.nativeOrder()).putShort((short) AF_INET);
		buffer.order(ByteOrder.BIG_ENDIAN).putShort((short) address.getPort());
		buffer.put(ip.getAddress());
		return buffer.array();
	}

	/** The libc calls used, errors as {@link LastErrorException}. */
	interface LibC extends Library {

		LibC INSTANCE = Native.load(Platform.C_LIBRARY_NAME, LibC.class);

		int socket(int domain, int type, int protocol) throws LastErrorException;

		int connect(int fd, byte[] address, int length) throws LastErrorException;

		int close(int fd) throws LastErrorException;

	}

}
