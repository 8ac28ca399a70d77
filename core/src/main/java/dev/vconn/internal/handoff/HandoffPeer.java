package dev.vconn.internal.handoff;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;


/**
 * A connected handoff socket with the checks both sides make: the peer's uid, and the type of each
 * message received against the one expected. Descriptors that come with an unexpected message are
 * closed before it is refused.
 */
final class HandoffPeer implements AutoCloseable {

	private static final int OWN_UID = readOwnUid();

	private final HandoffSocket socket;

	private final String name;

	HandoffPeer(HandoffSocket socket, String name, long timeoutMillis) {
		this.socket = socket;
		this.name = name;
		socket.timeout(timeoutMillis);
	}

	/** The uid this process runs as. */
	static int ownUid() {
		return OWN_UID;
	}

	/**
	 * Checks the peer's uid against this process's own and the allowed ones.
	 * @throws HandoffException with {@link HandoffReason#PEER_UID} for another uid
	 */
	void checkUid(Set<Integer> allowedUids) {
		int[] credentials = this.socket.peerCredentials();
		int uid = credentials[1];
		if (uid != OWN_UID && !allowedUids.contains(uid)) {
			throw new HandoffException(HandoffReason.PEER_UID, "the " + this.name + " (pid " + credentials[0]
					+ ") runs as uid " + uid + ", neither this process's uid " + OWN_UID
					+ " nor one of vconn.handoff.allowed-uids " + allowedUids);
		}
	}

	/** Bounds each later send and receive. */
	void timeout(long millis) {
		this.socket.timeout(millis);
	}

	void send(Frame frame, byte[] message, int... fds) {
		this.socket.send(message, fds);
	}

	/**
	 * Sends runs of bytes announced by the message just sent, as {@link Frame#BYTES} messages of at
	 * most {@link Frame#MAX_BYTES}, one run after the other.
	 */
	void sendBytes(byte[]... runs) {
		for (byte[] run : runs) {
			for (int offset = 0; offset < run.length; offset += Frame.MAX_BYTES) {
				this.socket.send(Frame.BYTES.encode(run, offset, Math.min(Frame.MAX_BYTES, run.length - offset)));
			}
		}
	}

	/**
	 * Receives {@code length} bytes announced by the message just received, as {@link Frame#BYTES}
	 * messages.
	 * @throws HandoffException with {@link HandoffReason#MALFORMED} for a negative or too large
	 * length, or a message that is not the bytes announced
	 */
	byte[] receiveBytes(int length) {
		if (length < 0 || length > Frame.MAX_PENDING) {
			throw new HandoffException(HandoffReason.MALFORMED, "the " + this.name + " announced " + length
					+ " bytes in flight, at most " + Frame.MAX_PENDING + " are allowed");
		}
		byte[] bytes = new byte[length];
		for (int at = 0; at < length;) {
			byte[] message = expect(Frame.BYTES).frame();
			int n = message.length - 1;
			if (n == 0 || n > length - at) {
				throw new HandoffException(HandoffReason.MALFORMED, "the " + this.name + " sent " + n + " bytes where "
						+ (length - at) + " were still announced");
			}
			System.arraycopy(message, 1, bytes, at, n);
			at += n;
		}
		return bytes;
	}

	/**
	 * Receives the next message, which must be one of {@code expected}, with the descriptors its
	 * type carries. A {@link Frame#REFUSED} from the peer is thrown as
	 * {@link HandoffReason#REFUSED_BY_PEER}.
	 * @return the message, whose descriptors are now the caller's
	 */
	HandoffSocket.Received expect(Frame... expected) {
		HandoffSocket.Received received = this.socket.receive();
		if (received == null) {
			throw new HandoffException(HandoffReason.INTERRUPTED, "the " + this.name + " closed the handoff socket");
		}
		try {
			Frame frame = Frame.of(received.frame());
			if (frame == Frame.REFUSED) {
				throw new HandoffException(HandoffReason.REFUSED_BY_PEER,
						"the " + this.name + " refused: " + Frame.text(received.frame()));
			}
			if (!Set.of(expected).contains(frame) || received.fds().length != frame.descriptors()) {
				throw new HandoffException(HandoffReason.MALFORMED, "the " + this.name + " sent " + frame + " with "
						+ received.fds().length + " descriptors where " + Set.of(expected) + " was expected");
			}
			return received;
		}
		catch (RuntimeException ex) {
			HandoffSocket.closeAll(received.fds());
			throw ex;
		}
	}

	/** Tells the peer why this side stops; the peer may already be gone. */
	void refuse(HandoffException why) {
		try {
			this.socket.send(Frame.REFUSED.encode(why.reason().tag() + ": " + why.getMessage()));
		}
		catch (RuntimeException ex) {
			// the peer is gone: nothing to tell
		}
	}

	@Override
	public void close() {
		this.socket.close();
	}

	private static int readOwnUid() {
		try {
			return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
		}
		catch (IOException | UnsupportedOperationException ex) {
			return -1;
		}
	}

	@Override
	public String toString() {
		return this.name;
	}

}
