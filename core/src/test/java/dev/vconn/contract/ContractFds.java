package dev.vconn.contract;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Raw, connected TCP descriptors for the fd-adoption permutation of the contract suite, made with
 * plain libc calls so that no JDK object ever owns (or closes) them. Linux only.
 */
final class ContractFds {

	private static final int AF_INET = 2;

	private static final int SOCK_STREAM = 1;

	private static final int SOCK_CLOEXEC = 02000000;

	static {
		Native.register(ContractFds.class, Platform.C_LIBRARY_NAME);
	}

	private ContractFds() {
	}

	/**
	 * Opens a blocking TCP socket and connects it.
	 * @param address an IPv4 address
	 * @return the connected descriptor, owned by the caller
	 */
	static int connect(InetSocketAddress address) {
		if (!(address.getAddress() instanceof Inet4Address)) {
			throw new IllegalArgumentException("IPv4 only: " + address);
		}
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			throw new IllegalStateException("socket() failed: errno " + Native.getLastError());
		}
		byte[] sockaddr = new byte[16];
		ByteBuffer view = ByteBuffer.wrap(sockaddr);
		view.order(ByteOrder.nativeOrder()).putShort((short) AF_INET);
		view.order(ByteOrder.BIG_ENDIAN).putShort((short) address.getPort());
		view.put(address.getAddress().getAddress());
		if (connect(fd, sockaddr, sockaddr.length) != 0) {
			int errno = Native.getLastError();
			close(fd);
			throw new IllegalStateException("connect(" + address + ") failed: errno " + errno);
		}
		return fd;
	}

	/**
	 * Closes a descriptor the caller still owns (for example after a failed adoption).
	 * @param fd the descriptor
	 */
	static void closeFd(int fd) {
		close(fd);
	}

	private static native int socket(int domain, int type, int protocol);

	private static native int connect(int fd, byte[] address, int length);

	private static native int close(int fd);

}
