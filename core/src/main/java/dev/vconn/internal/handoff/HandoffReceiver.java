package dev.vconn.internal.handoff;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;


/**
 * The successor's side: asks the instance serving the handoff socket for its listening sockets,
 * serves on them, and tells it so. Whatever fails before serving closes every descriptor received
 * and leaves the running instance as it was.
 */
public final class HandoffReceiver {

	private static final System.Logger logger = System.getLogger(HandoffReceiver.class.getName());

	/** Starts serving on received listening sockets. */
	@FunctionalInterface
	public interface Target {

		/**
		 * Serves on the listening sockets; on return they are the target's. On a throw they stay
		 * the caller's, which closes them.
		 * @param fds the received descriptors, close-on-exec
		 */
		void serve(int[] fds);

	}

	private HandoffReceiver() {
	}

	/**
	 * Takes the listening sockets over from the instance at {@code path}.
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
		boolean serving = false;
		try (HandoffPeer running = new HandoffPeer(socket, "running instance", Math.max(1, timeout.toMillis()))) {
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
				serving = true;
				running.send(Frame.SERVING, Frame.SERVING.encode());
				running.expect(0, Frame.DONE);
			}
			catch (HandoffException ex) {
				if (!serving) {
					HandoffSocket.closeAll(fds);
					if (ex.reason() != HandoffReason.REFUSED_BY_PEER) {
						running.refuse(ex);
					}
					for (int i = 0; i < Math.max(1, fds.length); i++) {
						events.counted(true, "listener", HandoffOffer.outcome(ex.reason()), ex.reason());
					}
					throw ex;
				}
				// serving already: the running instance stopped accepting or is gone, either way
				// this one is the instance that accepts from now on
				logger.log(System.Logger.Level.WARNING, "VConn serves the handed-over listening sockets; the running "
						+ "instance did not confirm: " + ex.getMessage());
			}
		}
		for (int i = 0; i < fds.length; i++) {
			events.counted(true, "listener", "success", HandoffReason.NONE);
		}
		logger.log(System.Logger.Level.INFO, "VConn took over {0} listening socket(s) through {1}", fds.length, path);
		return true;
	}

	private static int[] receiveListeners(HandoffPeer running) {
		int[] fds = new int[0];
		try {
			while (true) {
				HandoffSocket.Received received = running.expect(1, Frame.LISTENER, Frame.LISTENERS_END);
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
