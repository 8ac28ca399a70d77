package dev.vconn.intercept;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

import dev.vconn.internal.Durations;
import dev.vconn.internal.handoff.HandoffEvents;
import dev.vconn.internal.handoff.HandoffException;
import dev.vconn.internal.handoff.HandoffOffer;
import dev.vconn.internal.handoff.HandoffReason;
import dev.vconn.internal.handoff.HandoffReceiver;
import dev.vconn.internal.http.InterceptServer;
import dev.vconn.internal.http.TransactionServer;
import dev.vconn.internal.net.ListeningChannels;
import org.jspecify.annotations.Nullable;

/**
 * Hands an {@link InterceptListener}'s listening socket from a running process (A) to its
 * successor (B) over a Unix domain socket, so a restart never refuses a connection: B receives
 * A's socket by {@code SCM_RIGHTS} and accepts on it before A stops, and clients that connect
 * meanwhile wait in the socket's backlog, which both share.
 *
 * <p><b>Contract:</b> A calls {@link Builder#offer} with its running listener: a thread of the
 * handoff serves the socket at {@link Builder#path}. B calls {@link Builder#takeOver} before it
 * binds anything: if an instance serves the path, B starts its listener on the received socket,
 * tells A, and A stops accepting (its socket stays open until A closes its listener) and runs its
 * {@code onHandedOver} callback, typically to shut down. B then calls {@link Builder#offer} itself,
 * for the next restart. Both sides check the peer's uid ({@code SO_PEERCRED}): this process's own
 * uid, or one of {@link Builder#allowedUids}. A takeover that is refused, malformed, or interrupted
 * (B dies, or either side is silent for longer than {@link Builder#timeout}) closes every descriptor
 * B received, leaves A accepting, and is reported to the {@link Observer}.
 *
 * <p><b>Live connections:</b> once B serves, each client connection of A's per-transaction
 * listener is handed over as soon as it has no transaction in flight (idle keep-alive connections
 * at once, busy ones when their response has reached the kernel), with no byte lost: A stops
 * reading it, and requests A had already read and not served (pipelined behind the one in flight)
 * go with it, whole, and B serves them first, before anything it reads from the socket. A request
 * whose body A is still reading is answered by A, and the connection goes after it. A connection
 * is served by exactly one of the two at any moment: A closes its copy only once B says it serves
 * it, and serves it again, with everything it had read, if B does not.
 *
 * <p><b>Tunnels:</b> each tunnel of A's connection-mode listener (client to origin) is handed
 * over with both its sockets: A stops reading both sides, lets the bytes it already wrote to each
 * socket reach the kernel, and sends the bytes it read and did not deliver yet (in its buffers and,
 * when splicing, its pipes) with the two descriptors; B writes those first, then moves bytes both
 * ways. A long-lived stream goes on without a byte lost, duplicated or reordered. If B refuses or
 * dies, A moves the tunnel's bytes again, those in flight first. A peer that does not read keeps
 * A's last bytes out of the kernel and the tunnel paused: tunnels still paused, or half-closed,
 * when {@link Builder#drain} ends stay with A and end with it, as do connections still busy then,
 * and connections A is still reading the first request head of. A's copy of a handed-over tunnel
 * ends as {@link dev.vconn.TunnelResult.End#HANDED_OVER}. Connections handed to a connection
 * intercept are not handed over.
 *
 * <p><b>Threads:</b> {@link Builder#takeOver} blocks the caller for the exchange (bounded by the
 * timeout per step). The offering side runs on a daemon thread named {@code vconn-handoff}, which
 * also calls the observer and {@code onHandedOver}. {@link #state()} may be read from any thread.
 *
 * <p><b>Ownership:</b> A's listening socket stays its listener's; B receives a copy that belongs to
 * B's listener from the moment it is started. The handoff socket file belongs to the offering
 * instance: {@link #close()} removes it unless a successor has already replaced it.
 *
 * <p><b>Limits:</b> Linux on 64-bit x86 or ARM, and the epoll transport on B (the received socket
 * is adopted as an epoll channel); elsewhere {@link Builder#takeOver} and {@link Builder#offer}
 * throw {@link VConnHandoffException}.
 *
 * @since 0.1.0
 */
public final class VConnHandoff implements AutoCloseable {

	/** Where a handoff stands, as the {@code vconn} actuator endpoint shows it. */
	public enum State {

		/** Serving the handoff socket: a successor may take over. */
		OFFERING,

		/** A successor serves the listening socket; this process no longer accepts. */
		HANDED_OVER,

		/** The handoff socket is closed without a takeover. */
		CLOSED

	}

