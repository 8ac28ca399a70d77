package dev.vconn.testing;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.sun.jna.Native;
import com.sun.jna.Platform;

import org.junit.jupiter.api.Assumptions;

/**
 * Raw Linux file descriptors for adoption tests, made with the C library through JNA: connected
 * TCP (IPv4, IPv6) and Unix sockets, listening, unconnected and datagram sockets, sockets with a
 * pending error, pipes, regular files and closed descriptor numbers; plus probes that read a
 * descriptor's state without changing it ({@code /proc/self/fdinfo}, {@code fcntl(F_GETFL)},
 * non-destructive {@code getsockopt}, {@code poll} with a zero timeout, {@code FIONREAD}).
 *
 * <p>An instance tracks what it created and closes it in {@link #close()}: every descriptor it
 * still owns, the Java peers, the loopback servers and the temporary files. A descriptor handed to
 * a VConn must be given up with {@link #release(int)} so that it is never closed twice.
 *
 * <p>Linux only (x86_64 and aarch64 constants); check {@link #isSupported()} first.
 */
public final class NativeFds implements AutoCloseable {

	// ---- Linux constants (identical on x86_64 and aarch64) ----

	public static final int AF_UNIX = 1;

	public static final int AF_INET = 2;

	public static final int AF_INET6 = 10;

	public static final int SOCK_STREAM = 1;

	public static final int SOCK_DGRAM = 2;

	public static final int SOCK_SEQPACKET = 5;

	public static final int SOL_SOCKET = 1;

	public static final int SO_REUSEADDR = 2;

	public static final int SO_TYPE = 3;

	public static final int SO_ERROR = 4;

	public static final int SO_SNDBUF = 7;

	public static final int SO_RCVBUF = 8;

	public static final int SO_KEEPALIVE = 9;

	public static final int SO_OOBINLINE = 10;

	public static final int SO_LINGER = 13;

	public static final int SO_RCVLOWAT = 18;

	public static final int SO_RCVTIMEO = 20;

	public static final int SO_SNDTIMEO = 21;

	public static final int SO_ACCEPTCONN = 30;

	public static final int SO_DOMAIN = 39;

	public static final int IPPROTO_TCP = 6;

	public static final int TCP_NODELAY = 1;

	public static final int TCP_CORK = 3;

	public static final int F_DUPFD = 0;

	public static final int F_GETFD = 1;

	public static final int F_GETFL = 3;

	public static final int F_SETFL = 4;

	public static final int FD_CLOEXEC = 1;

	public static final int O_RDONLY = 0;

	public static final int O_RDWR = 2;

	public static final int O_NONBLOCK = 04000;

	public static final int O_CLOEXEC = 02000000;

	public static final short POLLIN = 0x001;

	public static final short POLLPRI = 0x002;

	public static final short POLLOUT = 0x004;

	public static final short POLLERR = 0x008;

	public static final short POLLHUP = 0x010;

	public static final short POLLNVAL = 0x020;

	public static final short POLLRDHUP = 0x2000;

	public static final int SHUT_WR = 1;

	public static final long FIONREAD = 0x541B;

	public static final int RLIMIT_NOFILE = 7;

	public static final int EINTR = 4;

	public static final int EBADF = 9;

	public static final int EAGAIN = 11;

	public static final int ECONNRESET = 104;

	public static final int ENOTCONN = 107;

	public static final int ECONNREFUSED = 111;

	public static final int EINPROGRESS = 115;

	private static final Duration IO_TIMEOUT = Duration.ofSeconds(10);

	private static final boolean SUPPORTED = Platform.isLinux() && (Platform.isIntel() || Platform.isARM())
			&& Platform.is64Bit() && Files.isDirectory(Paths.get("/proc/self/fdinfo"));

	/** Descriptors this fixture created and still has to close. */
	private final Set<Integer> owned = new LinkedHashSet<>();

	/** Peers, servers and temporary files, closed in reverse order. */
	private final Deque<AutoCloseable> closeables = new ArrayDeque<>();

	private ServerSocket tcpServer;

	private ServerSocket tcp6Server;

	/**
	 * Whether this fixture works here: 64-bit Linux on x86_64 or aarch64 with {@code /proc}.
	 * @return {@code true} if supported
	 */
	public static boolean isSupported() {
		return SUPPORTED;
	}

	// =====================================================================================
	// Descriptor factories
	// =====================================================================================

	/**
	 * A blocking AF_INET stream socket connected to a loopback {@link ServerSocket} of this fixture.
	 * @return the descriptor and the accepted Java peer
	 */
	public TcpConnection connectedTcp() {
		return connect(tcpServer(), AF_INET);
	}

	/**
	 * A blocking AF_INET6 stream socket connected to {@code [::1]}; aborts the test (assumption) if
	 * {@code ::1} is not available.
	 * @return the descriptor and the accepted Java peer
	 */
	public TcpConnection connectedTcp6() {
		return connect(tcp6Server(), AF_INET6);
	}

