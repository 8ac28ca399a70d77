package dev.vconn.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.Transaction;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.jspecify.annotations.Nullable;

/**
 * A server intercept written as a user of the public API would: it reads the request head from its
 * end of the pair, answers {@code 200} with a fixed body, and closes its VConn when the listener
 * closes the other end. The body is shared, not copied, like the Netty origin's.
 */
final class FixedResponseIntercept implements Continuation {

	private static final byte[] HEAD_END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

	private final Lock mutex = new ReentrantLock();

	private final byte[] head;

	private final ByteBuf body;

	private final IOBuffer requestBuffer = IOBuffer.create();

	private final IOBufferReader request = this.requestBuffer.allocReader();

	private final IOBuffer responseBuffer = IOBuffer.create();

	private @Nullable VConn vconn;

	private @Nullable VIO readVio;

	/** Bytes of {@link #HEAD_END} matched so far. */
	private int matched;

	private boolean answered;

	private FixedResponseIntercept(byte[] head, ByteBuf body) {
		this.head = head;
		this.body = body;
	}

	/**
	 * A hook that serves every transaction with {@code bodySize} bytes.
	 * @param bodySize bytes of the body
	 * @return the hook
	 */
	static InterceptHook hook(int bodySize) {
		byte[] bytes = new byte[bodySize];
		java.util.Arrays.fill(bytes, (byte) 'x');
		ByteBuf body = Unpooled.unreleasableBuffer(Unpooled.directBuffer(bodySize).writeBytes(bytes));
		byte[] head = ("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: " + bodySize
				+ "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
		return new InterceptHook() {
			@Override
			public String name() {
				return "fixed";
			}

			@Override
			public void onTransaction(Transaction txn) {
				txn.serverIntercept(new FixedResponseIntercept(head, body));
			}
		};
	}

	@Override
	public Lock mutex() {
		return this.mutex;
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		switch (event) {
			case NET_ACCEPT -> {
				this.vconn = (VConn) data;
				this.readVio = this.vconn.read(this, this.requestBuffer, Long.MAX_VALUE);
			}
			case VCONN_READ_READY -> readRequest();
			case VCONN_EOS, ERROR, VCONN_INACTIVITY_TIMEOUT, VCONN_ACTIVE_TIMEOUT -> close();
			default -> {
			}
		}
	}

	private void readRequest() {
		byte[] chunk = new byte[64];
		int n;
		while (!this.answered && (n = this.request.read(chunk, 0, chunk.length)) > 0) {
			for (int i = 0; i < n && !this.answered; i++) {
				this.matched = (chunk[i] == HEAD_END[this.matched]) ? this.matched + 1 : ((chunk[i] == '\r') ? 1 : 0);
				this.answered = this.matched == HEAD_END.length;
			}
		}
		if (this.answered) {
			this.responseBuffer.write(this.head);
			this.responseBuffer.write(this.body.duplicate());
			IOBufferReader response = this.responseBuffer.allocReader();
			this.vconn.write(this, response, response.avail());
		}
		this.readVio.reenable();
	}

	private void close() {
		if (this.vconn != null && !this.vconn.isClosed()) {
			this.vconn.close();
		}
		this.requestBuffer.close();
		this.responseBuffer.close();
	}

}
