package dev.vconn.intercept;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.vconn.Transport;
import dev.vconn.VConnRuntime;
import dev.vconn.internal.Durations;
import dev.vconn.internal.http.HttpLimits;
import dev.vconn.internal.http.InterceptServer;
import dev.vconn.internal.http.ListenerServer;
import dev.vconn.internal.http.TransactionServer;
import dev.vconn.internal.net.ActivationEnvironment;
import dev.vconn.internal.net.ListenerSocket;
import dev.vconn.internal.net.SocketActivation;
import dev.vconn.internal.runtime.RuntimeAccess;
import dev.vconn.internal.runtime.RuntimeCore;
import org.jspecify.annotations.Nullable;

/**
 * VConn's own traffic listener: accepts HTTP/1.1 clients, reads request heads with Netty's HTTP
 * decoder, and offers each request as a {@link Transaction} to the hooks of an
 * {@link InterceptHookRegistry}, in order.
 *
 * <p><b>Per-transaction mode</b> (the default): every request on a keep-alive connection is a
 * transaction. A hook may serve it with {@link Transaction#serverIntercept} (the continuation gets
 * one end of an in-memory {@link dev.vconn.VConnPair}, reads the request and writes the response,
 * which the listener relays), or take the whole connection with {@link Transaction#intercept}.
 * Unclaimed requests go to the origin over pooled keep-alive connections, with hop-by-hop headers
 * removed and {@code Via} / {@code X-Forwarded-For} added. Requests are handled one at a time, in
 * order, pipelined or not; {@code Expect: 100-continue}, {@code HEAD} and {@code Connection: close}
 * are honoured.
 *
 * <p><b>Connection mode</b> ({@link Builder#perTransaction(boolean) perTransaction(false)}): hooks
 * see only the first request of a connection; a hook that claims it with
 * {@link Transaction#intercept} gets the connection as a VConn, otherwise the whole connection is
 * tunnelled to the origin, head included, unchanged, zero-copy where possible.
 *
 * <p><b>Validation:</b> every request head is checked before a hook or a next hop sees it (RFC
 * 9112): a malformed one, one without exactly one {@code Host}, with a bare CR or LF, obs-fold, a
 * tab or control character in the request line, a header name that only looks like
 * {@code Content-Length} or {@code Transfer-Encoding}, several {@code Content-Length}s, or a
 * transfer coding other than a single {@code chunked} gets 400 (501 for an unknown coding, 505 for
 * a version other than HTTP/1.0 and HTTP/1.1).
 *
 * <p><b>Limits:</b> a request line longer than {@link Builder#maxRequestLine} gets 414, a head
 * larger than {@link Builder#maxHeaderSize} 431, one not complete within
 * {@link Builder#headerTimeout} 408, a client beyond the runtime's connection limit 503, an
 * unreachable origin 502, and a next hop (origin or server intercept) that does not start its
 * response within {@link Builder#originTimeout} 504. Every error closes the connection with
 * {@code Connection: close}, and no response carries internal details. A hook that throws gives 500.
 * A keep-alive connection with no request for {@link Builder#idleTimeout} is closed.
 *
 * <p><b>Closing:</b> every response after which the listener closes the connection says
 * {@code Connection: close}, and the close is graceful: the output is shut down after the response
 * and what the client still sends is read and dropped briefly, so the response is never reset
 * away. An HTTP/1.0 client that asked for keep-alive gets {@code Connection: keep-alive} while its
 * connection stays open.
 *
 * <p><b>Observers:</b> what the listener does with each request (the hook that claimed it, how
 * it was finished, the clients it rejected) is reported to the {@link InterceptObserver}s added
 * with {@link Builder#addObserver}; the connections themselves are reported to the runtime's
 * {@link dev.vconn.VConnListener}s.
 *
 * <p><b>Connections</b> count toward the runtime's connection limit from accept. Once handed to a
 * continuation or tunnelled, they are VConns of the runtime (source
 * {@link dev.vconn.AdoptionSource#INTERCEPT}); the origin side of a tunnel is a connected VConn.
 *
 * <p><b>Socket activation:</b> by default ({@link ListenerInheritance#AUTO}) a listener started in a
 * process that systemd (or {@code systemd-socket-activate}) passed a listening socket serves on
 * that socket instead of binding {@link Builder#address} and {@link Builder#port}; see
 * {@link Builder#inherit(ListenerInheritance)}.
 *
 * <p><b>Lifecycle:</b> {@link #close()} stops accepting and closes connections whose head is still
 * being read; connections already handed over or tunnelled belong to the runtime, whose own
 * graceful shutdown lets them finish. Close the listener before the runtime.
 *
 * @since 0.1.0
 */
