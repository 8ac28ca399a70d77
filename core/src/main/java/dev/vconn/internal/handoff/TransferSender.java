package dev.vconn.internal.handoff;

import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.vconn.internal.net.LibC;
import dev.vconn.internal.net.ListeningSockets;
import dev.vconn.internal.net.NetVConn;
import io.netty.buffer.ByteBuf;

/**
 * The sending side of a transfer between two processes of the user's own: connects to a
 * {@link TransferReceiver}'s socket and sends listening sockets and live VConns over it, one at a
 * time, each answered {@link Frame#TAKEN} or {@link Frame#DECLINED}. A VConn is detached from its
 * loop before it is sent, closed here only once the receiver took it, and attached again
 * otherwise. Not thread-safe: one thread sends at a time.
 */
public final class TransferSender implements AutoCloseable {

	/** The largest run of buffered bytes one {@link Frame#BUFFERED} message carries. */
	private static final int CHUNK = 60 * 1024;

	/** The most buffered bytes one VConn takes along. */
	static final int MAX_BUFFERED = 16 * 1024 * 1024;

	/**
	 * A socket not handed over, without breaking the exchange: the receiver declined it
	 * ({@code declined}, {@code adoption}), or it could not be sent ({@code busy},
	 * {@code unsupported}).
	 */
	public static final class NotTaken extends RuntimeException {

		private static final long serialVersionUID = 1L;

		/** The reason tag; not serialized beyond the exception's name. */
		private final String reason;

		NotTaken(String reason, String message) {
			super(message);
			this.reason = reason;
		}

		public String reason() {
			return this.reason;
		}

	}

	private final HandoffPeer receiver;

	private final long timeoutMillis;

	/** The exchange broke (the receiver is gone, or either side refused): nothing more can be sent. */
	private boolean broken;

	private TransferSender(HandoffPeer receiver, long timeoutMillis) {
		this.receiver = receiver;
		this.timeoutMillis = timeoutMillis;
	}

	/**
	 * Connects to the receiver at {@code path}, checks its uid, and says hello.
	 * @throws HandoffException when nothing serves the path ({@link HandoffReason#IO}), the receiver
	 * runs as another uid, refuses, or does not answer in time
	 */
	public static TransferSender connect(Path path, Set<Integer> allowedUids, Duration timeout) {
		HandoffSocket socket = HandoffSocket.connect(path);
		if (socket == null) {
			throw new HandoffException(HandoffReason.IO, "no receiver serves " + path);
		}
		long millis = Math.max(1, timeout.toMillis());
		HandoffPeer receiver = new HandoffPeer(socket, "receiver", millis);
		try {
			receiver.checkUid(allowedUids);
			receiver.send(Frame.HELLO, Frame.HELLO.encode(Frame.TRANSFER_PROTOCOL));
			String protocol = Frame.text(receiver.expect(Frame.HELLO).frame());
			if (!Frame.TRANSFER_PROTOCOL.equals(protocol)) {
				throw new HandoffException(HandoffReason.MALFORMED, "the receiver speaks " + protocol + ", not "
						+ Frame.TRANSFER_PROTOCOL);
			}
			return new TransferSender(receiver, millis);
		}
		catch (RuntimeException ex) {
			if (!(ex instanceof HandoffException handoff) || handoff.reason() != HandoffReason.REFUSED_BY_PEER) {
				receiver.refuse(asHandoff(ex));
			}
			receiver.close();
			throw ex;
		}
	}

	/**
	 * Sends a copy of a listening socket; {@code fd} stays the caller's whatever happens.
	 * @throws NotTaken if {@code fd} is not a listening socket, or the receiver did not take it
	 * @throws HandoffException if the exchange broke
	 */
	public void sendListener(int fd, String name) {
		requireUsable();
		if (!LibC.isListening(fd)) {
			throw new NotTaken("unsupported", "fd " + fd + " is not a listening socket");
		}
		exchange(() -> {
			this.receiver.send(Frame.SOCKET, socketMessage(false, 0, name), fd);
			awaitAnswer();
		}, () -> {
			// a listening socket is only ever copied: nothing to undo
		});
	}

	/**
	 * Sends a copy of the socket of this process listening at {@code address} (a JDK
	 * {@code ServerSocketChannel}'s, whose descriptor the JDK keeps to itself); the socket is left
	 * as it is whatever happens.
	 * @throws NotTaken if no single socket of this process listens there, or the receiver did not take it
	 * @throws HandoffException if the exchange broke
	 */
	public void sendListenerAt(SocketAddress address, String name) {
		requireUsable();
		int copy;
		try {
			copy = ListeningSockets.duplicateOf(address);
		}
		catch (IllegalArgumentException ex) {
			throw new NotTaken("unsupported", ex.getMessage());
		}
		try {
			sendListener(copy, name);
		}
		finally {
			LibC.close(copy);
		}
	}

