package dev.vconn.internal.handoff;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

/**
 * The running instance's side: serves the handoff socket on a thread of its own and hands the
 * listening sockets to the first trusted successor that asks. Until the successor says it serves,
 * nothing changes here: a successor that is refused, sends nonsense, dies or falls silent leaves
 * this instance serving and waiting for the next one. Once it serves, this instance stops
 * accepting (the sockets stay open, so connections wait in the shared backlog, never refused),
 * ends the exchange, and calls {@link Source#handedOver()}.
 */
public final class HandoffOffer implements AutoCloseable {

	private static final System.Logger logger = System.getLogger(HandoffOffer.class.getName());

	/** How often the serving thread looks whether it was closed while no successor calls. */
	private static final int ACCEPT_POLL_MILLIS = 100;

	/** What the running instance hands over, and how it lets go. */
	public interface Source {

		/** The listening sockets to hand over; they stay the source's (the successor gets copies). */
		int[] listeningFds();

		/** Stops accepting on the listening sockets without closing them. */
		void pauseAccepting();

		/** Accepts again after a takeover that failed once accepting was paused. */
		void resumeAccepting();

		/**
		 * Starts handing the live client connections and tunnels over: each goes to {@code sink}, on
		 * any thread, as soon as it can be sent (a connection with no transaction in flight, a tunnel
		 * once it stopped moving bytes).
		 */
		void handOffConnections(Consumer<LiveConnection> sink);

		/** How many client connections and tunnels are still served here. */
		int remainingConnections();

		/** The successor serves: shut down. Called once, on the handoff thread. */
		void handedOver();

	}

	/**
	 * A client connection or a tunnel that stopped reading so that it can be sent; then exactly one
	 * of {@link #handedOff()} and {@link #resume()} is called.
	 */
	public interface LiveConnection {

		/** Whether it is a connection-mode tunnel (two sockets) rather than a client connection. */
		boolean isTunnel();

		/**
		 * Its descriptors, still the source's: a client connection's, or a tunnel's client then origin
		 * socket.
		 */
		int[] fds();

		/**
		 * The bytes read and not yet delivered, one run per descriptor: a connection's requests read
		 * and not yet served; a tunnel's bytes owed to the client, then to the origin.
		 */
		byte[][] pending();

		/** The successor serves it: close this copy without a word to the peers. */
		void handedOff();

		/** The successor did not take it: serve it here again, the pending bytes first. */
		void resume();

	}

	private final Path path;

	private final long drainNanos;

	private final HandoffSocket server;

	private final @Nullable Object inode;

	private final Set<Integer> allowedUids;

	private final long timeoutMillis;

	private final Source source;

	private final HandoffEvents events;

	private final Thread thread;

	private volatile boolean closed;

	private volatile boolean handedOver;

	private HandoffOffer(Path path, Set<Integer> allowedUids, Duration timeout, Duration drain, Source source,
			HandoffEvents events) {
		this.path = path;
		this.drainNanos = drain.toNanos();
		this.server = HandoffSocket.listen(path);
		this.inode = inode(path);
		this.allowedUids = Set.copyOf(allowedUids);
		this.timeoutMillis = Math.max(1, timeout.toMillis());
		this.source = source;
		this.events = events;
		this.thread = new Thread(this::serve, "vconn-handoff");
		this.thread.setDaemon(true);
	}

	/**
	 * Starts serving the handoff socket at {@code path}, replacing a socket file left there.
	 * @param timeout bounds each step of the exchange
	 * @param drain how long live connections may take to become idle and be handed over; those
	 * still busy then stay here and end with this instance
	 * @throws HandoffException if the socket cannot be made there
	 */
	public static HandoffOffer start(Path path, Set<Integer> allowedUids, Duration timeout, Duration drain,
			Source source, HandoffEvents events) {
		HandoffOffer offer = new HandoffOffer(path, allowedUids, timeout, drain, source, events);
		offer.thread.start();
		logger.log(System.Logger.Level.INFO, "VConn handoff socket serves successors at {0}", path);
		return offer;
	}

	/** Whether a successor took the listening sockets over. */
	public boolean isHandedOver() {
		return this.handedOver;
	}

	public Path path() {
		return this.path;
	}

	private void serve() {
		while (!this.closed && !this.handedOver) {
			HandoffSocket peer;
			try {
				peer = this.server.accept(ACCEPT_POLL_MILLIS);
			}
			catch (RuntimeException ex) {
				logger.log(System.Logger.Level.WARNING, "VConn handoff socket stops serving", ex);
				return;
			}
			if (peer != null) {
				try (HandoffPeer successor = new HandoffPeer(peer, "successor", this.timeoutMillis)) {
					handOver(successor);
				}
				catch (RuntimeException ex) {
					logger.log(System.Logger.Level.WARNING, "VConn handoff to a successor failed; this instance keeps serving", ex);
				}
			}
		}
		this.server.close();
		if (this.handedOver) {
			this.source.handedOver();
		}
	}

