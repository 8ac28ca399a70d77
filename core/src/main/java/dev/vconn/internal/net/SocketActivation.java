package dev.vconn.internal.net;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

import dev.vconn.intercept.ListenerInheritance;
import dev.vconn.intercept.ListenerInheritanceException;
import org.jspecify.annotations.Nullable;

/**
 * Chooses the socket an intercept listener serves on under systemd's socket activation protocol:
 * {@code LISTEN_PID} must be this process, {@code LISTEN_FDS} counts the descriptors passed from
 * fd 3 on, and {@code LISTEN_FDNAMES} (colon-separated) may name them; the one named
 * {@value #FD_NAME} is taken, else the first.
 *
 * <p>Once a socket is found to be passed to this process, every passed descriptor is marked
 * close-on-exec and the variables are cleared, whether or not the chosen one passes the checks, so
 * that child processes inherit neither. A descriptor that fails the checks is left open.
 */
public final class SocketActivation {

	/** The name {@code LISTEN_FDNAMES} gives the intercept listener's socket. */
	public static final String FD_NAME = "vconn-listener";

	static final List<String> VARIABLES = List.of("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES");

	private static final System.Logger logger = System.getLogger(SocketActivation.class.getName());

	private SocketActivation() {
	}

	/**
	 * The socket to serve on.
	 * @param inheritance what the listener was asked to do
	 * @param environment where the variables are read
	 * @param bindAddress the address to bind when nothing is inherited
	 * @param epoll whether the runtime's transport is epoll, the only one that can adopt the socket
	 * @throws ListenerInheritanceException if the passed socket cannot be served on, or none is
	 * passed under {@link ListenerInheritance#REQUIRED}
	 */
	public static ListenerSocket resolve(ListenerInheritance inheritance, ActivationEnvironment environment,
			InetSocketAddress bindAddress, boolean socketPerLoop, boolean epoll) {
		if (inheritance == ListenerInheritance.NEVER) {
			return ListenerSocket.bind(bindAddress, socketPerLoop);
		}
		// two listeners starting at once must not both take the same descriptor
		synchronized (environment) {
			return take(inheritance, environment, bindAddress, socketPerLoop, epoll);
		}
	}

	private static ListenerSocket take(ListenerInheritance inheritance, ActivationEnvironment environment,
			InetSocketAddress bindAddress, boolean socketPerLoop, boolean epoll) {
		String pid = environment.get("LISTEN_PID");
		String count = environment.get("LISTEN_FDS");
		String names = environment.get("LISTEN_FDNAMES");
		String variables = "LISTEN_PID=" + pid + ", LISTEN_FDS=" + count + ", LISTEN_FDNAMES=" + names;
		String notPassed = whyNotPassed(pid, count, environment.pid());
		if (notPassed != null) {
			if (inheritance == ListenerInheritance.REQUIRED) {
				throw new ListenerInheritanceException("VConn intercept listener must inherit a listening socket, but "
						+ notPassed + " (" + variables + "); start it with systemd socket activation", inheritance, -1);
			}
			return ListenerSocket.bind(bindAddress, socketPerLoop);
		}
		int passed = Integer.parseInt(count.trim());
		int first = environment.firstFd();
		int index = indexOfName(names, passed);
		int fd = first + index;
		String origin = "inherited fd " + fd + ((names != null) ? " (" + name(names, index) + ")" : "");
		if (LibC.isAvailable()) {
			for (int passedFd = first; passedFd < first + passed; passedFd++) {
				setCloseOnExec(passedFd);
			}
			environment.clear();
		}
		if (!epoll || !LibC.isAvailable()) {
			String why = !epoll ? "the runtime uses NIO (the JDK adopts only fd 0 as a listening channel)"
					: "libc is not reachable through JNA (" + LibC.unavailabilityCause() + ")";
			if (inheritance == ListenerInheritance.REQUIRED) {
				throw new ListenerInheritanceException("VConn intercept listener cannot serve on the " + origin + " ("
						+ variables + "): adopting a listening socket needs the epoll transport, and " + why,
						inheritance, fd);
			}
			logger.log(System.Logger.Level.WARNING, "VConn intercept listener leaves the " + origin
					+ " unused and binds " + hostAndPort(bindAddress) + " instead: adopting a listening socket needs the epoll "
					+ "transport, and " + why + "; the bind fails if the passed socket holds the port");
			return ListenerSocket.bind(bindAddress, socketPerLoop);
		}
		String problem = checkListening(fd);
		if (problem != null) {
			throw new ListenerInheritanceException("VConn intercept listener cannot serve on the " + origin + " ("
					+ variables + "): it " + problem + "; pass a listening TCP socket, or bind instead "
					+ "(ListenerInheritance.NEVER)", inheritance, fd);
		}
		if (!setNonBlocking(fd)) {
			throw new ListenerInheritanceException("VConn intercept listener cannot serve on the " + origin
					+ ": fcntl(O_NONBLOCK) failed, errno " + LibC.errno(), inheritance, fd);
		}
		logger.log(System.Logger.Level.INFO, "VConn intercept listener serves on the {0} instead of binding {1}",
				origin, hostAndPort(bindAddress));
		return ListenerSocket.inherited(new int[] { fd }, origin, bindAddress);
	}

