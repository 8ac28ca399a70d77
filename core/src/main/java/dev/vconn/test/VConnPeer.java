package dev.vconn.test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;
import dev.vconn.VIO;
import org.jspecify.annotations.Nullable;

/**
 * Plays one side of a conversation on a VConn, usually the end of a {@link VConnPair} that the
 * code under test does not hold: it reads everything that arrives until end of stream, and
 * writes what it is told to send. With {@link #serverIntercept} it plays Traffic Server's role
 * for a server intercept: the continuation under test gets {@code NET_ACCEPT} with the passive end,
 * and the peer speaks to it through the active end, as the intercept listener would.
 * <pre>{@code
 * try (VConnRuntime runtime = VConnRuntime.create();
 *         VConnPeer client = VConnPeer.serverIntercept(runtime, new MyResponder())) {
 *     client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
 *     String response = client.receivedToEnd().get(5, TimeUnit.SECONDS);  // the responder closed its end
 *     assertThat(response).startsWith("HTTP/1.1 200 ");
 * }
 * }</pre>
 *
 * <p><b>Threads:</b> every method is safe from any thread; like any caller off an event thread,
 * the peer takes its own {@link #mutex()} before it starts a VIO. Futures complete on the VConn's
 * event thread: chain only non-blocking work on them, or wait on them from the test thread.
 *
 * <p><b>Ownership:</b> the peer owns the VConn it plays on and its two buffers. {@link #close()}
 * closes the VConn (if still open) and releases the buffers; the peer does not close the VConn by
 * itself at end of stream, so a test can still check its state.
 *
 * @since 0.1.0
 */
public final class VConnPeer implements Continuation, AutoCloseable {

	private final ReentrantLock mutex = new ReentrantLock();

	private final VConn vconn;

	private final IOBuffer out = IOBuffer.create();

	private final IOBufferReader outReader = this.out.allocReader();

	private final IOBuffer in = IOBuffer.create();

	private final IOBufferReader inReader = this.in.allocReader();

	private final ByteArrayOutputStream received = new ByteArrayOutputStream();

	private final CompletableFuture<byte[]> toEnd = new CompletableFuture<>();

	private CompletableFuture<Void> sent = CompletableFuture.completedFuture(null);

	private boolean shutdownAfterSent;

	private boolean closed;

	private VConnPeer(VConn vconn) {
		this.vconn = vconn;
	}

	/**
	 * Starts playing on a VConn: reads from it at once, until end of stream.
	 * @param vconn the VConn to play on, which the peer now owns
	 * @return the peer
	 */
	public static VConnPeer on(VConn vconn) {
		VConnPeer peer = new VConnPeer(Objects.requireNonNull(vconn, "vconn"));
		peer.mutex.lock();
		try {
			vconn.read(peer, peer.in, Long.MAX_VALUE);
		}
		finally {
			peer.mutex.unlock();
		}
		return peer;
	}

	/**
	 * Does what the intercept listener does for a server intercept, without a listener: creates a
	 * pair on the runtime, delivers {@link VConnEvent#NET_ACCEPT} with the passive end to
	 * {@code intercept} (holding its mutex, on the calling thread), and plays the client side on
	 * the active end.
	 * @param runtime the runtime to create the pair on
	 * @param intercept the continuation under test; it owns the passive end from NET_ACCEPT on
	 * @return the peer on the active end
	 */
	public static VConnPeer serverIntercept(VConnRuntime runtime, Continuation intercept) {
		VConnPair pair = VConnPair.create(runtime);
		VConnPeer peer = on(pair.active());
		Lock lock = intercept.mutex();
		lock.lock();
		try {
			intercept.handleEvent(VConnEvent.NET_ACCEPT, pair.passive());
		}
		finally {
			lock.unlock();
		}
		return peer;
	}

	/**
	 * Sends bytes after those already sent.
	 * @param bytes the bytes; copied, so the array stays the caller's
	 * @return a future that completes once every byte sent so far was written (WRITE_COMPLETE),
	 * or exceptionally with an {@link IOException} naming the event that ended the write
	 */
	public CompletableFuture<Void> send(byte[] bytes) {
		this.mutex.lock();
		try {
			this.out.write(bytes);
			if (this.sent.isDone()) {
				this.sent = new CompletableFuture<>();
			}
			// a new write VIO replaces the previous one and covers its bytes still unwritten
			this.vconn.write(this, this.outReader, this.outReader.avail());
			return this.sent;
		}
		finally {
			this.mutex.unlock();
		}
	}

