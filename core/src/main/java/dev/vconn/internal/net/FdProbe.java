package dev.vconn.internal.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import dev.vconn.AdoptionFailureReason;
import org.jspecify.annotations.Nullable;

/**
 * Checks, without changing anything, whether a raw descriptor can be adopted, and records what
 * adoption must restore if it fails after all. Reads only: {@code F_GETFL}, {@code getsockopt}
 * (never {@code SO_ERROR}, which would clear a pending error), a zero-timeout {@code poll},
 * {@code getpeername}, and for AF_UNIX {@code getsockname}.
 *
 * <p>A good TCP socket costs five calls ({@code F_GETFL}, {@code SO_TYPE}, {@code getpeername},
 * {@code poll}, {@code TCP_NODELAY}), in an order that keeps the reasons' precedence (not open,
 * not a socket, not a stream, unsupported family, pending error, not connected): the family comes
 * with the peer's address, and the calls that only tell failures apart ({@code SO_DOMAIN},
 * {@code SO_ACCEPTCONN}) run when {@code getpeername} fails, which a reset connection's does too.
 * TCP addresses are not decoded here: the Netty channel reads its own, which the VConn shares.
 */
final class FdProbe {

	private static final int SOCKADDR_CAPACITY = 128;

	private FdProbe() {
	}

	/** What adoption learned about a descriptor that passed every check. */
	static final class Facts {

		final int fd;

		final int family;

		final int statusFlags;

		/** TCP_NODELAY before adoption, or -1 where it does not apply (AF_UNIX). */
		final int tcpNoDelay;

		/** The peer's address as {@code getpeername} returned it, decoded only if the channel has none. */
		private final byte[] peer;

		private final int peerLength;

		Facts(int fd, int family, int statusFlags, int tcpNoDelay, byte[] peer, int peerLength) {
			this.fd = fd;
			this.family = family;
			this.statusFlags = statusFlags;
			this.tcpNoDelay = tcpNoDelay;
			this.peer = peer;
			this.peerLength = peerLength;
		}

		/**
		 * The peer's address for the VConn.
		 * @param channels the address the Netty channel read, or null
		 * @return the channel's for TCP when it has one (one copy per VConn), else the probed one
		 */
		@Nullable SocketAddress remote(@Nullable SocketAddress channels) {
			if (channels != null && this.family != LibC.AF_UNIX) {
				return channels;
			}
			return decode(this.peer, this.peerLength);
		}

		/**
		 * The local address for the VConn.
		 * @param channels the address the Netty channel read, or null
		 * @return the channel's for TCP when it has one, else read with {@code getsockname}
		 */
		@Nullable SocketAddress local(@Nullable SocketAddress channels) {
			if (channels != null && this.family != LibC.AF_UNIX) {
				return channels;
			}
			byte[] address = new byte[SOCKADDR_CAPACITY];
			int[] length = { address.length };
			return (LibC.getsockname(this.fd, address, length) == -1) ? null : decode(address, length[0]);
		}

	}

	/** Thrown by {@link #inspect} for a descriptor that must not be adopted. */
	static final class Rejected extends Exception {

		private static final long serialVersionUID = 1L;

		final AdoptionFailureReason reason;

		Rejected(AdoptionFailureReason reason, String message) {
			super(message, null, false, false);
			this.reason = reason;
		}

	}

	static Facts inspect(int fd) throws Rejected {
		int flags = LibC.fcntl(fd, LibC.F_GETFL, 0);
		if (flags == -1) {
			int errno = LibC.errno();
			if (errno == LibC.EBADF) {
				throw new Rejected(AdoptionFailureReason.BAD_FD, "fd " + fd + " is not open");
			}
			throw new Rejected(AdoptionFailureReason.INTERNAL, "fcntl(F_GETFL) failed on fd " + fd + ": errno " + errno);
		}
		int type = intOption(fd, LibC.SOL_SOCKET, LibC.SO_TYPE, "SO_TYPE");
		if (type != LibC.SOCK_STREAM) {
			throw new Rejected(AdoptionFailureReason.NOT_A_STREAM_SOCKET,
					"fd " + fd + " is a socket of type " + type + ", not a stream socket");
		}
		byte[] peer = new byte[SOCKADDR_CAPACITY];
		int[] length = { peer.length };
		if (LibC.getpeername(fd, peer, length) == -1) {
			throw notConnected(fd, LibC.errno());
		}
		int family = (length[0] >= 2) ? (peer[0] & 0xff) | ((peer[1] & 0xff) << 8) : -1;
		checkFamily(fd, family);
		checkNoPendingError(fd);
		int noDelay = (family == LibC.AF_UNIX) ? -1 : intOption(fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY, "TCP_NODELAY");
		return new Facts(fd, family, flags, noDelay, peer, length[0]);
	}