	/** Whether this process received or sent, the {@code direction} tag. */
	public enum Direction {

		/** Received from the running instance. */
		IN,

		/** Sent to a successor. */
		OUT

	}

	/** What was handed over, the {@code kind} tag. */
	public enum Kind {

		/** A listening socket. */
		LISTENER,

		/** A client connection of the per-transaction listener. */
		CONNECTION,

		/** A connection-mode tunnel with both its sockets. */
		TUNNEL

	}

	/** How a handoff ended, the {@code outcome} tag. */
	public enum Outcome {

		/** The receiver serves it; the sender let it go. */
		SUCCESS,

		/** A peer of a uid that is not trusted, or a peer that refused. */
		REFUSED,

		/** Malformed, interrupted, or the receiver could not serve it; the sender keeps it. */
		FAILED

	}

	/**
	 * Told of each handoff, for metrics. Methods are called on the thread that ran the exchange
	 * ({@code vconn-handoff} on the offering side, the caller of {@link Builder#takeOver} on the
	 * receiving side) and must not block.
	 */
	public interface Observer {

		/**
		 * One socket handed over or not; a failed attempt is counted once even when nothing was sent.
		 * @param direction {@link Direction#IN} for the receiver
		 * @param kind what was handed over
		 * @param outcome how it ended
		 * @param reason {@code none} on success, else one of {@code peer-uid}, {@code malformed},
		 * {@code interrupted}, {@code adoption}, {@code refused-by-peer}, {@code io}
		 */
		default void handoff(Direction direction, Kind kind, Outcome outcome, String reason) {
		}

	}

	private final HandoffOffer offer;

	private volatile boolean closed;

	private VConnHandoff(HandoffOffer offer) {
		this.offer = offer;
	}

	/**
	 * Configures a handoff through the Unix domain socket at {@code path}.
	 * @param path the socket's path; its directory must exist and belong to this process's user
	 * @return a builder
	 */
	public static Builder builder(Path path) {
		return new Builder(path);
	}

	/**
	 * Where this handoff stands.
	 * @return the state
	 */
	public State state() {
		return this.offer.isHandedOver() ? State.HANDED_OVER : (this.closed ? State.CLOSED : State.OFFERING);
	}

	/**
	 * The handoff socket's path.
	 * @return the path
	 */
	public Path path() {
		return this.offer.path();
	}

	/**
	 * Stops serving the handoff socket and removes its file unless a successor replaced it.
	 * Idempotent; blocks until a takeover in progress ends (at most the timeout).
	 */
	@Override
	public void close() {
		this.closed = true;
		this.offer.close();
	}

	@Override
	public String toString() {
		return "VConnHandoff[" + path() + ", " + state() + "]";
	}

	/** Configures a {@link VConnHandoff}. */
	public static final class Builder {

		private final Path path;

		private Set<Integer> allowedUids = Set.of();

		private Duration timeout = Duration.ofSeconds(10);

		private Duration drain = Duration.ofSeconds(30);

		private Observer observer = new Observer() {
		};

		private Builder(Path path) {
			this.path = Objects.requireNonNull(path, "path");
		}

		/**
		 * Trusts peers of these uids as well as this process's own.
		 * @param uids the uids; empty (the default) trusts this process's uid only
		 * @return this builder
		 */
		public Builder allowedUids(Collection<Integer> uids) {
			this.allowedUids = Set.copyOf(uids);
			return this;
		}

		/**
		 * Bounds each step of a takeover: a peer silent for longer is given up on.
		 * @param timeout positive; 10 seconds by default
		 * @return this builder
		 */
		public Builder timeout(Duration timeout) {
			this.timeout = Durations.requirePositive(timeout, "timeout");
			return this;
		}

		/**
		 * Bounds how long the offering side waits for its live connections to finish their
		 * transaction in flight, and its tunnels to pause, and be handed over; those not handed
		 * over by then stay with it and end when it shuts down.
		 * @param drain positive; 30 seconds by default (use the shutdown timeout)
		 * @return this builder
		 */
		public Builder drain(Duration drain) {
			this.drain = Durations.requirePositive(drain, "drain");
			return this;
		}

		/**
		 * Tells {@code observer} of each handoff.
		 * @param observer the observer
		 * @return this builder
		 */
		public Builder observer(Observer observer) {
			this.observer = Objects.requireNonNull(observer, "observer");
			return this;
		}