	/**
	 * The listening sockets a takeover received, checked like an inherited one. Marks them
	 * non-blocking; otherwise reads only.
	 * @param fds the received descriptors, at least one
	 * @param bindAddress the address that would have been bound, for logs
	 * @param epoll whether the runtime's transport is epoll, the only one that can adopt them
	 * @return the sockets to serve on
	 * @throws ListenerInheritanceException if one of them cannot be served on
	 */
	public static ListenerSocket handedOver(int[] fds, InetSocketAddress bindAddress, boolean epoll) {
		String origin = "handed-over fd(s) " + Arrays.toString(fds);
		if (!epoll || !LibC.isAvailable()) {
			throw new ListenerInheritanceException("VConn intercept listener cannot serve on the " + origin
					+ ": adopting a listening socket needs the epoll transport and libc", ListenerInheritance.REQUIRED,
					(fds.length > 0) ? fds[0] : -1);
		}
		for (int fd : fds) {
			String problem = checkListening(fd);
			if (problem != null) {
				throw new ListenerInheritanceException("VConn intercept listener cannot serve on the handed-over fd "
						+ fd + ": it " + problem, ListenerInheritance.REQUIRED, fd);
			}
			if (!setNonBlocking(fd)) {
				throw new ListenerInheritanceException("VConn intercept listener cannot serve on the handed-over fd "
						+ fd + ": fcntl(O_NONBLOCK) failed, errno " + LibC.errno(), ListenerInheritance.REQUIRED, fd);
			}
		}
		logger.log(System.Logger.Level.INFO, "VConn intercept listener serves on the {0} instead of binding {1}",
				origin, hostAndPort(bindAddress));
		return ListenerSocket.inherited(fds, origin, bindAddress);
	}

	private static String hostAndPort(InetSocketAddress address) {
		String host = (address.getAddress() != null) ? address.getAddress().getHostAddress() : address.getHostString();
		return ((host.indexOf(':') >= 0) ? "[" + host + "]" : host) + ":" + address.getPort();
	}

	private static @Nullable String whyNotPassed(@Nullable String pid, @Nullable String count, long ownPid) {
		if (pid == null || count == null) {
			return "LISTEN_PID or LISTEN_FDS is not set";
		}
		try {
			if (Long.parseLong(pid.trim()) != ownPid) {
				return "LISTEN_PID names another process (this one is " + ownPid + ")";
			}
			if (Integer.parseInt(count.trim()) < 1) {
				return "LISTEN_FDS passes no descriptor";
			}
		}
		catch (NumberFormatException ex) {
			return "LISTEN_PID or LISTEN_FDS is not a number";
		}
		return null;
	}

	/** The position of {@value #FD_NAME} among the passed names, else 0. */
	private static int indexOfName(@Nullable String names, int passed) {
		if (names != null) {
			String[] split = names.split(":", -1);
			for (int i = 0; i < Math.min(split.length, passed); i++) {
				if (FD_NAME.equals(split[i])) {
					return i;
				}
			}
		}
		return 0;
	}

	private static String name(String names, int index) {
		String[] split = names.split(":", -1);
		return (index < split.length) ? split[index] : "unnamed";
	}

	/**
	 * Why a descriptor is not a listening TCP socket, or {@code null} if it is one. Reads only.
	 * @param fd the descriptor
	 * @return what is wrong, worded to follow "it"
	 */
	public static @Nullable String checkListening(int fd) {
		if (LibC.fcntl(fd, LibC.F_GETFL, 0) == -1) {
			return "is not open (errno " + LibC.errno() + ")";
		}
		int[] type = { 0 };
		if (!option(fd, LibC.SO_TYPE, type)) {
			return (LibC.errno() == LibC.ENOTSOCK) ? "is not a socket (a pipe or a file)"
					: "cannot be read with getsockopt(SO_TYPE): errno " + LibC.errno();
		}
		if (type[0] == LibC.SOCK_DGRAM) {
			return "is a datagram (UDP) socket, not a stream socket";
		}
		if (type[0] != LibC.SOCK_STREAM) {
			return "is a socket of type " + type[0] + ", not a stream socket";
		}
		int[] family = { 0 };
		if (!option(fd, LibC.SO_DOMAIN, family)) {
			return "cannot be read with getsockopt(SO_DOMAIN): errno " + LibC.errno();
		}
		if (family[0] != LibC.AF_INET && family[0] != LibC.AF_INET6) {
			return "is a stream socket of family " + family[0] + " (" + ((family[0] == LibC.AF_UNIX) ? "AF_UNIX" : "?")
					+ "); the intercept listener serves TCP over IPv4 or IPv6 only";
		}
		int[] accepting = { 0 };
		if (!option(fd, LibC.SO_ACCEPTCONN, accepting)) {
			return "cannot be read with getsockopt(SO_ACCEPTCONN): errno " + LibC.errno();
		}
		if (accepting[0] == 0) {
			return "is a TCP socket that is not listening (SO_ACCEPTCONN is 0)";
		}
		return null;
	}

	private static boolean option(int fd, int name, int[] value) {
		return LibC.getsockopt(fd, LibC.SOL_SOCKET, name, value, new int[] { 4 }) != -1;
	}

	/** Marks a descriptor close-on-exec; false if it is not open. */
	static boolean setCloseOnExec(int fd) {
		int flags = LibC.fcntl(fd, LibC.F_GETFD, 0);
		return flags != -1 && LibC.fcntl(fd, LibC.F_SETFD, flags | LibC.FD_CLOEXEC) != -1;
	}

	private static boolean setNonBlocking(int fd) {
		int flags = LibC.fcntl(fd, LibC.F_GETFL, 0);
		return flags != -1 && LibC.fcntl(fd, LibC.F_SETFL, flags | LibC.O_NONBLOCK) != -1;
	}

}