public final class InterceptListener implements AutoCloseable {

	private final ListenerServer server;

	private final InetSocketAddress address;

	private final boolean inherited;

	private InterceptListener(ListenerServer server, boolean inherited) {
		this.server = server;
		this.address = server.start();
		this.inherited = inherited;
	}

	/**
	 * Configures a listener on a runtime, with the hooks of a registry.
	 * @param runtime the runtime whose event threads serve the listener
	 * @param hooks the hooks to offer transactions to; later changes to the registry apply to later transactions
	 * @return a builder with the defaults
	 */
	public static Builder builder(VConnRuntime runtime, InterceptHookRegistry hooks) {
		return new Builder(runtime, hooks);
	}

	/**
	 * The address the listener is bound to, with the actual port when port 0 was asked for.
	 * @return the bound address
	 */
	public InetSocketAddress address() {
		return this.address;
	}

	/**
	 * Whether the listener serves on a listening socket inherited through socket activation rather
	 * than one it bound.
	 * @return {@code true} if the socket was inherited
	 */
	public boolean isInherited() {
		return this.inherited;
	}

	/**
	 * The origin that unclaimed transactions are tunnelled to.
	 * @return the origin, or {@code null} if there is none (unclaimed transactions get 502)
	 */
	public @Nullable InetSocketAddress origin() {
		return this.server.origin();
	}

	/**
	 * Whether the listener accepts connections.
	 * @return {@code true} until {@link #close()}
	 */
	public boolean isRunning() {
		return this.server.isRunning();
	}

	/**
	 * Stops accepting and closes connections whose request head is still being read; an inherited
	 * listening socket is closed too (the parent process keeps its own copy). Idempotent;
	 * blocks until the listening socket is closed, so it must not run on an event thread.
	 */
	@Override
	public void close() {
		this.server.stop();
	}

	/** The server behind this listener, for a takeover to reach its listening channel. */
	ListenerServer server() {
		return this.server;
	}

	@Override
	public String toString() {
		return "InterceptListener[address=" + this.address + ", origin=" + origin() + ", inherited=" + this.inherited
				+ "]";
	}

	/** Configures an {@link InterceptListener}. */
	public static final class Builder {

		private final VConnRuntime runtime;

		private final InterceptHookRegistry hooks;

		private InetAddress address = InetAddress.getLoopbackAddress();

		private int port = 8081;

		private int maxHeaderSize = 8 * 1024;

		private int maxRequestLine = 4 * 1024;

		private Duration headerTimeout = Duration.ofSeconds(10);

		private Duration idleTimeout = Duration.ofSeconds(60);

		private Duration originTimeout = Duration.ofSeconds(60);

		private Duration originIdleTimeout = Duration.ofSeconds(30);

		private @Nullable InetSocketAddress origin;

		private boolean splice = true;

		private boolean socketPerLoop = true;

		private int @Nullable [] handedOver;

		private boolean perTransaction = true;

		private boolean forwardedHeaders = true;

		private final List<InterceptObserver> observers = new ArrayList<>();

		private ListenerInheritance inheritance = ListenerInheritance.AUTO;

		private ActivationEnvironment environment = ActivationEnvironment.process();

		private Builder(VConnRuntime runtime, InterceptHookRegistry hooks) {
			this.runtime = Objects.requireNonNull(runtime, "runtime");
			this.hooks = Objects.requireNonNull(hooks, "hooks");
		}

		/**
		 * The address to bind; default the loopback address (127.0.0.1).
		 * @param address the address
		 * @return this builder
		 */
		public Builder address(InetAddress address) {
			this.address = Objects.requireNonNull(address, "address");
			return this;
		}

		/**
		 * The port to bind; default 8081, 0 for any free port.
		 * @param port the port
		 * @return this builder
		 */
		public Builder port(int port) {
			if (port < 0 || port > 65535) {
				throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
			}
			this.port = port;
			return this;
		}

		/**
		 * The largest request head accepted: request line, header lines and every line end, the
		 * final empty line included; default 8 KiB. A larger head gets 431.
		 * @param bytes the limit, at least 256
		 * @return this builder
		 */
		public Builder maxHeaderSize(int bytes) {
			if (bytes < 256) {
				throw new IllegalArgumentException("maxHeaderSize must be at least 256 bytes, was " + bytes);
			}
			this.maxHeaderSize = bytes;
			return this;
		}

