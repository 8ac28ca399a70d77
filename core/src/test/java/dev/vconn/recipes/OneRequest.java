package dev.vconn.recipes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.vconn.Adoption;
import dev.vconn.AdoptionException;
import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnFactory;
import dev.vconn.VIO;
import org.jspecify.annotations.Nullable;

/**
 * The client-side recipe of the core API page: connect a JDK {@code SocketChannel}, adopt it,
 * write one request and read the response until the server ends the stream, from a thread that is
 * not one of the runtime's (a request thread) and waits on the result.
 */
final class OneRequest implements Continuation {

	private final ReentrantLock mutex = new ReentrantLock();

	private final VConn vconn;

	private final IOBuffer out = IOBuffer.create();

	private final IOBuffer in = IOBuffer.create();

	private final IOBufferReader response = this.in.allocReader();

	private final ByteArrayOutputStream received = new ByteArrayOutputStream();

	private final CompletableFuture<String> done = new CompletableFuture<>();

	private OneRequest(VConn vconn) {
		this.vconn = vconn;
	}

	/**
	 * Sends {@code request} to {@code server} and reads the response to end of stream.
	 * @return the response, once the server closed the connection
	 */
	static CompletableFuture<String> send(VConnFactory factory, SocketAddress server, String request)
			throws IOException {
		SocketChannel channel = SocketChannel.open(server); // blocking connect, on the caller's thread
		Adoption adoption = factory.adopt(channel);
		VConn vconn = adoption.vconn();
		if (vconn == null) {
			channel.close(); // a failed adoption leaves the channel ours, exactly as it was
			return CompletableFuture.failedFuture(new AdoptionException(adoption.failureReason(), adoption.message()));
		}
		OneRequest exchange = new OneRequest(vconn);
		exchange.start(request.getBytes(StandardCharsets.US_ASCII));
		return exchange.done;
	}

	private void start(byte[] request) {
		// Not on an event thread: hold the mutex, so no event arrives before both VIOs exist.
		this.mutex.lock();
		try {
			this.out.write(request);
			this.vconn.read(this, this.in, Long.MAX_VALUE);
			this.vconn.write(this, this.out.allocReader(), request.length);
		}
		finally {
			this.mutex.unlock();
		}
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		switch (event) {
			case VCONN_READ_READY -> {
				drain();
				((VIO) data).reenable();
			}
			case VCONN_WRITE_COMPLETE -> {
				// the whole request is with the kernel; keep reading
			}
			case VCONN_EOS -> {
				drain();
				finish(null);
			}
			case ERROR, VCONN_INACTIVITY_TIMEOUT, VCONN_ACTIVE_TIMEOUT -> finish(new IOException(event.name()));
			default -> {
			}
		}
	}

	@Override
	public Lock mutex() {
		return this.mutex;
	}

	private void drain() {
		byte[] bytes = new byte[(int) this.response.avail()];
		this.response.read(bytes, 0, bytes.length);
		this.received.write(bytes, 0, bytes.length);
	}

	private void finish(@Nullable IOException failure) {
		this.vconn.close(); // no event for this VConn after this
		this.in.close();
		this.out.close();
		if (failure != null) {
			this.done.completeExceptionally(failure);
		}
		else {
			this.done.complete(this.received.toString(StandardCharsets.ISO_8859_1));
		}
	}

}