		/**
		 * Takes the listening sockets over from the instance serving {@link #path}, if any, and starts
		 * {@code listener} on them instead of binding. Blocks for the exchange.
		 * @param listener the successor's listener, configured but not started; its address and
		 * port, and its {@code inherit} setting, are not used when sockets are taken over
		 * @return the started listener, or {@code null} when no instance serves the path (start
		 * {@code listener} yourself then)
		 * @throws VConnHandoffException when an instance serves the path but the takeover failed
		 * (refused, malformed, interrupted, or the socket could not be served on); that instance
		 * keeps serving, and nothing received is left open
		 */
		public @Nullable InterceptListener takeOver(InterceptListener.Builder listener) {
			Objects.requireNonNull(listener, "listener");
			InterceptListener[] started = new InterceptListener[1];
			try {
				boolean found = HandoffReceiver.takeOver(this.path, this.allowedUids, this.timeout,
						new HandoffReceiver.Target() {
							@Override
							public void serve(int[] fds) {
								started[0] = listener.handedOver(fds).start();
							}

							@Override
							public void serveConnection(int fd, byte[] unserved) {
								if (!(started[0].server() instanceof TransactionServer server)) {
									throw new IllegalStateException("a connection-mode listener takes no connections over");
								}
								server.serveHandedOver(fd, unserved);
							}

							@Override
							public void serveTunnel(int clientFd, int originFd, byte[] toClient, byte[] toOrigin) {
								if (!(started[0].server() instanceof InterceptServer server)) {
									throw new IllegalStateException("a per-transaction listener takes no tunnels over");
								}
								server.serveHandedOverTunnel(clientFd, originFd, toClient, toOrigin);
							}
						}, events());
				return found ? started[0] : null;
			}
			catch (HandoffException ex) {
				throw new VConnHandoffException(ex.getMessage(), ex.reason().tag(), ex);
			}
		}

		/**
		 * Serves the handoff socket at {@link #path} (replacing a socket file left there) so that a
		 * successor can take {@code listener}'s socket over.
		 * @param listener the running listener
		 * @param onHandedOver called once, on the {@code vconn-handoff} thread, when a successor
		 * serves and {@code listener} no longer accepts; typically closes the application
		 * @return the running handoff, to close when the process stops
		 * @throws VConnHandoffException if the socket cannot be served at the path
		 */
		public VConnHandoff offer(InterceptListener listener, Runnable onHandedOver) {
			Objects.requireNonNull(listener, "listener");
			Objects.requireNonNull(onHandedOver, "onHandedOver");
			try {
				return new VConnHandoff(HandoffOffer.start(this.path, this.allowedUids, this.timeout, this.drain,
						new ListenerSource(listener, onHandedOver), events()));
			}
			catch (HandoffException ex) {
				throw new VConnHandoffException(ex.getMessage(), ex.reason().tag(), ex);
			}
		}

		private HandoffEvents events() {
			Observer target = this.observer;
			return (incoming, kind, outcome, reason) -> target.handoff(incoming ? Direction.IN : Direction.OUT,
					Kind.valueOf(kind.toUpperCase(Locale.ROOT)), Outcome.valueOf(outcome.toUpperCase(Locale.ROOT)),
					reason.tag());
		}

	}

	/** A running listener as the offering side of a takeover sees it. */
	private static final class ListenerSource implements HandoffOffer.Source {

		private final InterceptListener listener;

		private final Runnable onHandedOver;

		ListenerSource(InterceptListener listener, Runnable onHandedOver) {
			this.listener = listener;
			this.onHandedOver = onHandedOver;
		}

		@Override
		public int[] listeningFds() {
			ListeningChannels channels = this.listener.server().listening();
			if (channels == null) {
				throw new HandoffException(HandoffReason.ADOPTION, "the listener is not started");
			}
			try {
				return channels.fds();
			}
			catch (IllegalStateException ex) {
				throw new HandoffException(HandoffReason.ADOPTION, ex.getMessage());
			}
		}

		@Override
		public void pauseAccepting() {
			accepting(false);
		}

		@Override
		public void resumeAccepting() {
			accepting(true);
		}

		private void accepting(boolean accept) {
			ListeningChannels channels = this.listener.server().listening();
			if (channels != null) {
				channels.setAccepting(accept);
			}
		}

		@Override
		public void handOffConnections(Consumer<HandoffOffer.LiveConnection> sink) {
			if (this.listener.server() instanceof TransactionServer server) {
				server.handOffConnections(sink);
			}
			else if (this.listener.server() instanceof InterceptServer server) {
				server.handOffTunnels(sink);
			}
		}

		@Override
		public int remainingConnections() {
			if (this.listener.server() instanceof TransactionServer server) {
				return server.clientCount();
			}
			return (this.listener.server() instanceof InterceptServer server) ? server.tunnelCount() : 0;
		}

		@Override
		public void handedOver() {
			this.onHandedOver.run();
		}

	}

}