	/**
	 * Why a stream socket has no peer: an unsupported family, a pending error (a reset connection
	 * has no peer either), a listening socket, or simply not connected.
	 */
	private static Rejected notConnected(int fd, int errno) {
		if (errno != LibC.ENOTCONN) {
			return new Rejected(AdoptionFailureReason.INTERNAL, "getpeername failed on fd " + fd + ": errno " + errno);
		}
		try {
			checkFamily(fd, intOption(fd, LibC.SOL_SOCKET, LibC.SO_DOMAIN, "SO_DOMAIN"));
			checkNoPendingError(fd);
			if (intOption(fd, LibC.SOL_SOCKET, LibC.SO_ACCEPTCONN, "SO_ACCEPTCONN") != 0) {
				return new Rejected(AdoptionFailureReason.NOT_CONNECTED, "fd " + fd + " is a listening socket");
			}
		}
		catch (Rejected rejected) {
			return rejected;
		}
		return new Rejected(AdoptionFailureReason.NOT_CONNECTED, "fd " + fd + " is not connected");
	}

	private static void checkFamily(int fd, int family) throws Rejected {
		if (family != LibC.AF_INET && family != LibC.AF_INET6 && family != LibC.AF_UNIX) {
			throw new Rejected(AdoptionFailureReason.NOT_A_STREAM_SOCKET, "fd " + fd + " is a stream socket of family "
					+ family + "; only AF_INET, AF_INET6 and AF_UNIX are supported");
		}
	}

	private static void checkNoPendingError(int fd) throws Rejected {
		int revents = pollNow(fd);
		if ((revents & LibC.POLLNVAL) != 0) {
			throw new Rejected(AdoptionFailureReason.BAD_FD, "fd " + fd + " is not open");
		}
		if ((revents & LibC.POLLERR) != 0) {
			throw new Rejected(AdoptionFailureReason.SOCKET_ERROR,
					"fd " + fd + " has a pending socket error (left unread for the caller)");
		}
	}

	/** Puts back the status flags and TCP_NODELAY recorded by {@link #inspect}; true if both held. */
	static boolean restore(Facts facts) {
		boolean restored = LibC.fcntl(facts.fd, LibC.F_SETFL, facts.statusFlags) != -1;
		if (facts.tcpNoDelay >= 0) {
			int[] current = { 0 };
			int[] length = { 4 };
			if (LibC.getsockopt(facts.fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY, current, length) == -1
					|| (current[0] != 0) != (facts.tcpNoDelay != 0)) {
				restored &= LibC.setsockopt(facts.fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY,
						new int[] { facts.tcpNoDelay }, 4) != -1;
			}
		}
		return restored;
	}

	private static int intOption(int fd, int level, int name, String label) throws Rejected {
		int[] value = { 0 };
		int[] length = { 4 };
		if (LibC.getsockopt(fd, level, name, value, length) == -1) {
			int errno = LibC.errno();
			if (errno == LibC.ENOTSOCK) {
				throw new Rejected(AdoptionFailureReason.NOT_A_SOCKET, "fd " + fd + " is not a socket");
			}
			if (errno == LibC.EBADF) {
				throw new Rejected(AdoptionFailureReason.BAD_FD, "fd " + fd + " is not open");
			}
			throw new Rejected(AdoptionFailureReason.INTERNAL,
					"getsockopt(" + label + ") failed on fd " + fd + ": errno " + errno);
		}
		return value[0];
	}

	private static int pollNow(int fd) throws Rejected {
		// struct pollfd {int fd; short events; short revents;} on a little-endian machine
		int[] pollfd = { fd, LibC.POLLIN };
		int result;
		do {
			result = LibC.poll(pollfd, 1, 0);
		}
		while (result == -1 && LibC.errno() == LibC.EINTR);
		if (result == -1) {
			throw new Rejected(AdoptionFailureReason.INTERNAL, "poll failed on fd " + fd + ": errno " + LibC.errno());
		}
		return (pollfd[1] >>> 16) & 0xffff;
	}

	static @Nullable SocketAddress decode(byte[] address, int length) {
		if (length < 2) {
			return null;
		}
		int family = (address[0] & 0xff) | ((address[1] & 0xff) << 8);
		try {
			if (family == LibC.AF_INET && length >= 8) {
				int port = ((address[2] & 0xff) << 8) | (address[3] & 0xff);
				return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(address, 4, 8)), port);
			}
			if (family == LibC.AF_INET6 && length >= 24) {
				int port = ((address[2] & 0xff) << 8) | (address[3] & 0xff);
				return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(address, 8, 24)), port);
			}
		}
		catch (UnknownHostException ex) {
			return null;
		}
		if (family == LibC.AF_UNIX) {
			if (length > 2 && address[2] == 0) {
				// an abstract-namespace name has no path form
				return null;
			}
			int end = 2;
			while (end < length && address[end] != 0) {
				end++;
			}
			try {
				return UnixDomainSocketAddress.of(new String(address, 2, end - 2, StandardCharsets.UTF_8));
			}
			catch (InvalidPathException ex) {
				return null;
			}
		}
		return null;
	}

}
