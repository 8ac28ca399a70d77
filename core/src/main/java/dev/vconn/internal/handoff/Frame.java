package dev.vconn.internal.handoff;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The messages of the takeover protocol, one {@code SOCK_SEQPACKET} message each: a type byte,
 * then the type's payload (big-endian). The order is fixed: the successor says {@link #HELLO};
 * the running instance sends each listening socket ({@link #LISTENER}, one descriptor), then
 * {@link #LISTENERS_END}; the successor serves on them and says {@link #SERVING}; the running
 * instance stops accepting and sends each client connection as it becomes idle
 * ({@link #CONNECTION}, one descriptor), each answered with {@link #ADOPTED}, and ends with
 * {@link #DONE}. Either side may send {@link #REFUSED} instead of its next message.
 */
enum Frame {

	/** Successor to running instance: the protocol name and version. */
	HELLO(1),

	/** Running instance to successor: a listening socket (one descriptor), payload its name. */
	LISTENER(2),

	/** Running instance to successor: no more listening sockets; payload the count sent (int). */
	LISTENERS_END(3),

	/** Successor to running instance: it accepts on every socket received. */
	SERVING(4),

	/** Either side: the takeover stops here; payload the reason's tag and a message. */
	REFUSED(5),

	/** Running instance to successor: it stopped accepting and sent every connection it could; the takeover is complete. */
	DONE(6),

	/** Running instance to successor: a client connection between transactions (one descriptor). */
	CONNECTION(7),

	/** Successor to running instance: 1 if it serves the connection just sent, 0 if not (the sender keeps it). */
	ADOPTED(8),

	// ---- between a VConnSender and a VConnReceiver (codes from 20): HELLO both ways, then any
	// number of SOCKET exchanges, each answered TAKEN or DECLINED; a VConn TAKEN is RELEASED ----

	/**
	 * Sender to receiver: a socket (one descriptor). Payload: its kind (0 listening socket, 1 live
	 * VConn), the count of buffered bytes that follow in {@link #BUFFERED} messages (int), its name.
	 */
	SOCKET(20),

	/** Sender to receiver: the next bytes the VConn just sent had read and not delivered. */
	BUFFERED(21),

	/** Receiver to sender: it owns the socket just sent (a VConn: once the sender says {@link #RELEASED}). */
	TAKEN(22),

	/** Receiver to sender: it closed its copy of the socket just sent; payload the reason's tag and a message. */
	DECLINED(23),

	/** Sender to receiver: it closed its copy of the VConn just taken, which is the receiver's alone now. */
	RELEASED(24);

	static final String PROTOCOL = "vconn-handoff/1";

	/** The protocol a {@code VConnSender} and a {@code VConnReceiver} speak. */
	static final String TRANSFER_PROTOCOL = "vconn-transfer/1";

	private final byte code;

	Frame(int code) {
		this.code = (byte) code;
	}

	byte[] encode(String text) {
		byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
		return ByteBuffer.allocate(1 + bytes.length).put(this.code).put(bytes).array();
	}

	byte[] encode(int value) {
		return ByteBuffer.allocate(5).put(this.code).putInt(value).array();
	}

	byte[] encode() {
		return new byte[] { this.code };
	}

	/**
	 * The frame type of a received message.
	 * @throws HandoffException with {@link HandoffReason#MALFORMED} for an unknown type
	 */
	static Frame of(byte[] message) {
		for (Frame frame : values()) {
			if (frame.code == message[0]) {
				return frame;
			}
		}
		throw new HandoffException(HandoffReason.MALFORMED, "unknown message type " + message[0]);
	}

	static String text(byte[] message) {
		return new String(message, 1, message.length - 1, StandardCharsets.UTF_8);
	}

	static int integer(byte[] message) {
		if (message.length != 5) {
			throw new HandoffException(HandoffReason.MALFORMED, "a " + of(message) + " message of " + message.length
					+ " bytes, expected 5");
		}
		return ByteBuffer.wrap(message, 1, 4).getInt();
	}

}
