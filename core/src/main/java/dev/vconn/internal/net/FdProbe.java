package dev.vconn.internal.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.InvalidPathException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.vconn.AdoptionFailureReason;
import org.jspecify.annotations.Nullable;

/**
 * Checks, without changing anything, whether a raw descriptor can be adopted, and records what
 * adoption must restore if it fails after all. Reads only: {@code F_GETFL}, {@code getsockopt}
 * (never {@code SO_ERROR}, which would clear a pending error), a zero-timeout {@code poll},
 * {@code getpeername}, and for AF_UNIX {@code getsockname}.
 *
 * <p>A good TCP socket costs three calls: {@code F_GETFL}, {@code TCP_NODELAY} (which a failed
 * adoption must put back anyway) and {@code poll}. Only a TCP socket (a stream socket of AF_INET or
 * AF_INET6) answers a TCP option, and TCP reports a socket writable without a hang-up only once it
 * is connected (never while listening, connecting or closed), so these settle every check. Anything
 * else (AF_UNIX, not a TCP socket at all, or a TCP socket that is not writable, such as one with a
 * full send buffer) takes the checks of any socket: {@code SO_TYPE}, {@code getpeername} (which
 * gives the family), {@code poll}, and {@code TCP_NODELAY} for TCP. Either way the reasons keep their
 * precedence (not open, not a socket, not a stream, unsupported family, pending error, not
 * connected): the calls that only tell failures apart ({@code SO_DOMAIN}, {@code SO_ACCEPTCONN}) run
 * when {@code getpeername} fails, which a reset connection's does too. TCP addresses are not read
 * here: the Netty channel reads its own, which the VConn shares.
 *
 * <p>The calls' out-parameters live in native memory each thread keeps ({@link Scratch}): JNA copies
 * a Java array into native memory and back on every call, which cost as much as the call itself.
 */
final class FdProbe {

	private static final int SOCKADDR_CAPACITY = 128;

	private FdProbe() {
	}

	/** What adoption learned about a descriptor that passed every check. */
	static final class Facts {

		final int fd;

		/** Whether the socket is AF_UNIX; else it is TCP over AF_INET or AF_INET6. */
		final boolean unix;

		final int statusFlags;

		/** TCP_NODELAY before adoption, or -1 where it does not apply (AF_UNIX). */
		final int tcpNoDelay;

		/** The peer's address as {@code getpeername} returned it, if it was read; decoded only if the channel has none. */
		private final byte @Nullable [] peer;

		Facts(int fd, boolean unix, int statusFlags, int tcpNoDelay, byte @Nullable [] peer) {
			this.fd = fd;
			this.unix = unix;
			this.statusFlags = statusFlags;
			this.tcpNoDelay = tcpNoDelay;
			this.peer = peer;
		}

		/**
		 * The peer's address for the VConn.
		 * @param channels the address the Netty channel read, or null
		 * @return the channel's for TCP when it has one (one copy per VConn), else the probed one if any
		 */
		@Nullable SocketAddress remote(@Nullable SocketAddress channels) {
			if (channels != null && !this.unix) {
				return channels;
			}
			return (this.peer != null) ? decode(this.peer, this.peer.length) : null;
		}

		/**
		 * The local address for the VConn.
		 * @param channels the address the Netty channel read, or null
		 * @return the channel's for TCP when it has one, else read with {@code getsockname}
		 */
		@Nullable SocketAddress local(@Nullable SocketAddress channels) {
			if (channels != null && !this.unix) {
				return channels;
			}
			Scratch scratch = Scratch.get();
			int length = scratch.sockName(this.fd);
			return (length == -1) ? null : decode(scratch.address(length), length);
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
		Scratch scratch = Scratch.get();
		// answered by TCP sockets only: a stream socket of a supported family
		if (scratch.intOption(fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY) != -1) {
			int noDelay = scratch.value();
			int revents = checkNoPendingError(scratch, fd);
			// TCP is writable without a hang-up only once connected
			if ((revents & (LibC.POLLOUT | LibC.POLLHUP)) == LibC.POLLOUT) {
				return new Facts(fd, false, flags, noDelay, null);
			}
		}
		return inspectSocket(scratch, fd, flags);
	}

	/** The checks of any socket, one property at a time, for what is not a writable TCP socket. */
	private static Facts inspectSocket(Scratch scratch, int fd, int flags) throws Rejected {
		int type = intOption(scratch, fd, LibC.SOL_SOCKET, LibC.SO_TYPE, "SO_TYPE");
		if (type != LibC.SOCK_STREAM) {
			throw new Rejected(AdoptionFailureReason.NOT_A_STREAM_SOCKET,
					"fd " + fd + " is a socket of type " + type + ", not a stream socket");
		}
		int length = scratch.peerName(fd);
		if (length == -1) {
			throw notConnected(scratch, fd, LibC.errno());
		}
		int family = scratch.family(length);
		checkFamily(fd, family);
		checkNoPendingError(scratch, fd);
		boolean unix = family == LibC.AF_UNIX;
		int noDelay = unix ? -1 : intOption(scratch, fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY, "TCP_NODELAY");
		return new Facts(fd, unix, flags, noDelay, scratch.address(length));
	}