		/**
		 * The longest request line accepted, without its line end; default 4 KiB (Netty's own
		 * default, which leaves half of the default head size to the headers). A longer one gets 414;
		 * a request line within this limit but larger than {@link #maxHeaderSize} makes a head too
		 * large, 431.
		 * @param bytes the limit, at least 64
		 * @return this builder
		 */
		public Builder maxRequestLine(int bytes) {
			if (bytes < 64) {
				throw new IllegalArgumentException("maxRequestLine must be at least 64 bytes, was " + bytes);
			}
			this.maxRequestLine = bytes;
			return this;
		}

		/**
		 * How long a keep-alive client connection may wait for its next request before it is closed;
		 * default 60 seconds. In connection mode: how long a tunnel may move no byte in either
		 * direction, once the origin answered.
		 * @param timeout the timeout, positive
		 * @return this builder
		 */
		public Builder idleTimeout(Duration timeout) {
			this.idleTimeout = Durations.requirePositive(timeout, "idleTimeout");
			return this;
		}

		/**
		 * How long the next hop (the origin, or a server intercept) has to start its response after
		 * the last request byte it was given; default 60 seconds. Past it the client gets 504 and the
		 * connection closes; a server intercept's VConn is aborted with
		 * {@link dev.vconn.CloseKind#TIMEOUT}. In connection mode it applies to the origin's first byte.
		 * @param timeout the timeout, positive
		 * @return this builder
		 */
		public Builder originTimeout(Duration timeout) {
			this.originTimeout = Durations.requirePositive(timeout, "originTimeout");
			return this;
		}

		/**
		 * How long an idle pooled origin connection is kept open (per-transaction mode); default 30
		 * seconds.
		 * @param timeout the timeout, positive
		 * @return this builder
		 */
		public Builder originIdleTimeout(Duration timeout) {
			this.originIdleTimeout = Durations.requirePositive(timeout, "originIdleTimeout");
			return this;
		}

		/**
		 * How long a client has to send its whole request head; default 10 seconds.
		 * @param timeout the timeout, positive
		 * @return this builder
		 */
		public Builder headerTimeout(Duration timeout) {
			this.headerTimeout = Durations.requirePositive(timeout, "headerTimeout");
			return this;
		}

		/**
		 * Where unclaimed transactions go; default none (they get 502).
		 * @param origin a resolved address, or {@code null}
		 * @return this builder
		 */
		public Builder origin(@Nullable InetSocketAddress origin) {
			if (origin != null && origin.isUnresolved()) {
				throw new IllegalArgumentException("origin " + origin + " is unresolved");
			}
			this.origin = origin;
			return this;
		}

		/**
		 * Whether a listener that binds opens one listening socket per event loop, all on its address
		 * ({@code SO_REUSEPORT}; epoll with more than one event thread), so that each loop serves the
		 * connections it accepts; default {@code true}. With {@code false}, one socket's loop accepts
		 * every connection and hands them out to the others, which costs a wake-up of another thread
		 * for many new connections. Inherited sockets are served as passed. While the listener runs,
		 * another process of the same user that also sets {@code SO_REUSEPORT} could bind the same
		 * address and receive a share of the connections; turn this off where that must not happen.
		 * @param socketPerLoop {@code false} for one listening socket
		 * @return this builder
		 */
		public Builder socketPerLoop(boolean socketPerLoop) {
			this.socketPerLoop = socketPerLoop;
			return this;
		}

		/** Serves on listening sockets a takeover received instead of binding or inheriting. */
		Builder handedOver(int[] fds) {
			this.handedOver = fds.clone();
			return this;
		}

		/**
		 * Whether pass-through tunnels (connection mode) may use {@code splice(2)}; default {@code true}.
		 * @param splice {@code false} to always copy
		 * @return this builder
		 */
		public Builder splice(boolean splice) {
			this.splice = splice;
			return this;
		}

		/**
		 * Whether every request on a connection is a transaction of its own (the default), or only
		 * the first: then an unclaimed connection is tunnelled to the origin as a whole (zero-copy
		 * where possible) and hooks see only its first request; {@link Transaction#serverIntercept}
		 * needs per-transaction mode.
		 * @param perTransaction {@code false} for connection mode
		 * @return this builder
		 */
		public Builder perTransaction(boolean perTransaction) {
			this.perTransaction = perTransaction;
			return this;
		}