	/**
	 * Sends a live VConn with the bytes it had read and not delivered, after {@code unread}: on
	 * success the VConn is closed here (its socket stays open in the receiver); on any failure it
	 * is attached to its loop again and goes on as before.
	 * @param unread bytes the caller read from the VConn and did not consume, to come first
	 * @throws NotTaken if the VConn cannot go now (an operation in progress, a write on its way,
	 * closed, a NIO VConn; nothing was sent), or the receiver did not take it
	 * @throws HandoffException if the exchange broke
	 */
	public void sendVConn(NetVConn vconn, byte[] unread, String name) {
		requireUsable();
		if (vconn.loop().inEventLoop()) {
			throw new IllegalStateException("a VConn cannot be sent from its own event thread: the send waits for it");
		}
		NetVConn.Detached detached = detach(vconn);
		try {
			long buffered = unread.length;
			for (ByteBuf buf : detached.unread()) {
				buffered += buf.readableBytes();
			}
			if (buffered > MAX_BUFFERED) {
				vconn.reattach();
				throw new NotTaken("busy", buffered + " buffered bytes are more than the " + MAX_BUFFERED + " a VConn takes along");
			}
			int count = (int) buffered;
			exchange(() -> {
				this.receiver.send(Frame.SOCKET, socketMessage(true, count, name), detached.fd());
				sendBuffered(unread, 0, unread.length);
				for (ByteBuf buf : detached.unread()) {
					byte[] bytes = new byte[buf.readableBytes()];
					buf.getBytes(buf.readerIndex(), bytes);
					sendBuffered(bytes, 0, bytes.length);
				}
				awaitAnswer();
			}, vconn::reattach);
		}
		finally {
			detached.release();
		}
		// the receiver holds the socket: this copy goes, without a word to the peer, then the receiver is told
		vconn.close();
		try {
			this.receiver.send(Frame.RELEASED, Frame.RELEASED.encode());
		}
		catch (HandoffException ex) {
			// the receiver died after taking the VConn; it was its to serve
			this.broken = true;
		}
	}

	private NetVConn.Detached detach(NetVConn vconn) {
		CompletableFuture<NetVConn.Detached> detaching = vconn.detach();
		try {
			return detaching.get(this.timeoutMillis, TimeUnit.MILLISECONDS);
		}
		catch (ExecutionException ex) {
			NetVConn.NotDetachable why = (NetVConn.NotDetachable) ex.getCause();
			throw new NotTaken(why.unsupported() ? "unsupported" : "busy", "the VConn cannot be sent: " + why.getMessage());
		}
		catch (TimeoutException ex) {
			undoLate(vconn, detaching);
			throw new NotTaken("busy", "the VConn's event loop did not answer in time");
		}
		catch (InterruptedException ex) {
			undoLate(vconn, detaching);
			Thread.currentThread().interrupt();
			throw new NotTaken("busy", "interrupted while detaching the VConn");
		}
	}

	/** A detach given up on that still completes: the VConn goes on as if it never started. */
	private static void undoLate(NetVConn vconn, CompletableFuture<NetVConn.Detached> detaching) {
		detaching.thenAccept((detached) -> {
			detached.release();
			vconn.reattach();
		});
	}

	private void sendBuffered(byte[] bytes, int offset, int length) {
		for (int at = offset; at < offset + length; at += CHUNK) {
			int n = Math.min(CHUNK, offset + length - at);
			this.receiver.send(Frame.BUFFERED,
					ByteBuffer.allocate(1 + n).put(Frame.BUFFERED.encode()).put(bytes, at, n).array());
		}
	}

	/** Returns once the receiver took the socket just sent, throws {@link NotTaken} if it did not. */
	private void awaitAnswer() {
		byte[] answer = this.receiver.expect(Frame.TAKEN, Frame.DECLINED).frame();
		if (Frame.of(answer) == Frame.DECLINED) {
			String text = Frame.text(answer);
			String reason = text.startsWith("adoption: ") ? "adoption" : "declined";
			throw new NotTaken(reason, "the receiver did not take it: " + text);
		}
	}

	/** Runs one step; on any failure runs {@code undo}, and marks the exchange broken unless it was a decline. */
	private void exchange(Runnable step, Runnable undo) {
		try {
			step.run();
		}
		catch (RuntimeException ex) {
			undo.run();
			if (!(ex instanceof NotTaken)) {
				if (!(ex instanceof HandoffException handoff) || handoff.reason() != HandoffReason.REFUSED_BY_PEER) {
					this.receiver.refuse(asHandoff(ex));
				}
				// a receiver that answers late finds the exchange closed, and closes its copy
				close();
			}
			throw ex;
		}
	}

	private static HandoffException asHandoff(RuntimeException ex) {
		return (ex instanceof HandoffException handoff) ? handoff
				: new HandoffException(HandoffReason.IO, String.valueOf(ex.getMessage()), ex);
	}

	static byte[] socketMessage(boolean vconn, int buffered, String name) {
		byte[] text = name.getBytes(StandardCharsets.UTF_8);
		return ByteBuffer.allocate(6 + text.length)
			.put(Frame.SOCKET.encode())
			.put((byte) (vconn ? 1 : 0))
			.putInt(buffered)
			.put(text)
			.array();
	}

	private void requireUsable() {
		if (this.broken) {
			throw new HandoffException(HandoffReason.INTERRUPTED, "the exchange with the receiver has ended");
		}
	}

	/** Ends the exchange; the receiver sees the end of the stream. Idempotent. */
	@Override
	public void close() {
		this.broken = true;
		this.receiver.close();
	}

}