	/**
	 * Sends a string, in UTF-8.
	 * @param text the text
	 * @return as {@link #send(byte[])}
	 */
	public CompletableFuture<Void> send(String text) {
		return send(text.getBytes(StandardCharsets.UTF_8));
	}

	/**
	 * Shuts the write side down once everything sent so far is written, so the other side reads
	 * end of stream (a half-close; reading goes on).
	 */
	public void shutdownOutput() {
		this.mutex.lock();
		try {
			if (this.sent.isDone()) {
				this.vconn.shutdown(false, true);
			}
			else {
				this.shutdownAfterSent = true;
			}
		}
		finally {
			this.mutex.unlock();
		}
	}

	/**
	 * The bytes received so far.
	 * @return a copy
	 */
	public byte[] received() {
		this.mutex.lock();
		try {
			drain();
			return this.received.toByteArray();
		}
		finally {
			this.mutex.unlock();
		}
	}

	/**
	 * Everything received, once the other side ended the stream.
	 * @return a future that completes with the bytes at {@link VConnEvent#VCONN_EOS}, or
	 * exceptionally with an {@link IOException} naming the event that ended the read otherwise
	 * ({@code ERROR}, a timeout)
	 */
	public CompletableFuture<byte[]> bytesToEnd() {
		return this.toEnd;
	}

	/**
	 * Everything received, as UTF-8 text, once the other side ended the stream.
	 * @return as {@link #bytesToEnd()}, decoded
	 */
	public CompletableFuture<String> receivedToEnd() {
		return this.toEnd.thenApply((bytes) -> new String(bytes, StandardCharsets.UTF_8));
	}

	/**
	 * The VConn the peer plays on.
	 * @return the VConn
	 */
	public VConn vconn() {
		return this.vconn;
	}

	@Override
	public Lock mutex() {
		return this.mutex;
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		switch (event) {
			case VCONN_READ_READY, VCONN_READ_COMPLETE -> {
				drain();
				if (data instanceof VIO vio) {
					vio.reenable();
				}
			}
			case VCONN_WRITE_COMPLETE -> {
				this.sent.complete(null);
				if (this.shutdownAfterSent) {
					this.shutdownAfterSent = false;
					this.vconn.shutdown(false, true);
				}
			}
			case VCONN_EOS -> {
				drain();
				this.toEnd.complete(this.received.toByteArray());
			}
			case ERROR, VCONN_INACTIVITY_TIMEOUT, VCONN_ACTIVE_TIMEOUT -> {
				IOException failure = new IOException(event + " after " + this.received.size() + " bytes received");
				if (data instanceof VIO vio && vio.op() == VIO.Op.WRITE) {
					this.sent.completeExceptionally(failure);
				}
				else {
					drain();
					this.toEnd.completeExceptionally(failure);
					this.sent.completeExceptionally(failure);
				}
			}
			default -> {
			}
		}
	}

	/**
	 * Closes the VConn if it is still open and releases the peer's buffers. Futures not yet
	 * complete fail with an {@link IOException}. Idempotent.
	 */
	@Override
	public void close() {
		this.mutex.lock();
		try {
			if (this.closed) {
				return;
			}
			this.closed = true;
			this.vconn.close();
			drain();
			IOException closedFirst = new IOException("the peer was closed first");
			this.toEnd.completeExceptionally(closedFirst);
			this.sent.completeExceptionally(closedFirst);
			this.in.close();
			this.out.close();
		}
		finally {
			this.mutex.unlock();
		}
	}

	private void drain() {
		if (this.closed && this.in.isClosed()) {
			return;
		}
		long avail = this.inReader.avail();
		if (avail > 0) {
			byte[] bytes = new byte[(int) Math.min(avail, Integer.MAX_VALUE - 8)];
			int n = this.inReader.read(bytes, 0, bytes.length);
			this.received.write(bytes, 0, n);
		}
	}

}