		/**
		 * Whether requests forwarded to the origin get {@code Via} and {@code X-Forwarded-For}
		 * headers (per-transaction mode); default {@code true}.
		 * @param forwardedHeaders {@code false} to forward requests without them
		 * @return this builder
		 */
		public Builder forwardedHeaders(boolean forwardedHeaders) {
			this.forwardedHeaders = forwardedHeaders;
			return this;
		}

		/**
		 * Adds an observer of the listener's intercepts, transactions and rejections. Observers are
		 * called in the order they were added; one that throws is logged and skipped.
		 * @param observer the observer
		 * @return this builder
		 */
		public Builder addObserver(InterceptObserver observer) {
			this.observers.add(Objects.requireNonNull(observer, "observer"));
			return this;
		}

		/**
		 * Whether to serve on a listening socket passed by the parent process through systemd's
		 * socket activation protocol instead of binding {@link #address} and {@link #port}; default
		 * {@link ListenerInheritance#AUTO}.
		 *
		 * <p><b>Contract:</b> at {@link #start()}, a socket is passed when {@code LISTEN_PID} is this
		 * process's id and {@code LISTEN_FDS} is at least 1. The listener takes the descriptor named
		 * {@code vconn-listener} in {@code LISTEN_FDNAMES}, else the first (fd 3), and checks that it
		 * is an open, listening ({@code SO_ACCEPTCONN}) TCP stream ({@code SO_TYPE}) socket. Every
		 * passed descriptor is then marked close-on-exec and the three variables are removed from
		 * the process environment with libc's {@code unsetenv}, so child processes inherit neither;
		 * {@link System#getenv()} keeps showing its start-up snapshot, but no later listener of this
		 * process inherits again. With {@link ListenerInheritance#NEVER} nothing is read or changed.
		 *
		 * <p><b>Transport:</b> only the epoll transport can adopt a listening descriptor. On NIO,
		 * {@code AUTO} logs a warning and binds, {@code REQUIRED} fails.
		 *
		 * <p><b>Ownership:</b> a descriptor that fails the checks is left open for the parent, and
		 * start fails. One that passes is set non-blocking and belongs to the listener from then on:
		 * {@link InterceptListener#close()}, or a start that fails later, closes it. The parent
		 * (systemd) keeps its own copy, so the port stays open across a restart of this process.
		 *
		 * <p><b>Threads:</b> the checks run on the thread calling {@link #start()}; the inherited
		 * socket is then served by the runtime's event threads like a bound one.
		 * @param inheritance whether to inherit
		 * @return this builder
		 */
		public Builder inherit(ListenerInheritance inheritance) {
			this.inheritance = Objects.requireNonNull(inheritance, "inheritance");
			return this;
		}

		/** Where the socket activation variables are read; the process environment unless a test says otherwise. */
		Builder activationEnvironment(ActivationEnvironment environment) {
			this.environment = Objects.requireNonNull(environment, "environment");
			return this;
		}

		/**
		 * Binds, or takes the inherited listening socket, and starts accepting.
		 * @return the running listener
		 * @throws IllegalStateException if the runtime is shut down
		 * @throws ListenerInheritanceException if a passed socket cannot be served on, or none is
		 * passed under {@link ListenerInheritance#REQUIRED}
		 * @throws RuntimeException if the address cannot be bound (for example, the port is in use)
		 */
		public InterceptListener start() {
			RuntimeCore core = RuntimeAccess.core(this.runtime);
			HttpLimits limits = new HttpLimits(this.maxRequestLine, this.maxHeaderSize, this.headerTimeout,
					this.idleTimeout, this.originTimeout, this.originIdleTimeout);
			InterceptObserver observer = InterceptObserver
				.composite(this.observers.stream().map(GuardedObserver::new).toList());
			InetSocketAddress bindAddress = new InetSocketAddress(this.address, this.port);
			boolean epoll = core.transport() == Transport.EPOLL;
			ListenerSocket socket = (this.handedOver != null)
					? SocketActivation.handedOver(this.handedOver, bindAddress, epoll)
					: SocketActivation.resolve(this.inheritance, this.environment, bindAddress, this.socketPerLoop, epoll);
			ListenerServer server = this.perTransaction
					? new TransactionServer(core, this.hooks, socket, limits, this.origin, this.forwardedHeaders, observer)
					: new InterceptServer(core, this.hooks, socket, limits, this.origin, this.splice, observer);
			return new InterceptListener(server, socket.isInherited());
		}

	}

}