	/**
	 * A blocking AF_INET6 stream socket connected to the IPv4 loopback server through the
	 * IPv4-mapped address {@code ::ffff:127.0.0.1} (a dual-stack socket, as the JDK makes by
	 * default).
	 * @return the descriptor and the accepted Java peer
	 */
	public TcpConnection connectedDualStackTcp() {
		ServerSocket server = tcpServer();
		int fd = own(check(Libc.socket(AF_INET6, SOCK_STREAM, 0), "socket"));
		byte[] mapped = new byte[16];
		mapped[10] = (byte) 0xff;
		mapped[11] = (byte) 0xff;
		System.arraycopy(new byte[] { 127, 0, 0, 1 }, 0, mapped, 12, 4);
		ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder());
		b.putShort(0, (short) AF_INET6);
		b.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) server.getLocalPort());
		b.position(8);
		b.put(mapped);
		byte[] addr = b.array();
		if (Libc.connect(fd, addr, addr.length) != 0) {
			int errno = Native.getLastError();
			closeFd(fd);
			Assumptions.abort("no dual-stack IPv6 socket here: connect to ::ffff:127.0.0.1 failed, errno " + errno);
		}
		return acceptPeer(server, fd);
	}

	/**
	 * A connected AF_UNIX stream socket pair, both ends blocking.
	 * @return the two descriptors
	 */
	public UnixPair unixSocketPair() {
		return socketPair(SOCK_STREAM);
	}

	/**
	 * A connected AF_UNIX socket pair of the given type (stream, datagram or seqpacket).
	 * @param type {@link #SOCK_STREAM}, {@link #SOCK_DGRAM} or {@link #SOCK_SEQPACKET}
	 * @return the two descriptors
	 */
	public UnixPair socketPair(int type) {
		int[] sv = new int[2];
		check(Libc.socketpair(AF_UNIX, type, 0, sv), "socketpair");
		return new UnixPair(own(sv[0]), own(sv[1]));
	}

	/**
	 * A blocking AF_UNIX stream socket connected to a Java {@link ServerSocketChannel} bound to a
	 * path in a temporary directory.
	 * @return the descriptor, the accepted Java peer and the server's path
	 */
	public UnixConnection connectedUnix() {
		try {
			Path dir = Files.createTempDirectory("vconn-uds");
			Path path = dir.resolve("s");
			ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
			this.closeables.push(() -> {
				Files.deleteIfExists(path);
				Files.deleteIfExists(dir);
			});
			this.closeables.push(server);
			server.bind(UnixDomainSocketAddress.of(path));
			int fd = own(check(Libc.socket(AF_UNIX, SOCK_STREAM, 0), "socket"));
			byte[] addr = sockaddrUn(path.toString());
			check(Libc.connect(fd, addr, addr.length), "connect");
			SocketChannel peer = server.accept();
			this.closeables.push(peer);
			return new UnixConnection(fd, peer, path);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * A blocking AF_INET stream socket connected to {@code address} (an IPv4 server of the test,
	 * such as a listener on loopback).
	 * @param address where to connect
	 * @return the descriptor
	 */
	public int connectedTo(InetSocketAddress address) {
		int fd = own(check(Libc.socket(AF_INET, SOCK_STREAM, 0), "socket"));
		byte[] addr = sockaddrIn(address.getAddress(), address.getPort());
		check(Libc.connect(fd, addr, addr.length), "connect");
		return fd;
	}

	/**
	 * A blocking AF_INET stream socket listening on {@code 127.0.0.1}, ephemeral port.
	 * @return the descriptor
	 */
	public int listeningTcp() {
		int fd = own(check(Libc.socket(AF_INET, SOCK_STREAM, 0), "socket"));
		byte[] addr = sockaddrIn(InetAddress.getLoopbackAddress(), 0);
		check(Libc.bind(fd, addr, addr.length), "bind");
		check(Libc.listen(fd, 16), "listen");
		return fd;
	}

	/**
	 * A blocking AF_INET stream socket that was never connected (not even bound).
	 * @return the descriptor
	 */
	public int unconnectedTcp() {
		return own(check(Libc.socket(AF_INET, SOCK_STREAM, 0), "socket"));
	}

	/**
	 * A blocking AF_UNIX stream socket that was never connected.
	 * @return the descriptor
	 */
	public int unconnectedUnix() {
		return own(check(Libc.socket(AF_UNIX, SOCK_STREAM, 0), "socket"));
	}

	/**
	 * An unconnected AF_INET datagram socket.
	 * @return the descriptor
	 */
	public int udp() {
		return own(check(Libc.socket(AF_INET, SOCK_DGRAM, 0), "socket"));
	}

	/**
	 * An AF_INET datagram socket connected to a loopback port ({@code getpeername} succeeds).
	 * @return the descriptor
	 */
	public int connectedUdp() {
		int fd = udp();
		byte[] addr = sockaddrIn(InetAddress.getLoopbackAddress(), tcpServer().getLocalPort());
		check(Libc.connect(fd, addr, addr.length), "connect");
		return fd;
	}

	/**
	 * A pipe, both ends blocking.
	 * @return the two descriptors
	 */
	public PipeFds pipe() {
		int[] fds = new int[2];
		check(Libc.pipe2(fds, 0), "pipe2");
		return new PipeFds(own(fds[0]), own(fds[1]));
	}

	/**
	 * A regular temporary file holding {@code content}, opened read-write, positioned at
	 * {@code position}.
	 * @param content the file's bytes
	 * @param position where to leave the file offset (the fixture reads up to it)
	 * @return the descriptor
	 */
	public int regularFile(byte[] content, int position) {
		try {
			Path file = Files.createTempFile("vconn-fd", ".bin");
			this.closeables.push(() -> Files.deleteIfExists(file));
			Files.write(file, content);
			int fd = own(check(Libc.open(file.toString(), O_RDWR, 0), "open"));
			if (position > 0) {
				readFully(fd, position, IO_TIMEOUT);
			}
			return fd;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Moves a descriptor this fixture owns far above the lowest free number, as
	 * {@link #closedFdNumber()} picks them: once it is closed, its number stays free for the test to
	 * take again, where the next descriptor any other thread opens would otherwise take it first.
	 * @param fd an owned descriptor, closed by this call
	 * @return the same open file under its new number, owned by this fixture
	 */
	public int moveHigh(int fd) {
		int high = own(check(Libc.fcntl(fd, F_DUPFD, highFdFloor()), "fcntl(F_DUPFD)"));
		closeFd(fd);
		return high;
	}

	/**
	 * A descriptor number that was open a moment ago and is closed now. It lies far above the
	 * lowest free number, so the kernel will not hand it out again to anything in this process.
	 * @return the closed number
	 */
	public int closedFdNumber() {
		int probe = check(Libc.socket(AF_INET, SOCK_STREAM, 0), "socket");
		try {
			int high = check(Libc.fcntl(probe, F_DUPFD, highFdFloor()), "fcntl(F_DUPFD)");
			check(Libc.close(high), "close");
			if (isOpen(high)) {
				throw new IllegalStateException("fd " + high + " is still open");
			}
			return high;
		}
		finally {
			Libc.close(probe);
		}
	}

	/**
	 * A blocking AF_INET stream socket whose peer sent a reset (SO_LINGER 0 and close): the socket
	 * has a pending {@code ECONNRESET}, observed with {@code poll(POLLERR)} without reading
	 * {@code SO_ERROR} (which would clear it).
	 * @return the descriptor
	 */
	public int resetTcp() {
		TcpConnection connection = connectedTcp();
		try {
			connection.peer().setSoLinger(true, 0);
			connection.peer().close();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		awaitRevents(connection.fd(), (short) 0, POLLERR, IO_TIMEOUT);
		return connection.fd();
	}

	/**
	 * An AF_INET stream socket whose non-blocking connect to a closed loopback port was refused:
	 * a pending {@code ECONNREFUSED}, observed with {@code poll(POLLERR)} without reading
	 * {@code SO_ERROR}. The socket is left non-blocking (the caller may clear that).
	 * @return the descriptor
	 */
	public int refusedTcp() {
		for (int attempt = 0; attempt < 10; attempt++) {
			int port = closedLoopbackPort();
			int fd = own(check(Libc.socket(AF_INET, SOCK_STREAM, 0), "socket"));
			setNonBlocking(fd, true);
			byte[] addr = sockaddrIn(InetAddress.getLoopbackAddress(), port);
			int rc = Libc.connect(fd, addr, addr.length);
			int errno = (rc == 0) ? 0 : Native.getLastError();
			if (rc == -1 && errno == EINPROGRESS) {
				short revents = awaitRevents(fd, POLLOUT, (short) (POLLERR | POLLHUP | POLLOUT), IO_TIMEOUT);
				if ((revents & POLLERR) != 0) {
					return fd;
				}
			}
			// Connected to something else that took the port, or the error was already consumed
			// by connect itself: try again with a fresh socket.
			closeFd(fd);
		}
		throw new IllegalStateException("could not produce a socket with a pending ECONNREFUSED");
	}

	/**
	 * Adds a descriptor to those this fixture closes.
	 * @param fd the descriptor
	 * @return {@code fd}
	 */
	public int own(int fd) {
		this.owned.add(fd);
		return fd;
	}

	/**
	 * Gives up a descriptor that now belongs to someone else (a VConn): this fixture will not
	 * close it.
	 * @param fd the descriptor
	 */
	public void release(int fd) {
		this.owned.remove(fd);
	}

	/**
	 * Closes a descriptor this fixture owns now, and forgets it.
	 * @param fd the descriptor
	 */
	public void closeFd(int fd) {
		if (this.owned.remove(fd)) {
			check(Libc.close(fd), "close(" + fd + ")");
		}
	}

	/**
	 * Registers something to close with this fixture.
	 * @param <T> its type
	 * @param closeable a peer, a channel...
	 * @return {@code closeable}
	 */
	public <T extends AutoCloseable> T closeLater(T closeable) {
		this.closeables.push(closeable);
		return closeable;
	}

	/**
	 * Closes every descriptor still owned, every peer and server, and deletes the temporary files.
	 */
	@Override
	public void close() {
		RuntimeException failure = null;
		for (Integer fd : new ArrayList<>(this.owned)) {
			if (Libc.close(fd) != 0) {
				failure = accumulate(failure,
						new IllegalStateException("close(" + fd + ") failed: errno " + Native.getLastError()));
			}
		}
		this.owned.clear();
		while (!this.closeables.isEmpty()) {
			try {
				this.closeables.pop().close();
			}
			catch (Exception ex) {
				failure = accumulate(failure, new IllegalStateException("cleanup failed", ex));
			}
		}
		this.tcpServer = null;
		this.tcp6Server = null;
		if (failure != null) {
			throw failure;
		}
	}

	// =====================================================================================
	// Probes: none of them changes the descriptor
	// =====================================================================================

	/**
	 * Whether a descriptor number is open in this process ({@code /proc/self/fd/<fd>} exists).
	 * @param fd the number
	 * @return {@code true} if open
	 */
	public static boolean isOpen(int fd) {
		return fd >= 0 && Files.exists(Paths.get("/proc/self/fd/" + fd), java.nio.file.LinkOption.NOFOLLOW_LINKS);
	}

	/**
	 * The number of open descriptors of this process (entries of {@code /proc/self/fd}).
	 * @return the count
	 */
	public static long countOpenFds() {
		try (Stream<Path> entries = Files.list(Paths.get("/proc/self/fd"))) {
			return entries.count();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * The open descriptor numbers of this process.
	 * @return the numbers
	 */
	public static Set<Integer> openFds() {
		try (Stream<Path> entries = Files.list(Paths.get("/proc/self/fd"))) {
			Set<Integer> fds = new java.util.TreeSet<>();
			entries.forEach((p) -> fds.add(Integer.parseInt(p.getFileName().toString())));
			return fds;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * How many sockets this process has open: what a takeover or a transfer left behind would show
	 * here, the JVM's own jar files would not.
	 * @return the count
	 */
	public static long openSockets() {
		return openFds().stream().filter((fd) -> {
			try {
				return Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString().startsWith("socket:");
			}
			catch (IOException ex) {
				return false; // closed meanwhile
			}
		}).count();
	}

	/**
	 * What every open descriptor of this process is ({@code readlink} of {@code /proc/self/fd/<fd>})
	 * and its file status flags ({@code /proc/self/fdinfo}); a descriptor closed while this runs is
	 * left out.
	 * @return the identities by descriptor number
	 */
	public static Map<Integer, FdIdentity> identities() {
		Map<Integer, FdIdentity> identities = new java.util.TreeMap<>();
		for (int fd : openFds()) {
			try {
				String target = Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString();
				identities.put(fd, new FdIdentity(target, fdinfoFlags(fd)));
			}
			catch (IOException | RuntimeException ex) {
				// closed meanwhile
			}
		}
		return identities;
	}

	/**
	 * The parsed {@code /proc/self/fdinfo/<fd>}.
	 * @param fd an open descriptor
	 * @return its fdinfo
	 * @throws IllegalStateException if the descriptor is not open
	 */
	public static FdInfo fdInfo(int fd) {
		List<String> lines;
		try {
			lines = Files.readAllLines(Paths.get("/proc/self/fdinfo/" + fd), StandardCharsets.US_ASCII);
		}
		catch (NoSuchFileException ex) {
			throw new IllegalStateException("fd " + fd + " is not open");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		long pos = -1;
		int flags = -1;
		long ino = -1;
		for (String line : lines) {
			if (line.startsWith("pos:")) {
				pos = Long.parseLong(line.substring(4).trim());
			}
			else if (line.startsWith("flags:")) {
				flags = Integer.parseInt(line.substring(6).trim(), 8);
			}
			else if (line.startsWith("ino:")) {
				ino = Long.parseLong(line.substring(4).trim());
			}
		}
		return new FdInfo(pos, flags, ino, lines);
	}

	/**
	 * The file status flags from {@code /proc/self/fdinfo/<fd>} (the octal {@code flags:} line;
	 * includes {@code O_CLOEXEC} as the kernel reports it there).
	 * @param fd an open descriptor
	 * @return the flags
	 */
	public static int fdinfoFlags(int fd) {
		return fdInfo(fd).flags();
	}

	/**
	 * {@code fcntl(fd, F_GETFL)}.
	 * @param fd an open descriptor
	 * @return the file status flags
	 */
	public static int getFl(int fd) {
		return check(Libc.fcntl(fd, F_GETFL, 0), "fcntl(F_GETFL)");
	}

	/**
	 * Whether {@code O_NONBLOCK} is set, per {@code /proc/self/fdinfo}.
	 * @param fd an open descriptor
	 * @return {@code true} if non-blocking
	 */
	public static boolean isNonBlocking(int fd) {
		return (fdinfoFlags(fd) & O_NONBLOCK) != 0;
	}

	/**
	 * Sets or clears {@code O_NONBLOCK}.
	 * @param fd an open descriptor
	 * @param nonBlocking the mode wanted
	 */
	public static void setNonBlocking(int fd, boolean nonBlocking) {
		int flags = getFl(fd);
		int wanted = nonBlocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
		if (wanted != flags) {
			check(Libc.fcntl(fd, F_SETFL, wanted), "fcntl(F_SETFL)");
		}
	}

	/**
	 * Restores exact file status flags ({@code F_SETFL}).
	 * @param fd an open descriptor
	 * @param flags the flags
	 */
	public static void setFl(int fd, int flags) {
		check(Libc.fcntl(fd, F_SETFL, flags), "fcntl(F_SETFL)");
	}

	/**
	 * {@code poll} on one descriptor with a zero timeout.
	 * @param fd the descriptor
	 * @param events the events asked for (POLLERR, POLLHUP and POLLNVAL are always reported)
	 * @return the revents
	 */
	public static short pollNow(int fd, short events) {
		return poll(fd, events, 0);
	}

	/**
	 * Waits with {@code poll} until one of {@code wanted} is reported.
	 * @param fd the descriptor
	 * @param events the events asked for
	 * @param wanted the revents bits to wait for
	 * @param timeout how long to wait at most
	 * @return the revents
	 * @throws IllegalStateException on timeout
	 */
	public static short awaitRevents(int fd, short events, short wanted, Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
			short revents = poll(fd, events, (int) Math.min(Integer.MAX_VALUE, left));
			if ((revents & wanted) != 0) {
				return revents;
			}
			if (left == 0) {
				throw new IllegalStateException(
						"fd " + fd + ": revents 0x" + Integer.toHexString(revents & 0xffff) + " after " + timeout);
			}
		}
	}

	/**
	 * The bytes waiting to be read ({@code ioctl(FIONREAD)}), without reading them.
	 * @param fd a socket, pipe or file
	 * @return the count, or {@code -errno} if the descriptor does not support it
	 */
	public static int readable(int fd) {
		int[] n = new int[1];
		if (Libc.ioctl(fd, FIONREAD, n) != 0) {
			return -Native.getLastError();
		}
		return n[0];
	}

	/**
	 * Waits until at least {@code n} bytes can be read from {@code fd}, without reading them.
	 * @param fd a socket or pipe
	 * @param n the bytes to wait for
	 * @param timeout how long to wait at most
	 */
	public static void awaitReadable(int fd, int n, Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (readable(fd) < n) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("fd " + fd + ": " + readable(fd) + " of " + n + " bytes after " + timeout);
			}
			awaitRevents(fd, POLLIN, (short) (POLLIN | POLLERR | POLLHUP), timeout);
			if (readable(fd) < n) {
				// more bytes are on their way on loopback; give the sender's thread a chance
				Thread.onSpinWait();
			}
		}
	}

	/**
	 * Reads an int socket option without side effects.
	 * @param fd a socket
	 * @param level the level
	 * @param name the option (never {@link #SO_ERROR}: reading it clears it)
	 * @return the value, or {@code null} if the option cannot be read on this descriptor
	 */
	public static Integer intOption(int fd, int level, int name) {
		if (level == SOL_SOCKET && name == SO_ERROR) {
			throw new IllegalArgumentException("reading SO_ERROR clears it; use takeSocketError on purpose");
		}
		int[] value = new int[1];
		int[] len = { 4 };
		if (Libc.getsockopt(fd, level, name, value, len) != 0) {
			return null;
		}
		return value[0];
	}

	/**
	 * Reads (and so clears) the pending socket error. Use only at the end of a test.
	 * @param fd a socket
	 * @return the errno pending, 0 if none
	 */
	public static int takeSocketError(int fd) {
		int[] value = new int[1];
		int[] len = { 4 };
		check(Libc.getsockopt(fd, SOL_SOCKET, SO_ERROR, value, len), "getsockopt(SO_ERROR)");
		return value[0];
	}

	/**
	 * Sets an int socket option.
	 * @param fd a socket
	 * @param level the level
	 * @param name the option
	 * @param value the value
	 */
	public static void setIntOption(int fd, int level, int name, int value) {
		check(Libc.setsockopt(fd, level, name, new int[] { value }, 4), "setsockopt");
	}

	/**
	 * The socket options a failed adoption must not change, read without side effects; unreadable
	 * ones (not a socket, option not supported by the family) appear as {@code "errno N"}.
	 * @param fd a descriptor
	 * @return option name to value
	 */
	public static Map<String, String> socketOptions(int fd) {
		Map<String, String> options = new LinkedHashMap<>();
		int[][] ints = { { SOL_SOCKET, SO_TYPE }, { SOL_SOCKET, SO_DOMAIN }, { SOL_SOCKET, SO_ACCEPTCONN },
				{ SOL_SOCKET, SO_REUSEADDR }, { SOL_SOCKET, SO_KEEPALIVE }, { SOL_SOCKET, SO_OOBINLINE },
				{ SOL_SOCKET, SO_RCVBUF }, { SOL_SOCKET, SO_SNDBUF }, { SOL_SOCKET, SO_RCVLOWAT },
				{ IPPROTO_TCP, TCP_NODELAY }, { IPPROTO_TCP, TCP_CORK } };
		String[] names = { "SO_TYPE", "SO_DOMAIN", "SO_ACCEPTCONN", "SO_REUSEADDR", "SO_KEEPALIVE", "SO_OOBINLINE",
				"SO_RCVBUF", "SO_SNDBUF", "SO_RCVLOWAT", "TCP_NODELAY", "TCP_CORK" };
		for (int i = 0; i < ints.length; i++) {
			int[] value = new int[1];
			int[] len = { 4 };
			options.put(names[i], (Libc.getsockopt(fd, ints[i][0], ints[i][1], value, len) == 0)
					? Integer.toString(value[0]) : "errno " + Native.getLastError());
		}
		options.put("SO_LINGER", bytesOption(fd, SO_LINGER, 8));
		options.put("SO_RCVTIMEO", bytesOption(fd, SO_RCVTIMEO, 16));
		options.put("SO_SNDTIMEO", bytesOption(fd, SO_SNDTIMEO, 16));
		return options;
	}

	private static String bytesOption(int fd, int name, int size) {
		byte[] value = new byte[size];
		int[] len = { size };
		if (Libc.getsockopt(fd, SOL_SOCKET, name, value, len) != 0) {
			return "errno " + Native.getLastError();
		}
		return Arrays.toString(Arrays.copyOf(value, len[0]));
	}

	/**
	 * Everything observable about a descriptor that adoption must leave alone.
	 * @param fd a descriptor
	 * @return a snapshot; two snapshots are equal if nothing observable changed
	 */
	public static FdState state(int fd) {
		if (!isOpen(fd)) {
			return new FdState(false, -1, -1, -1, -1, -1, (short) 0, Map.of());
		}
		FdInfo info = fdInfo(fd);
		int fdFlags = check(Libc.fcntl(fd, F_GETFD, 0), "fcntl(F_GETFD)");
		short revents = pollNow(fd, (short) (POLLIN | POLLPRI | POLLOUT | POLLRDHUP));
		return new FdState(true, info.flags(), fdFlags, info.pos(), info.ino(), readable(fd), revents,
				socketOptions(fd));
	}

	/**
	 * The epoll instances of this process (Netty's and the JDK's selectors alike) that watch the
	 * file {@code fd} refers to, from the {@code tfd:} lines of every {@code /proc/self/fdinfo}
	 * entry. Matched by inode, so a registration made through a duplicate of {@code fd} counts too
	 * (for a pipe, either end counts: both ends share the inode).
	 * @param fd an open descriptor
	 * @return one entry per registration: the epoll descriptor watching it; empty if registered
	 * nowhere
	 */
	public static List<Integer> epollWatchers(int fd) {
		long ino = fdInfo(fd).ino();
		List<Integer> watchers = new ArrayList<>();
		for (int candidate : openFds()) {
			List<String> lines;
			try {
				lines = Files.readAllLines(Paths.get("/proc/self/fdinfo/" + candidate), StandardCharsets.US_ASCII);
			}
			catch (IOException | UncheckedIOException ex) {
				continue; // closed meanwhile
			}
			for (String line : lines) {
				if (!line.startsWith("tfd:")) {
					continue;
				}
				// tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx sdev:%x
				String[] parts = line.trim().split("\\s+");
				int tfd = Integer.parseInt(parts[1]);
				long tino = -1;
				for (String part : parts) {
					if (part.startsWith("ino:")) {
						tino = Long.parseLong(part.substring(4), 16);
					}
				}
				if ((tino == -1) ? (tfd == fd) : (tino == ino)) {
					watchers.add(candidate);
				}
			}
		}
		return watchers;
	}

	// =====================================================================================
	// Raw I/O
	// =====================================================================================

	/**
	 * Writes to a non-blocking socket until the kernel takes no more (its send buffer and the peer's
	 * receive buffer are full), so that the socket no longer polls writable.
	 * @param fd a connected non-blocking socket whose peer does not read
	 * @return the bytes written, each byte its offset modulo 251
	 */
	public static byte[] fillSendBuffer(int fd) {
		java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream();
		byte[] chunk = new byte[4096];
		while (true) {
			for (int i = 0; i < chunk.length; i++) {
				chunk[i] = (byte) ((written.size() + i) % 251);
			}
			long n = Libc.write(fd, chunk, chunk.length);
			if (n < 0) {
				int errno = Native.getLastError();
				if (errno == EAGAIN) {
					return written.toByteArray();
				}
				if (errno != EINTR) {
					throw new IllegalStateException("write(" + fd + ") failed: errno " + errno);
				}
				continue;
			}
			written.write(chunk, 0, (int) n);
		}
	}

	/**
	 * Writes all of {@code bytes} with {@code write(2)} (waiting with poll if non-blocking).
	 * @param fd the descriptor
	 * @param bytes the bytes
	 */
	public static void writeFully(int fd, byte[] bytes) {
		int done = 0;
		while (done < bytes.length) {
			byte[] chunk = (done == 0) ? bytes : Arrays.copyOfRange(bytes, done, bytes.length);
			long n = Libc.write(fd, chunk, chunk.length);
			if (n < 0) {
				int errno = Native.getLastError();
				if (errno == EAGAIN) {
					awaitRevents(fd, POLLOUT, (short) (POLLOUT | POLLERR | POLLHUP), IO_TIMEOUT);
					continue;
				}
				if (errno == EINTR) {
					continue;
				}
				throw new IllegalStateException("write(" + fd + ") failed: errno " + errno);
			}
			done += (int) n;
		}
	}

	/**
	 * Reads exactly {@code n} bytes with {@code read(2)}, waiting with poll (works on blocking and
	 * non-blocking descriptors alike).
	 * @param fd the descriptor
	 * @param n the number of bytes
	 * @param timeout how long to wait for them
	 * @return the bytes
	 * @throws IllegalStateException on end of stream, error or timeout
	 */
	public static byte[] readFully(int fd, int n, Duration timeout) {
		byte[] out = new byte[n];
		int done = 0;
		long deadline = System.nanoTime() + timeout.toNanos();
		while (done < n) {
			awaitRevents(fd, POLLIN, (short) (POLLIN | POLLERR | POLLHUP),
					Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
			byte[] chunk = new byte[n - done];
			long got = Libc.read(fd, chunk, chunk.length);
			if (got < 0) {
				int errno = Native.getLastError();
				if (errno == EAGAIN || errno == EINTR) {
					continue;
				}
				throw new IllegalStateException("read(" + fd + ") failed after " + done + " bytes: errno " + errno);
			}
			if (got == 0) {
				throw new IllegalStateException("read(" + fd + "): end of stream after " + done + " of " + n + " bytes");
			}
			System.arraycopy(chunk, 0, out, done, (int) got);
			done += (int) got;
		}
		return out;
	}

	/**
	 * One {@code read(2)} of at most {@code max} bytes.
	 * @param fd the descriptor
	 * @param max the most bytes to read
	 * @return the bytes read (empty at end of stream)
	 * @throws IllegalStateException with the errno on failure
	 */
	public static byte[] readOnce(int fd, int max) {
		byte[] chunk = new byte[max];
		long got = Libc.read(fd, chunk, chunk.length);
		if (got < 0) {
			throw new ErrnoException("read(" + fd + ")", Native.getLastError());
		}
		return Arrays.copyOf(chunk, (int) got);
	}

	/**
	 * Waits for end of stream on {@code fd}: a {@code read(2)} that returns 0.
	 * @param fd the descriptor
	 * @param timeout how long to wait
	 * @return any bytes that arrived before end of stream
	 */
	public static byte[] readToEof(int fd, Duration timeout) {
		java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			awaitRevents(fd, POLLIN, (short) (POLLIN | POLLERR | POLLHUP),
					Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
			byte[] chunk = new byte[8192];
			long got = Libc.read(fd, chunk, chunk.length);
			if (got < 0) {
				int errno = Native.getLastError();
				if (errno == EAGAIN || errno == EINTR) {
					continue;
				}
				throw new ErrnoException("read(" + fd + ")", errno);
			}
			if (got == 0) {
				return out.toByteArray();
			}
			out.write(chunk, 0, (int) got);
		}
	}

	/**
	 * {@code shutdown(fd, SHUT_WR)}: the peer reads end of stream.
	 * @param fd a connected socket
	 */
	public static void shutdownOutput(int fd) {
		check(Libc.shutdown(fd, SHUT_WR), "shutdown");
	}

	/**
	 * {@code fcntl(fd, F_DUPFD, min)} without closing anything: the lowest free number at or
	 * above {@code min}.
	 * @param fd the descriptor to duplicate
	 * @param min the lowest acceptable number
	 * @return the new number
	 */
	public static int dupAtLeast(int fd, int min) {
		return check(Libc.fcntl(fd, F_DUPFD, min), "fcntl(F_DUPFD)");
	}

	/**
	 * {@code dup2(2)}: makes {@code newfd} refer to what {@code oldfd} refers to, closing whatever
	 * {@code newfd} was. Only for repairing descriptors a test must not lose (0, 1, 2).
	 * @param oldfd the source
	 * @param newfd the number to overwrite
	 */
	public static void dup2(int oldfd, int newfd) {
		check(Libc.dup2(oldfd, newfd), "dup2");
	}

	/**
	 * The soft and hard {@code RLIMIT_NOFILE} of this process.
	 * @return {@code {soft, hard}}
	 */
	public static long[] openFileLimit() {
		long[] limit = new long[2];
		check(Libc.getrlimit(RLIMIT_NOFILE, limit), "getrlimit");
		return limit;
	}

	/**
	 * Sets the soft {@code RLIMIT_NOFILE} of this process (the hard limit is kept). This affects
	 * every thread: restore it at once.
	 * @param soft the new soft limit
	 */
	public static void setOpenFileSoftLimit(long soft) {
		long[] limit = openFileLimit();
		check(Libc.setrlimit(RLIMIT_NOFILE, new long[] { soft, limit[1] }), "setrlimit");
	}

	/**
	 * Opens descriptors (duplicates of {@code fd}) on every free number below {@code limit}, so that
	 * a soft {@code RLIMIT_NOFILE} of {@code limit} leaves no descriptor free. Close them with
	 * {@link #closeRaw(int)}.
	 * @param fd the descriptor to duplicate
	 * @param limit the number below which nothing must stay free
	 * @return the fillers
	 */
	public static List<Integer> fillFreeNumbersBelow(int fd, int limit) {
		List<Integer> fillers = new ArrayList<>();
		while (true) {
			int filler = check(Libc.fcntl(fd, F_DUPFD, 0), "fcntl(F_DUPFD)");
			if (filler >= limit) {
				Libc.close(filler);
				return fillers;
			}
			fillers.add(filler);
		}
	}

	/**
	 * {@code close(2)} of a number, reporting the errno instead of throwing.
	 * @param fd the number
	 * @return 0, or the errno
	 */
	public static int closeRaw(int fd) {
		return (Libc.close(fd) == 0) ? 0 : Native.getLastError();
	}

	/**
	 * The local address of a socket ({@code getsockname}), AF_INET or AF_INET6 only.
	 * @param fd a socket
	 * @return the address
	 */
	public static InetSocketAddress localInetAddress(int fd) {
		byte[] addr = new byte[128];
		int[] len = { addr.length };
		check(Libc.getsockname(fd, addr, len), "getsockname");
		return parseInet(addr);
	}

	// =====================================================================================
	// Internals
	// =====================================================================================

	private ServerSocket tcpServer() {
		if (this.tcpServer == null) {
			try {
				ServerSocket server = new ServerSocket();
				this.closeables.push(server);
				server.setReuseAddress(true);
				server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
				server.setSoTimeout((int) IO_TIMEOUT.toMillis());
				this.tcpServer = server;
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}
		return this.tcpServer;
	}

	private ServerSocket tcp6Server() {
		if (this.tcp6Server == null) {
			ServerSocket server = null;
			try {
				server = new ServerSocket();
				server.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0), 512);
				server.setSoTimeout((int) IO_TIMEOUT.toMillis());
			}
			catch (IOException ex) {
				closeQuietly(server);
				Assumptions.abort("IPv6 loopback ::1 is not available: " + ex);
			}
			this.closeables.push(server);
			this.tcp6Server = server;
		}
		return this.tcp6Server;
	}

	private TcpConnection connect(ServerSocket server, int family) {
		int fd = own(check(Libc.socket(family, SOCK_STREAM, 0), "socket"));
		byte[] addr = (family == AF_INET6) ? sockaddrIn6(server.getInetAddress(), server.getLocalPort())
				: sockaddrIn(server.getInetAddress(), server.getLocalPort());
		check(Libc.connect(fd, addr, addr.length), "connect");
		return acceptPeer(server, fd);
	}

	private TcpConnection acceptPeer(ServerSocket server, int fd) {
		int localPort = localInetAddress(fd).getPort();
		try {
			while (true) {
				Socket peer = server.accept();
				if (peer.getPort() == localPort) {
					this.closeables.push(peer);
					return new TcpConnection(fd, peer);
				}
				// a connection left over from an earlier call: not ours
				peer.close();
			}
		}
		catch (SocketTimeoutException ex) {
			throw new IllegalStateException("loopback server did not accept within " + IO_TIMEOUT, ex);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static int closedLoopbackPort() {
		try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return probe.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static int highFdFloor() {
		try {
			for (String line : Files.readAllLines(Paths.get("/proc/self/limits"))) {
				if (line.startsWith("Max open files")) {
					String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
					if (!"unlimited".equals(soft)) {
						long limit = Long.parseLong(soft);
						return (int) Math.max(64, Math.min(limit - 64, 1 << 20));
					}
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return 1 << 16;
	}

	private static short poll(int fd, short events, int timeoutMillis) {
		ByteBuffer pollfd = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
		while (true) {
			pollfd.clear();
			pollfd.putInt(0, fd).putShort(4, events).putShort(6, (short) 0);
			byte[] raw = pollfd.array();
			int rc = Libc.poll(raw, 1, timeoutMillis);
			if (rc < 0) {
				int errno = Native.getLastError();
				if (errno == EINTR) {
					continue;
				}
				throw new ErrnoException("poll", errno);
			}
			return ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder()).getShort(6);
		}
	}

	static byte[] sockaddrIn(InetAddress address, int port) {
		ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
		b.putShort(0, (short) AF_INET);
		b.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) port);
		byte[] ip = (address instanceof Inet4Address) ? address.getAddress() : new byte[] { 127, 0, 0, 1 };
		b.position(4);
		b.put(ip);
		return b.array();
	}

	static byte[] sockaddrIn6(InetAddress address, int port) {
		ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder());
		b.putShort(0, (short) AF_INET6);
		b.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) port);
		b.position(8);
		b.put(address.getAddress());
		return b.array();
	}

	static byte[] sockaddrUn(String path) {
		byte[] p = path.getBytes(StandardCharsets.UTF_8);
		if (p.length > 107) {
			throw new IllegalArgumentException("socket path too long: " + path);
		}
		ByteBuffer b = ByteBuffer.allocate(2 + p.length + 1).order(ByteOrder.nativeOrder());
		b.putShort((short) AF_UNIX);
		b.put(p);
		return b.array();
	}

	private static InetSocketAddress parseInet(byte[] addr) {
		ByteBuffer b = ByteBuffer.wrap(addr).order(ByteOrder.nativeOrder());
		int family = b.getShort(0);
		int port = ByteBuffer.wrap(addr).order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xffff;
		try {
			if (family == AF_INET) {
				return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(addr, 4, 8)), port);
			}
			if (family == AF_INET6) {
				return new InetSocketAddress(Inet6Address.getByAddress(Arrays.copyOfRange(addr, 8, 24)), port);
			}
		}
		catch (java.net.UnknownHostException ex) {
			throw new IllegalStateException(ex);
		}
		throw new IllegalStateException("not an inet address, family " + family);
	}

	private static int check(int rc, String what) {
		if (rc < 0) {
			throw new ErrnoException(what, Native.getLastError());
		}
		return rc;
	}

	private static RuntimeException accumulate(RuntimeException first, RuntimeException next) {
		if (first == null) {
			return next;
		}
		first.addSuppressed(next);
		return first;
	}

	private static void closeQuietly(Closeable closeable) {
		if (closeable != null) {
			try {
				closeable.close();
			}
			catch (IOException ex) {
				// best effort
			}
		}
	}

	// =====================================================================================
	// Types
	// =====================================================================================

	/**
	 * A native TCP socket and the Java socket that accepted it.
	 * @param fd the native descriptor
	 * @param peer the accepted socket (closed by the fixture)
	 */
	public record TcpConnection(int fd, Socket peer) {
	}

	/**
	 * Two connected AF_UNIX descriptors.
	 * @param fd the end under test
	 * @param peerFd the other end
	 */
	public record UnixPair(int fd, int peerFd) {
	}

	/**
	 * A native AF_UNIX socket connected to a Java server bound to a path.
	 * @param fd the native descriptor
	 * @param peer the accepted channel (closed by the fixture)
	 * @param path the server's path
	 */
	public record UnixConnection(int fd, SocketChannel peer, Path path) {
	}

	/**
	 * The two ends of a pipe.
	 * @param readFd the read end
	 * @param writeFd the write end
	 */
	public record PipeFds(int readFd, int writeFd) {
	}

	/**
	 * The parsed {@code /proc/self/fdinfo/<fd>}.
	 * @param pos the file offset
	 * @param flags the file status flags (octal in the file)
	 * @param ino the inode
	 * @param lines the raw lines
	 */
	public record FdInfo(long pos, int flags, long ino, List<String> lines) {
	}

	/**
	 * What a descriptor refers to and how it is opened.
	 * @param target the {@code readlink} of {@code /proc/self/fd/<fd>}, for example {@code socket:[1234]}
	 * @param flags the file status flags from {@code /proc/self/fdinfo}
	 */
	public record FdIdentity(String target, int flags) {

		/**
		 * Whether the descriptor is a socket.
		 * @return whether the target is {@code socket:[...]}
		 */
		public boolean isSocket() {
			return this.target.startsWith("socket:");
		}

	}

	/**
	 * What adoption must leave alone.
	 * @param open whether the number is open
	 * @param flags fdinfo flags
	 * @param fdFlags {@code F_GETFD} (close-on-exec)
	 * @param pos file offset
	 * @param ino inode (same open file)
	 * @param readable bytes waiting ({@code FIONREAD}) or {@code -errno}
	 * @param revents {@code poll} readiness now, including a pending error (POLLERR)
	 * @param socketOptions socket options read without side effects
	 */
	public record FdState(boolean open, int flags, int fdFlags, long pos, long ino, int readable, short revents,
			Map<String, String> socketOptions) {

		@Override
		public String toString() {
			return "FdState[open=" + this.open + ", flags=0" + Integer.toOctalString(this.flags) + ", fdFlags="
					+ this.fdFlags + ", pos=" + this.pos + ", ino=" + this.ino + ", readable=" + this.readable
					+ ", revents=0x" + Integer.toHexString(this.revents & 0xffff) + ", options=" + this.socketOptions
					+ "]";
		}

	}

	/** A failed system call. */
	public static final class ErrnoException extends IllegalStateException {

		private static final long serialVersionUID = 1L;

		private final int errno;

		ErrnoException(String call, int errno) {
			super(call + " failed: errno " + errno);
			this.errno = errno;
		}

		/**
		 * The errno.
		 * @return the error number
		 */
		public int errno() {
			return this.errno;
		}

	}

	/** Direct-mapped libc calls (64-bit Linux: size_t, ssize_t and nfds_t are 64-bit). */
	static final class Libc {

		static {
			Native.register("c");
		}

		private Libc() {
		}

		static native int socket(int domain, int type, int protocol);

		static native int socketpair(int domain, int type, int protocol, int[] sv);

		static native int connect(int fd, byte[] addr, int len);

		static native int bind(int fd, byte[] addr, int len);

		static native int listen(int fd, int backlog);

		static native int getsockname(int fd, byte[] addr, int[] len);

		static native int getsockopt(int fd, int level, int name, int[] value, int[] len);

		static native int getsockopt(int fd, int level, int name, byte[] value, int[] len);

		static native int setsockopt(int fd, int level, int name, int[] value, int len);

		static native int fcntl(int fd, int cmd, int arg);

		static native int ioctl(int fd, long request, int[] arg);

		static native int close(int fd);

		static native long read(int fd, byte[] buf, long count);

		static native long write(int fd, byte[] buf, long count);

		static native int pipe2(int[] fds, int flags);

		static native int poll(byte[] fds, long nfds, int timeout);

		static native int open(String path, int flags, int mode);

		static native int shutdown(int fd, int how);

		static native int dup2(int oldfd, int newfd);

		static native int getrlimit(int resource, long[] rlim);

		static native int setrlimit(int resource, long[] rlim);

	}

}