	/**
	 * Why a stream socket has no peer: an unsupported family, a pending error (a reset connection
	 * has no peer either), a listening socket, or simply not connected.
	 */
	private static Rejected notConnected(Scratch scratch, int fd, int errno) {
		if (errno != LibC.ENOTCONN) {
			return new Rejected(AdoptionFailureReason.INTERNAL, "getpeername failed on fd " + fd + ": errno " + errno);
		}
		try {
			checkFamily(fd, intOption(scratch, fd, LibC.SOL_SOCKET, LibC.SO_DOMAIN, "SO_DOMAIN"));
			checkNoPendingError(scratch, fd);
			if (intOption(scratch, fd, LibC.SOL_SOCKET, LibC.SO_ACCEPTCONN, "SO_ACCEPTCONN") != 0) {
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

	/** Polls {@code fd} for input and output; returns what is ready once it is known no error is pending. */
	private static int checkNoPendingError(Scratch scratch, int fd) throws Rejected {
		int revents = pollNow(scratch, fd);
		if ((revents & LibC.POLLNVAL) != 0) {
			throw new Rejected(AdoptionFailureReason.BAD_FD, "fd " + fd + " is not open");
		}
		if ((revents & LibC.POLLERR) != 0) {
			throw new Rejected(AdoptionFailureReason.SOCKET_ERROR,
					"fd " + fd + " has a pending socket error (left unread for the caller)");
		}
		return revents;
	}

	/** Puts back the status flags and TCP_NODELAY recorded by {@link #inspect}; true if both held. */
	static boolean restore(Facts facts) {
		boolean restored = LibC.fcntl(facts.fd, LibC.F_SETFL, facts.statusFlags) != -1;
		if (facts.tcpNoDelay >= 0) {
			Scratch scratch = Scratch.get();
			if (scratch.intOption(facts.fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY) == -1
					|| (scratch.value() != 0) != (facts.tcpNoDelay != 0)) {
				restored &= LibC.setsockopt(facts.fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY,
						new int[] { facts.tcpNoDelay }, 4) != -1;
			}
		}
		return restored;
	}

	private static int intOption(Scratch scratch, int fd, int level, int name, String label) throws Rejected {
		if (scratch.intOption(fd, level, name) == -1) {
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
		return scratch.value();
	}

	private static int pollNow(Scratch scratch, int fd) throws Rejected {
		int result;
		do {
			result = scratch.pollNow(fd);
		}
		while (result == -1 && LibC.errno() == LibC.EINTR);
		if (result == -1) {
			throw new Rejected(AdoptionFailureReason.INTERNAL, "poll failed on fd " + fd + ": errno " + LibC.errno());
		}
		return scratch.revents();
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

	/**
	 * One thread's native memory for the out-parameters of the probe's calls, read and written
	 * through a direct buffer (plain Java accesses, no call into native code). Each method makes one
	 * call and leaves its {@code errno} in {@link LibC#errno()}; what it wrote stays readable until
	 * the thread's next call.
	 */
	private static final class Scratch {

		private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);

		/** An {@code int} option's value, then its {@code socklen_t} length. */
		private static final int VALUE = 0;

		private static final int VALUE_LENGTH = 4;

		/** {@code struct pollfd}: {@code int fd; short events; short revents}. */
		private static final int POLLFD = 8;

		private static final int REVENTS = POLLFD + 6;

		/** A {@code socklen_t} address length, then the address. */
		private static final int ADDRESS_LENGTH = 16;

		private static final int ADDRESS = 24;

		private final ByteBuffer buffer = ByteBuffer.allocateDirect(ADDRESS + SOCKADDR_CAPACITY)
			.order(ByteOrder.nativeOrder());

		/** The buffer's native address; the buffer keeps the memory alive as long as this object. */
		private final long address = Pointer.nativeValue(Native.getDirectBufferPointer(this.buffer));

		static Scratch get() {
			return PER_THREAD.get();
		}

		/** {@code getsockopt} of an {@code int} option; on success {@link #value()} is the value. */
		int intOption(int fd, int level, int name) {
			this.buffer.putInt(VALUE_LENGTH, 4);
			return LibC.getsockopt(fd, level, name, this.address + VALUE, this.address + VALUE_LENGTH);
		}

		int value() {
			return this.buffer.getInt(VALUE);
		}

		/** {@code getpeername}: the address's length, or -1. */
		int peerName(int fd) {
			this.buffer.putInt(ADDRESS_LENGTH, SOCKADDR_CAPACITY);
			return (LibC.getpeername(fd, this.address + ADDRESS, this.address + ADDRESS_LENGTH) == -1) ? -1
					: this.buffer.getInt(ADDRESS_LENGTH);
		}

		/** {@code getsockname}: the address's length, or -1. */
		int sockName(int fd) {
			this.buffer.putInt(ADDRESS_LENGTH, SOCKADDR_CAPACITY);
			return (LibC.getsockname(fd, this.address + ADDRESS, this.address + ADDRESS_LENGTH) == -1) ? -1
					: this.buffer.getInt(ADDRESS_LENGTH);
		}

		/** The family of the address read last ({@code sa_family_t}, native order), or -1 if too short. */
		int family(int length) {
			return (length >= 2) ? this.buffer.getShort(ADDRESS) & 0xffff : -1;
		}

		/** A copy of the address read last, at most the buffer's capacity. */
		byte[] address(int length) {
			byte[] copy = new byte[Math.min(length, SOCKADDR_CAPACITY)];
			this.buffer.get(ADDRESS, copy);
			return copy;
		}

		/** A zero-timeout {@code poll} for input and output; on success {@link #revents()} says what is ready. */
		int pollNow(int fd) {
			this.buffer.putInt(POLLFD, fd);
			this.buffer.putShort(POLLFD + 4, (short) (LibC.POLLIN | LibC.POLLOUT));
			this.buffer.putShort(REVENTS, (short) 0);
			return LibC.poll(this.address + POLLFD, 1, 0);
		}

		int revents() {
			return this.buffer.getShort(REVENTS) & 0xffff;
		}

	}

}
