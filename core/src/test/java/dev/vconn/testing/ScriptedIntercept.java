package dev.vconn.testing;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.Responses;
import org.jspecify.annotations.Nullable;

/**
 * A server intercept written the way a plugin would write one: on {@code NET_ACCEPT} it reads the
 * request from its VConn with a read VIO until the request is complete (by its own framing), then
 * writes a response with a write VIO and, by default, keeps reading until the listener closes its
 * end (EOS), then closes. Everything it sees is recorded for the test.
 */
public final class ScriptedIntercept implements Continuation {

	/** What the intercept does once its response is written. */
	public enum End {

		/** Keep reading until EOS from the listener, then close: the documented protocol. */
		WAIT_FOR_EOS,

		/** Close as soon as the response is written (ends a close-delimited response). */
		CLOSE,

		/** Abort as soon as the response is written. */
		ABORT

	}

	/** How the intercept answers. */
	public static final class Script {

		Function<Message, byte[]> response = (request) -> Responses.responseTo(request, "intercept");

		@Nullable End end;

		/** Answer only when the test calls {@link ScriptedIntercept#respond}. */
		boolean hold;

		public Script response(Function<Message, byte[]> response) {
			this.response = response;
			return this;
		}

		public Script end(End end) {
			this.end = end;
			return this;
		}

		public Script hold() {
			this.hold = true;
			return this;
		}

	}

	private final Lock mutex = new ReentrantLock();

	private final Script script;

	private final String target;

	private final List<VConnEvent> events = new CopyOnWriteArrayList<>();

	private final CompletableFuture<VConn> accepted = new CompletableFuture<>();

	private final CompletableFuture<Void> acceptFailed = new CompletableFuture<>();

	private final CompletableFuture<Message> request = new CompletableFuture<>();

	private final CompletableFuture<Void> eos = new CompletableFuture<>();

	private final CompletableFuture<Void> writeComplete = new CompletableFuture<>();

	private final CompletableFuture<Void> ended = new CompletableFuture<>();

	private final ByteArrayOutputStream received = new ByteArrayOutputStream();

	private @Nullable VConn vconn;

	private @Nullable IOBuffer in;

	private @Nullable IOBufferReader inReader;

	private @Nullable IOBuffer out;

	private @Nullable IOBufferReader outReader;

	private volatile @Nullable Thread lastEventThread;

	private volatile boolean mutexHeldOnEvents = true;

	public ScriptedIntercept(String target, Script script) {
		this.target = target;
		this.script = script;
	}

	@Override
	public Lock mutex() {
		return this.mutex;
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		this.events.add(event);
		this.lastEventThread = Thread.currentThread();
		if (!((ReentrantLock) this.mutex).isHeldByCurrentThread()) {
			this.mutexHeldOnEvents = false;
		}
		switch (event) {
			case NET_ACCEPT -> {
				VConn accepted = (VConn) data;
				this.vconn = accepted;
				this.in = IOBuffer.create();
				this.inReader = this.in.allocReader();
				this.out = IOBuffer.create();
				this.outReader = this.out.allocReader();
				accepted.read(this, this.in, Long.MAX_VALUE);
				this.accepted.complete(accepted);
			}
			case NET_ACCEPT_FAILED -> this.acceptFailed.complete(null);
			case VCONN_READ_READY -> {
				takeInput();
				((VIO) data).reenable();
			}
			case VCONN_EOS -> {
				takeInput();
				this.eos.complete(null);
				if (this.writeComplete.isDone() || !this.request.isDone()) {
					end(false);
				}
			}
			case VCONN_WRITE_READY -> {
				// the whole response is in the buffer already
			}
			case VCONN_WRITE_COMPLETE -> {
				this.writeComplete.complete(null);
				End end = endMode();
				if (end == End.CLOSE || (end == End.WAIT_FOR_EOS && this.eos.isDone())) {
					end(false);
				}
				else if (end == End.ABORT) {
					end(true);
				}
			}
			default -> end(true); // ERROR or a timeout
		}
	}

	private End endMode() {
		if (this.script.end != null) {
			return this.script.end;
		}
		Message message = this.request.getNow(null);
		return (message != null && Responses.closeDelimited(message)) ? End.CLOSE : End.WAIT_FOR_EOS;
	}

