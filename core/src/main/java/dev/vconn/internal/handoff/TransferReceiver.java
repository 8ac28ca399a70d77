package dev.vconn.internal.handoff;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import dev.vconn.Adoption;
import dev.vconn.VConn;
import dev.vconn.VConnReceiver;
import dev.vconn.internal.net.LibC;
import dev.vconn.internal.net.NetVConnFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.jspecify.annotations.Nullable;

/**
 * The receiving side of a transfer between two processes of the user's own: serves a Unix domain
 * socket (mode 0600) on a daemon thread, and talks to each {@link TransferSender} that connects on
 * a daemon thread of its own. A received VConn is adopted with {@code fdCreate}'s contract and
 * source {@code HANDOFF}, its buffered bytes first on its reads, and given to the handler only once
 * the sender said it closed its copy; whatever fails before that closes everything received here.
 */
public final class TransferReceiver implements AutoCloseable {

	private static final System.Logger logger = System.getLogger(TransferReceiver.class.getName());

	/** How often the serving thread looks whether it was closed while no sender calls. */
	private static final int ACCEPT_POLL_MILLIS = 100;

	private final Path path;

	private final HandoffSocket server;

	private final @Nullable Object inode;

	private final Set<Integer> allowedUids;

	private final long timeoutMillis;

	private final NetVConnFactory factory;

	private final VConnReceiver.Handler handler;

	private final Thread thread;

	private volatile boolean closed;

	private TransferReceiver(Path path, Set<Integer> allowedUids, Duration timeout, NetVConnFactory factory,
			VConnReceiver.Handler handler) {
		this.path = path;
		this.server = HandoffSocket.listen(path);
		this.inode = HandoffSocket.inode(path);
		this.allowedUids = Set.copyOf(allowedUids);
		this.timeoutMillis = Math.max(1, timeout.toMillis());
		this.factory = factory;
		this.handler = handler;
		this.thread = new Thread(this::serve, "vconn-receiver");
		this.thread.setDaemon(true);
	}

	/**
	 * Serves the socket at {@code path}, replacing a socket file left there.
	 * @throws HandoffException if the socket cannot be made there
	 */
	public static TransferReceiver start(Path path, Set<Integer> allowedUids, Duration timeout,
			NetVConnFactory factory, VConnReceiver.Handler handler) {
		TransferReceiver receiver = new TransferReceiver(path, allowedUids, timeout, factory, handler);
		receiver.thread.start();
		return receiver;
	}

	public Path path() {
		return this.path;
	}

	private void serve() {
		while (!this.closed) {
			HandoffSocket peer;
			try {
				peer = this.server.accept(ACCEPT_POLL_MILLIS);
			}
			catch (RuntimeException ex) {
				logger.log(System.Logger.Level.WARNING, "VConn receiver at " + this.path + " stops serving", ex);
				break;
			}
			if (peer != null) {
				Thread exchange = new Thread(() -> exchange(peer), "vconn-receiver-exchange");
				exchange.setDaemon(true);
				exchange.start();
			}
		}
		this.server.close();
	}

	/** Talks to one sender until it closes, or the exchange breaks. */
	private void exchange(HandoffSocket socket) {
		try (HandoffPeer sender = new HandoffPeer(socket, "sender", this.timeoutMillis)) {
			try {
				sender.checkUid(this.allowedUids);
				String protocol = Frame.text(sender.expect(Frame.HELLO).frame());
				if (!Frame.TRANSFER_PROTOCOL.equals(protocol)) {
					throw new HandoffException(HandoffReason.MALFORMED, "the sender speaks " + protocol + ", not "
							+ Frame.TRANSFER_PROTOCOL);
				}
				sender.send(Frame.HELLO, Frame.HELLO.encode(Frame.TRANSFER_PROTOCOL));
			}
			catch (HandoffException ex) {
				broken(sender, ex);
				return;
			}
			while (true) {
				HandoffSocket.Received item;
				try {
					sender.timeout(0); // a sender may wait as long as it likes between two sockets
					item = sender.expect(Frame.SOCKET);
					sender.timeout(this.timeoutMillis);
				}
				catch (HandoffException ex) {
					if (ex.reason() != HandoffReason.INTERRUPTED) {
						broken(sender, ex); // else the sender closed between two sockets: the exchange is over
					}
					return;
				}
				try {
					receive(sender, item);
				}
				catch (HandoffException ex) {
					broken(sender, ex);
					return;
				}
			}
		}
	}

	private void broken(HandoffPeer sender, HandoffException ex) {
		if (ex.reason() != HandoffReason.REFUSED_BY_PEER) {
			sender.refuse(ex);
		}
		failed(ex.reason().tag(), ex.getMessage());
	}

