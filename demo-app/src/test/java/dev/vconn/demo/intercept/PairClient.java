package dev.vconn.demo.intercept;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Lock;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import org.jspecify.annotations.Nullable;

/**
 * Plays the listener on the active end of a VConn pair: writes a request, reads the response
 * until end of stream (or an error), and keeps the head, the first bytes of the body, the body's
 * length and its SHA-256. Reading can be held, to let the intercept's buffers fill up.
 */
final class PairClient implements Continuation {

	private static final int KEPT = 4 * 1024 * 1024;

	private static final byte[] HEAD_END = { '\r', '\n', '\r', '\n' };

	private final VConn vconn;

	private final IOBuffer out = IOBuffer.create();

	private final IOBufferReader outReader = this.out.allocReader();

	private final IOBuffer in = IOBuffer.create();

	private final IOBufferReader inReader = this.in.allocReader();

	private final ByteArrayOutputStream head = new ByteArrayOutputStream();

	private final ByteArrayOutputStream body = new ByteArrayOutputStream();

	private final MessageDigest digest;

	private final CompletableFuture<Response> response = new CompletableFuture<>();

	private @Nullable VIO readVio;

	private boolean inBody;

	private long bodyLength;

	private boolean held;

	private long closeAfterBody = -1;

	PairClient(VConn vconn) {
		this.vconn = vconn;
		try {
			this.digest = MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** Sends the request and starts reading the response. */
	PairClient send(byte[] request) {
		Lock mutex = mutex();
		mutex.lock();
		try {
			this.out.write(request);
			this.readVio = this.vconn.read(this, this.in, Long.MAX_VALUE);
			this.vconn.write(this, this.outReader, request.length);
		}
		finally {
			mutex.unlock();
		}
		return this;
	}

	PairClient send(String request) {
		return send(request.getBytes(StandardCharsets.ISO_8859_1));
	}

	/** Stops consuming: the active end's read stops once its buffer is at high water. */
	void hold() {
		Lock mutex = mutex();
		mutex.lock();
		try {
			this.held = true;
		}
		finally {
			mutex.unlock();
		}
	}

	/** Consumes again. */
	void release() {
		Lock mutex = mutex();
		mutex.lock();
		try {
			this.held = false;
			drain();
			if (this.readVio != null) {
				this.readVio.reenable();
			}
		}
		finally {
			mutex.unlock();
		}
	}

	/**
	 * Closes the active end once this many body bytes arrived, as the listener does after a framed
	 * response (the intercept then reads end of stream).
	 */
	PairClient closeAfterBody(long length) {
		this.closeAfterBody = length;
		return this;
	}

	CompletableFuture<Response> response() {
		return this.response;
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		switch (event) {
			case VCONN_READ_READY -> {
				if (!this.held) {
					drain();
				}
			}
			case VCONN_EOS -> finish(event);
			case ERROR -> {
				if (data instanceof VIO vio && vio.op() == VIO.Op.WRITE) {
					return; // the request was written; what matters is how the response ends
				}
				finish(event);
			}
			case VCONN_INACTIVITY_TIMEOUT, VCONN_ACTIVE_TIMEOUT -> finish(event);
			default -> {
			}
		}
	}

	private void drain() {
		long avail = this.inReader.avail();
		if (avail == 0) {
			return;
		}
		byte[] bytes = new byte[(int) avail];
		this.inReader.read(bytes, 0, bytes.length);
		int at = 0;
		while (!this.inBody && at < bytes.length) {
			this.head.write(bytes[at++]);
			byte[] soFar = this.head.toByteArray();
			this.inBody = endsWith(soFar, HEAD_END);
		}
		int n = bytes.length - at;
		this.digest.update(bytes, at, n);
		if (this.body.size() < KEPT) {
			this.body.write(bytes, at, Math.min(n, KEPT - this.body.size()));
		}
		this.bodyLength += n;
		if (this.closeAfterBody >= 0 && this.inBody && this.bodyLength >= this.closeAfterBody) {
			this.vconn.close();
			finish(VConnEvent.VCONN_EOS);
		}
	}

	private void finish(VConnEvent end) {
		if (!this.held) {
			drain();
		}
		if (this.response.isDone()) {
			return;
		}
		this.vconn.close();
		this.in.close();
		this.out.close();
		this.response.complete(new Response(end, this.head.toString(StandardCharsets.ISO_8859_1),
				this.body.toByteArray(), this.bodyLength, HexFormat.of().formatHex(this.digest.digest())));
	}

	private static boolean endsWith(byte[] bytes, byte[] suffix) {
		if (bytes.length < suffix.length) {
			return false;
		}
		for (int i = 0; i < suffix.length; i++) {
			if (bytes[bytes.length - suffix.length + i] != suffix[i]) {
				return false;
			}
		}
		return true;
	}

	/**
	 * What came back.
	 * @param end how the read ended: {@code VCONN_EOS} or {@code ERROR}
	 * @param head the status line and headers
	 * @param body the first bytes of the body (up to 4 MiB)
	 * @param bodyLength all body bytes
	 * @param sha256 hex SHA-256 of the whole body
	 */
	record Response(VConnEvent end, String head, byte[] body, long bodyLength, String sha256) {

		String bodyText() {
			return new String(this.body, StandardCharsets.UTF_8);
		}

	}

}
