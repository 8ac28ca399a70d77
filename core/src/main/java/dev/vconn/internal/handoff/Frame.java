package dev.vconn.internal.handoff;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The messages of the takeover protocol, one {@code SOCK_SEQPACKET} message each: a type byte,
 * then the type's payload (big-endian), with the descriptors {@link #descriptors()} says. The order
 * is fixed: the successor says {@link #HELLO}; the running instance sends each listening socket
 * ({@link #LISTENER}), then {@link #LISTENERS_END}; the successor serves on them and says
 * {@link #SERVING}; the running instance stops accepting and sends each client connection as it
 * becomes idle ({@link #CONNECTION}) and each connection-mode tunnel ({@link #TUNNEL}), each
 * answered with {@link #ADOPTED}, and ends with {@link #DONE}. Either side may send
 * {@link #REFUSED} instead of its next message.
 *
 * <p><b>Bytes in flight:</b> a {@link #CONNECTION} or {@link #TUNNEL} announces how many bytes go
 * with it (a connection's unserved requests; a tunnel's bytes still owed to each side), and those
 * bytes follow at once in {@link #BYTES} messages of at most {@link #MAX_BYTES} each, in order,
 * before anything else: a message's size is bounded (a {@code SOCK_SEQPACKET} message must fit the
 * socket's send buffer), the bytes are not. At most {@link #MAX_PENDING} bytes go with one
 * connection or tunnel; the sender keeps one that holds more, and the receiver refuses a larger
 * announcement as malformed.
 */
enum Frame {

	/** Successor to running instance: the protocol name and version. */
	HELLO(1, 0),

	/** Running instance to successor: a listening socket (one descriptor), payload its name. */
	LISTENER(2, 1),

	/** Running instance to successor: no more listening sockets; payload the count sent (int). */
	LISTENERS_END(3, 0),

	/** Successor to running instance: it accepts on every socket received. */
	SERVING(4, 0),

	/** Either side: the takeover stops here; payload the reason's tag and a message. */
	REFUSED(5, 0),

	/** Running instance to successor: it stopped accepting and sent every connection it could; the takeover is complete. */
	DONE(6, 0),

	/**
	 * Running instance to successor: a client connection between transactions (one descriptor);
	 * payload the count of request bytes read and not yet served (pipelined), which follow as {@link #BYTES}.
	 */
	CONNECTION(7, 1),

	/** Successor to running instance: 1 if it serves the connection just sent, 0 if not (the sender keeps it). */
	ADOPTED(8, 0),

	/** Running instance to successor: the next at most {@link #MAX_BYTES} of the bytes just announced. */
	BYTES(9, 0),

	/**
	 * Running instance to successor: a connection-mode tunnel (two descriptors, the client's then the
	 * origin's); payload the counts of bytes read and not yet delivered toward the client, then toward
	 * the origin (two ints), which follow as {@link #BYTES}, the client's first.
	 */
	TUNNEL(10, 2),

	// ---- between a VConnSender and a VConnReceiver (codes from 20): HELLO both ways, then any
	// number of SOCKET exchanges, each answered TAKEN or DECLINED; a VConn TAKEN is RELEASED ----

	/**
	 * Sender to receiver: a socket (one descriptor). Payload: its kind (0 listening socket, 1 live
	 * VConn), the count of buffered bytes that follow in {@link #BUFFERED} messages (int), its name.
	 */
	SOCKET(20, 1),

	/** Sender to receiver: the next bytes the VConn just sent had read and not delivered. */
	BUFFERED(21, 0),

	/** Receiver to sender: it owns the socket just sent (a VConn: once the sender says {@link #RELEASED}). */
	TAKEN(22, 0),

	/** Receiver to sender: it closed its copy of the socket just sent; payload the reason's tag and a message. */
	DECLINED(23, 0),

	/** Sender to receiver: it closed its copy of the VConn just taken, which is the receiver's alone now. */
	RELEASED(24, 0);

	static final String PROTOCOL = "vconn-handoff/2";

	/** The most bytes one {@link #BYTES} message carries: a message holds at most {@link HandoffSocket#MAX_FRAME}. */
	static final int MAX_BYTES = HandoffSocket.MAX_FRAME - 1;

	/** The most bytes in flight that go with one connection or tunnel. */
	static final int MAX_PENDING = 16 * 1024 * 1024;

	/** The protocol a {@code VConnSender} and a {@code VConnReceiver} speak. */
	static final String TRANSFER_PROTOCOL = "vconn-transfer/1";

	private final byte code;

	private final int descriptors;

	Frame(int code, int descriptors) {
		this.code = (byte) code;
		this.descriptors = descriptors;
	}

	/** How many descriptors a message of this type carries. */
	int descriptors() {
		return this.descriptors;
	}

	byte[] encode(String text) {
		byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
		return ByteBuffer.allocate(1 + bytes.length).put(this.code).put(bytes).array();
	}

	byte[] encode(int... values) {
		ByteBuffer message = ByteBuffer.allocate(1 + 4 * values.length).put(this.code);
		for (int value : values) {
			message.putInt(value);
		}
		return message.array();
	}

	byte[] encode(byte[] bytes, int offset, int length) {
		return ByteBuffer.allocate(1 + length).put(this.code).put(bytes, offset, length).array();
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
		return integers(message, 1)[0];
	}

	/**
	 * The {@code count} ints of a message's payload.
	 * @throws HandoffException with {@link HandoffReason#MALFORMED} if the payload is not that long
	 */
	static int[] integers(byte[] message, int count) {
		if (message.length != 1 + 4 * count) {
			throw new HandoffException(HandoffReason.MALFORMED, "a " + of(message) + " message of " + message.length
					+ " bytes, expected " + (1 + 4 * count));
		}
		ByteBuffer payload = ByteBuffer.wrap(message, 1, 4 * count);
		int[] values = new int[count];
		for (int i = 0; i < count; i++) {
			values[i] = payload.getInt();
		}
		return values;
	}

}