	/**
	 * Receives one socket, whose descriptor is this method's to hand on or close.
	 * @throws HandoffException when the exchange cannot go on; everything received is closed
	 */
	private void receive(HandoffPeer sender, HandoffSocket.Received item) {
		int fd = item.fds()[0];
		byte[] message = item.frame();
		if (message.length < 6) {
			HandoffSocket.closeAll(fd);
			throw new HandoffException(HandoffReason.MALFORMED, "a SOCKET message of " + message.length + " bytes");
		}
		ByteBuffer payload = ByteBuffer.wrap(message, 1, message.length - 1);
		byte kind = payload.get();
		int buffered = payload.getInt();
		String name = new String(message, 6, message.length - 6, StandardCharsets.UTF_8);
		if (kind == 0 && buffered == 0) {
			receiveListener(sender, fd, name);
		}
		else if (kind == 1 && buffered >= 0 && buffered <= TransferSender.MAX_BUFFERED) {
			receiveVConn(sender, fd, readBuffered(sender, fd, buffered));
		}
		else {
			HandoffSocket.closeAll(fd);
			throw new HandoffException(HandoffReason.MALFORMED, "a SOCKET of kind " + kind + " with " + buffered
					+ " buffered bytes");
		}
	}

	private void receiveListener(HandoffPeer sender, int fd, String name) {
		if (!LibC.isListening(fd)) {
			HandoffSocket.closeAll(fd);
			throw new HandoffException(HandoffReason.MALFORMED, "the listening socket " + name + " is not listening");
		}
		boolean taken;
		String why = "the receiver is closed";
		try {
			taken = !this.closed && this.handler.receivedListener(fd, name);
			if (!this.closed) {
				why = "the handler declined the listening socket " + name;
			}
		}
		catch (RuntimeException ex) {
			taken = false;
			why = "the handler failed on the listening socket " + name + ": " + ex;
		}
		if (!taken) {
			HandoffSocket.closeAll(fd);
			decline(sender, "declined", why);
			return;
		}
		sender.send(Frame.TAKEN, Frame.TAKEN.encode());
	}

	private List<ByteBuf> readBuffered(HandoffPeer sender, int fd, int count) {
		List<ByteBuf> unread = new ArrayList<>();
		try {
			int received = 0;
			while (received < count) {
				byte[] chunk = sender.expect(Frame.BUFFERED).frame();
				int n = chunk.length - 1;
				if (n == 0 || received + n > count) {
					throw new HandoffException(HandoffReason.MALFORMED, n + " more buffered bytes after " + received
							+ " of " + count);
				}
				unread.add(Unpooled.wrappedBuffer(chunk, 1, n));
				received += n;
			}
			return unread;
		}
		catch (RuntimeException ex) {
			unread.forEach(ByteBuf::release);
			HandoffSocket.closeAll(fd);
			throw ex;
		}
	}

	private void receiveVConn(HandoffPeer sender, int fd, List<ByteBuf> unread) {
		boolean accepted;
		String why = "the receiver is closed";
		try {
			accepted = !this.closed && this.handler.acceptsVConn();
			if (!this.closed) {
				why = "the handler declined the VConn";
			}
		}
		catch (RuntimeException ex) {
			accepted = false;
			why = "the handler failed: " + ex;
		}
		if (!accepted) {
			unread.forEach(ByteBuf::release);
			HandoffSocket.closeAll(fd);
			decline(sender, "declined", why);
			return;
		}
		Adoption adoption = this.factory.adoptHandedOver(fd, unread);
		VConn vconn = adoption.vconn();
		if (vconn == null) {
			HandoffSocket.closeAll(fd);
			decline(sender, "adoption", adoption.failureReason() + ": " + adoption.message());
			return;
		}
		try {
			sender.send(Frame.TAKEN, Frame.TAKEN.encode());
			sender.expect(Frame.RELEASED);
		}
		catch (HandoffException ex) {
			// the sender gave up or went away before it let go: its copy is the one that serves
			vconn.close();
			throw ex;
		}
		try {
			this.handler.received(vconn);
		}
		catch (RuntimeException ex) {
			logger.log(System.Logger.Level.WARNING, "The handler of a received VConn failed; closing " + vconn, ex);
			vconn.close();
		}
	}

	/** Tells the handler, then the sender: the handler has heard of a decline by the time the sender's call returns. */
	private void decline(HandoffPeer sender, String reason, String message) {
		failed(reason, message);
		sender.send(Frame.DECLINED, Frame.DECLINED.encode(reason + ": " + message));
	}

	private void failed(String reason, String message) {
		try {
			this.handler.failed(reason, message);
		}
		catch (RuntimeException ex) {
			logger.log(System.Logger.Level.WARNING, "A VConn receiver's handler failed", ex);
		}
	}

	/**
	 * Stops accepting senders and removes the socket file unless another process replaced it;
	 * exchanges in progress decline what they receive from now on. Idempotent.
	 */
	@Override
	public void close() {
		this.closed = true;
		if (Thread.currentThread() != this.thread) {
			try {
				this.thread.join(ACCEPT_POLL_MILLIS * 10L);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		if (this.inode != null && this.inode.equals(HandoffSocket.inode(this.path))) {
			HandoffSocket.unlink(this.path);
		}
	}

}
