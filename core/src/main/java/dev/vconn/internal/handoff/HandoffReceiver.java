package dev.vconn.internal.handoff;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;


/**
 * The successor's side: asks the instance serving the handoff socket for its listening sockets,
 * serves on them, and tells it so. Whatever fails before serving closes every descriptor received
 * and leaves the running instance as it was.
 */
public final class HandoffReceiver {

	private static final System.Logger logger = System.getLogger(HandoffReceiver.class.getName());

	/** How long the successor waits for the next connection: the running instance bounds its own wait. */
	private static final long CONNECTIONS_TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(10);

	/** Serves on received listening sockets and connections. */
	public interface Target {

		/**
		 * Serves on the listening sockets; on return they are the target's. On a throw they stay
		 * the caller's, which closes them.
		 * @param fds the received descriptors, close-on-exec
		 */
		void serve(int[] fds);

		/**
		 * Serves a received client connection, its unserved request bytes before anything it reads
		 * from the socket; on return it is the target's, on a throw it stays the caller's, which
		 * closes it.
		 * @param fd the received descriptor, close-on-exec
		 * @param unserved requests the running instance read and did not serve, possibly empty
		 */
		void serveConnection(int fd, byte[] unserved);

		/**
		 * Serves a received connection-mode tunnel: writes the bytes owed to each side first, then
		 * moves bytes both ways. On return both descriptors are the target's, on a throw they stay
		 * the caller's, which closes them.
		 * @param clientFd the client's socket, close-on-exec
		 * @param originFd the origin's socket, close-on-exec
		 * @param toClient bytes read from the origin and not yet delivered to the client
		 * @param toOrigin bytes read from the client and not yet delivered to the origin
		 */
		default void serveTunnel(int clientFd, int originFd, byte[] toClient, byte[] toOrigin) {
			throw new IllegalStateException("this listener takes no tunnels over");
		}

	}

	private HandoffReceiver() {
	}

	/**
	 * Takes the listening sockets over from the instance at {@code path}. Returns once the target
	 * serves on them; the running instance's live connections follow on a daemon thread
	 * ({@code vconn-handoff-in}) until it says it is done.
	 * @return {@code true} if the target serves on them; {@code false} when no instance serves the
	 * path (nothing is there, or a socket file nobody listens on)
	 * @throws HandoffException when an instance is there but the takeover failed; nothing received
	 * is left open, and the running instance keeps serving
	 */
	public static boolean takeOver(Path path, Set<Integer> allowedUids, Duration timeout, Target target,
			HandoffEvents events) {
		HandoffSocket socket = HandoffSocket.connect(path);
		if (socket == null) {
			return false;
		}
		int[] fds = new int[0];
		HandoffPeer running = new HandoffPeer(socket, "running instance", Math.max(1, timeout.toMillis()));
		try {
			running.checkUid(allowedUids);
			running.send(Frame.HELLO, Frame.HELLO.encode(Frame.PROTOCOL));
			fds = receiveListeners(running);
			try {
				target.serve(fds);
			}
			catch (RuntimeException ex) {
				throw new HandoffException(HandoffReason.ADOPTION, "cannot serve on the received listening "
						+ "sockets: " + ex.getMessage(), ex);
			}
		}
		catch (HandoffException ex) {
			HandoffSocket.closeAll(fds);
			if (ex.reason() != HandoffReason.REFUSED_BY_PEER) {
				running.refuse(ex);
			}
			running.close();
			for (int i = 0; i < Math.max(1, fds.length); i++) {
				events.counted(true, "listener", HandoffOffer.outcome(ex.reason()), ex.reason());
			}
			throw ex;
		}
		for (int i = 0; i < fds.length; i++) {
			events.counted(true, "listener", "success", HandoffReason.NONE);
		}
		logger.log(System.Logger.Level.INFO, "VConn took over {0} listening socket(s) through {1}", fds.length, path);
		Thread connections = new Thread(() -> receiveConnections(running, target, events), "vconn-handoff-in");
		connections.setDaemon(true);
		connections.start();
		return true;
	}

	/** Says it serves, then serves each connection the running instance sends, until it is done. */
	private static void receiveConnections(HandoffPeer running, Target target, HandoffEvents events) {
		try (running) {
			running.send(Frame.SERVING, Frame.SERVING.encode());
			running.timeout(CONNECTIONS_TIMEOUT_MILLIS);
			int served = 0;
			while (true) {
				HandoffSocket.Received received = running.expect(Frame.CONNECTION, Frame.TUNNEL, Frame.DONE);
				Frame frame = Frame.of(received.frame());
				if (frame == Frame.DONE) {
					logger.log(System.Logger.Level.INFO, "VConn took over {0} live connection(s) and tunnel(s); the "
							+ "running instance is done", served);
					return;
				}
				int[] fds = received.fds();
				String kind = (frame == Frame.TUNNEL) ? "tunnel" : "connection";
				byte[][] pending = new byte[fds.length][];
				try {
					int[] lengths = Frame.integers(received.frame(), fds.length);
					for (int i = 0; i < fds.length; i++) {
						pending[i] = running.receiveBytes(lengths[i]);
					}
				}
				catch (RuntimeException ex) {
					HandoffSocket.closeAll(fds);
					throw ex;
				}
				boolean adopted;
				try {
					if (frame == Frame.TUNNEL) {
						target.serveTunnel(fds[0], fds[1], pending[0], pending[1]);
					}
					else {
						target.serveConnection(fds[0], pending[0]);
					}
					adopted = true;
					served++;
					events.counted(true, kind, "success", HandoffReason.NONE);
				}
				catch (RuntimeException ex) {
					HandoffSocket.closeAll(fds);
					adopted = false;
					logger.log(System.Logger.Level.WARNING, "VConn cannot serve a handed-over " + kind + "; the running "
							+ "instance keeps it: " + ex.getMessage());
					events.counted(true, kind, "failed", HandoffReason.ADOPTION);
				}
				running.send(Frame.ADOPTED, Frame.ADOPTED.encode(adopted ? 1 : 0));
			}
		}
		catch (HandoffException ex) {
			// the listening sockets are served here whatever happens to the rest of the exchange
			logger.log(System.Logger.Level.WARNING, "VConn serves the handed-over listening sockets; the running "
					+ "instance did not finish handing over its connections: " + ex.getMessage());
		}
	}

	private static int[] receiveListeners(HandoffPeer running) {
		int[] fds = new int[0];
		try {
			while (true) {
				HandoffSocket.Received received = running.expect(Frame.LISTENER, Frame.LISTENERS_END);
				if (Frame.of(received.frame()) == Frame.LISTENERS_END) {
					int count = Frame.integer(received.frame());
					if (count != fds.length || count == 0) {
						throw new HandoffException(HandoffReason.MALFORMED, "the running instance announced " + count
								+ " listening sockets and sent " + fds.length);
					}
					return fds;
				}
				fds = Arrays.copyOf(fds, fds.length + 1);
				fds[fds.length - 1] = received.fds()[0];
			}
		}
		catch (RuntimeException ex) {
			HandoffSocket.closeAll(fds);
			throw ex;
		}
	}

}