	private void handOver(HandoffPeer successor) {
		boolean paused = false;
		try {
			successor.checkUid(this.allowedUids);
			byte[] hello = successor.expect(Frame.HELLO).frame();
			if (!Frame.PROTOCOL.equals(Frame.text(hello))) {
				throw new HandoffException(HandoffReason.MALFORMED, "the successor speaks " + Frame.text(hello)
						+ ", not " + Frame.PROTOCOL);
			}
			int[] fds = this.source.listeningFds();
			for (int fd : fds) {
				successor.send(Frame.LISTENER, Frame.LISTENER.encode("vconn-listener"), fd);
			}
			successor.send(Frame.LISTENERS_END, Frame.LISTENERS_END.encode(fds.length));
			successor.expect(Frame.SERVING);
			this.source.pauseAccepting();
			paused = true;
			handOverConnections(successor);
			successor.send(Frame.DONE, Frame.DONE.encode());
			this.handedOver = true;
			for (int i = 0; i < fds.length; i++) {
				this.events.counted(false, "listener", "success", HandoffReason.NONE);
			}
			logger.log(System.Logger.Level.INFO, "VConn handed its {0} listening socket(s) to a successor; this "
					+ "instance no longer accepts and shuts down", fds.length);
		}
		catch (HandoffException ex) {
			if (paused) {
				this.source.resumeAccepting();
			}
			if (ex.reason() != HandoffReason.REFUSED_BY_PEER) {
				successor.refuse(ex);
			}
			this.events.counted(false, "listener", outcome(ex.reason()), ex.reason());
			throw ex;
		}
	}

	/**
	 * Sends each live connection as it becomes idle and each tunnel as it stops, until none is left
	 * or the drain time is up; whatever is not sent by then is served here again.
	 */
	private void handOverConnections(HandoffPeer successor) {
		BlockingQueue<LiveConnection> ready = new LinkedBlockingQueue<>();
		Object lock = new Object();
		boolean[] open = { true };
		this.source.handOffConnections((connection) -> {
			synchronized (lock) {
				if (open[0]) {
					ready.add(connection);
					return;
				}
			}
			connection.resume();
		});
		long deadline = System.nanoTime() + this.drainNanos;
		try {
			while (this.source.remainingConnections() > 0 && System.nanoTime() - deadline < 0) {
				LiveConnection connection = ready.poll(ACCEPT_POLL_MILLIS, TimeUnit.MILLISECONDS);
				if (connection != null) {
					send(successor, connection);
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new HandoffException(HandoffReason.INTERRUPTED, "interrupted while handing connections over");
		}
		finally {
			synchronized (lock) {
				open[0] = false;
			}
			for (LiveConnection left = ready.poll(); left != null; left = ready.poll()) {
				left.resume();
			}
		}
	}

	private void send(HandoffPeer successor, LiveConnection connection) {
		String kind = connection.isTunnel() ? "tunnel" : "connection";
		Frame frame = connection.isTunnel() ? Frame.TUNNEL : Frame.CONNECTION;
		byte[][] pending = connection.pending();
		int[] lengths = new int[pending.length];
		long total = 0;
		for (int i = 0; i < pending.length; i++) {
			lengths[i] = pending[i].length;
			total += lengths[i];
		}
		if (total > Frame.MAX_PENDING) {
			logger.log(System.Logger.Level.WARNING, "VConn keeps a {0} with {1} bytes in flight, more than a takeover "
					+ "carries", kind, total);
			connection.resume();
			this.events.counted(false, kind, "failed", HandoffReason.ADOPTION);
			return;
		}
		boolean adopted;
		try {
			successor.send(frame, frame.encode(lengths), connection.fds());
			successor.sendBytes(pending);
			adopted = Frame.integer(successor.expect(Frame.ADOPTED).frame()) == 1;
		}
		catch (HandoffException ex) {
			connection.resume();
			this.events.counted(false, kind, "failed", ex.reason());
			throw ex;
		}
		if (adopted) {
			connection.handedOff();
			this.events.counted(false, kind, "success", HandoffReason.NONE);
		}
		else {
			connection.resume();
			this.events.counted(false, kind, "failed", HandoffReason.ADOPTION);
		}
	}

	static String outcome(HandoffReason reason) {
		return (reason == HandoffReason.PEER_UID || reason == HandoffReason.REFUSED_BY_PEER) ? "refused" : "failed";
	}

	/** Stops serving the handoff socket; removes its file unless a successor put its own there. */
	@Override
	public void close() {
		this.closed = true;
		if (Thread.currentThread() != this.thread) {
			try {
				this.thread.join(this.timeoutMillis + 1000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		if (!this.handedOver && this.inode != null && this.inode.equals(inode(this.path))) {
			HandoffSocket.unlink(this.path);
		}
	}

	private static @Nullable Object inode(Path path) {
		try {
			return Files.getAttribute(path, "unix:ino");
		}
		catch (Exception ex) {
			return null;
		}
	}

}