	private void takeInput() {
		IOBufferReader reader = this.inReader;
		if (reader == null || reader.avail() == 0) {
			return;
		}
		byte[] bytes = new byte[(int) reader.avail()];
		reader.read(bytes, 0, bytes.length);
		this.received.writeBytes(bytes);
		if (!this.request.isDone()) {
			Message message = HttpWire.parseRequestIfComplete(this.received.toByteArray());
			if (message != null) {
				this.request.complete(message);
				if (!this.script.hold) {
					writeResponse(this.script.response.apply(message));
				}
			}
		}
	}

	private void writeResponse(byte[] bytes) {
		VConn conn = this.vconn;
		IOBuffer buffer = this.out;
		if (conn == null || buffer == null || buffer.isClosed()) {
			return;
		}
		buffer.write(bytes);
		conn.write(this, this.outReader, bytes.length);
	}

	/** Writes {@code bytes} as the response now (for a held script), from any thread. */
	public void respond(byte[] bytes) {
		this.mutex.lock();
		try {
			writeResponse(bytes);
		}
		finally {
			this.mutex.unlock();
		}
	}

	/** Starts a write of {@code bytes} now, from any thread, whatever state the VConn is in. */
	public VIO writeNow(byte[] bytes) {
		this.mutex.lock();
		try {
			this.out.write(bytes);
			return this.vconn.write(this, this.outReader, bytes.length);
		}
		finally {
			this.mutex.unlock();
		}
	}

	/** Starts a read now, from any thread, whatever state the VConn is in. */
	public VIO readNow() {
		this.mutex.lock();
		try {
			return this.vconn.read(this, this.in, Long.MAX_VALUE);
		}
		finally {
			this.mutex.unlock();
		}
	}

	/** Aborts the VConn now, from any thread. */
	public void abortNow() {
		this.mutex.lock();
		try {
			end(true);
		}
		finally {
			this.mutex.unlock();
		}
	}

	/** Closes the VConn now, from any thread. */
	public void closeNow() {
		this.mutex.lock();
		try {
			end(false);
		}
		finally {
			this.mutex.unlock();
		}
	}

	/** Writes the scripted response now (for a held script), from any thread. */
	public void respond() {
		respond(this.script.response.apply(this.request.join()));
	}

	private void end(boolean abort) {
		VConn conn = this.vconn;
		if (conn != null) {
			if (abort) {
				conn.abort(0);
			}
			else {
				conn.close();
			}
		}
		releaseBuffers();
		this.ended.complete(null);
	}

	private void releaseBuffers() {
		if (this.in != null) {
			this.in.close();
		}
		if (this.out != null) {
			this.out.close();
		}
	}

	/**
	 * Releases what the intercept still holds (its VConn was aborted by the listener, so it never
	 * got to end itself): closes its VConn, a no-op if it is already closed, and its buffers.
	 */
	public void dispose() {
		this.mutex.lock();
		try {
			VConn conn = this.vconn;
			if (conn != null) {
				conn.close();
			}
			releaseBuffers();
		}
		finally {
			this.mutex.unlock();
		}
	}

	// ---- what the test looks at ----

	public String target() {
		return this.target;
	}

	public List<VConnEvent> events() {
		return List.copyOf(this.events);
	}

	public CompletableFuture<VConn> accepted() {
		return this.accepted;
	}

	public CompletableFuture<Void> acceptFailed() {
		return this.acceptFailed;
	}

	/** The request as the intercept parsed it from what it read. */
	public CompletableFuture<Message> request() {
		return this.request;
	}

	public CompletableFuture<Void> eos() {
		return this.eos;
	}

	public CompletableFuture<Void> ended() {
		return this.ended;
	}

	/** Every byte the intercept read, as read. */
	public byte[] received() {
		this.mutex.lock();
		try {
			return this.received.toByteArray();
		}
		finally {
			this.mutex.unlock();
		}
	}

	public boolean mutexHeldOnEvents() {
		return this.mutexHeldOnEvents;
	}

	public @Nullable Thread lastEventThread() {
		return this.lastEventThread;
	}

	@Override
	public String toString() {
		return "ScriptedIntercept[" + this.target + ", events=" + this.events + "]";
	}

}
