package dev.vconn.transaction;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.ScriptedIntercept;
import dev.vconn.testing.TransportMode;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Backpressure end to end, with 32 MiB bodies: a next hop that does not read stops the listener
 * reading the client (the client's non-blocking writes return 0 long before the body is sent), a
 * client that does not read stops the listener reading the next hop (the intercept's or origin's
 * writes stall), nothing is buffered without bound on the way, and once the slow side reads,
 * everything arrives intact.
 *
 * <p>On NIO each case runs with a Content-Length body only (see
 * {@link #assumeEveryFramingOnEpollOnly}).
 */
@OnEachTransport
@Timeout(120)
class BackpressureTests extends TransactionTestSupport {

	static final int SIZE = 32 << 20;

	/** Far below {@link #SIZE}: what kernel buffers and the listener's bounded buffers may hold at most. */
	static final long BOUND = 16 << 20;

	private static final byte[] BODY = pattern(SIZE);

	private static final String BODY_SHA = sha256(BODY);

	@Test
	void slowServerInterceptStopsTheListenerReadingALargeUpload() throws Exception {
		GatedSink sink = new GatedSink();
		this.customIntercept = (txn) -> sink;
		String head = "POST /si/sink HTTP/1.1\r\nHost: origin.test\r\nContent-Length: " + SIZE + "\r\n\r\n";
		try (NonBlockingUpload upload = new NonBlockingUpload(this.proxy.address(), HttpWire.ascii(head))) {
			long stalledAt = awaitStall(upload.written::get);
			assertThat(upload.zeroWrites.get()).as("non-blocking writes that returned 0").isPositive();
			assertThat(stalledAt).as("bytes the client could write before the listener stopped reading")
				.isLessThan(BOUND);
			assertThat(sink.bodyBytes.get()).as("the intercept has not consumed anything yet").isZero();
			assertThat(sink.maxHeld).as("bytes held in the intercept's read buffer")
				.isLessThanOrEqualTo(GatedSink.WATER_MARK + IOBuffer.DEFAULT_WATER_MARK);
			sink.open();
			Message response = upload.response();
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.header("X-Body-Length")).hasValue(String.valueOf(SIZE));
			assertThat(response.header("X-Body-Sha256")).as("the body arrived intact").hasValue(BODY_SHA);
		}
		assertThat(sink.ended).succeedsWithin(Duration.ofSeconds(10));
	}

	@Test
	void slowOriginStopsTheListenerReadingALargeUpload() throws Exception {
		CountDownLatch gate = new CountDownLatch(1);
		this.origin.holdBodies(gate);
		String head = "POST /pt/cl/1/upload HTTP/1.1\r\nHost: origin.test\r\nContent-Length: " + SIZE + "\r\n\r\n";
		try (NonBlockingUpload upload = new NonBlockingUpload(this.proxy.address(), HttpWire.ascii(head))) {
			long stalledAt = awaitStall(upload.written::get);
			assertThat(upload.zeroWrites.get()).as("non-blocking writes that returned 0").isPositive();
			assertThat(stalledAt).isLessThan(BOUND);
			gate.countDown();
			Message response = upload.response();
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.header("X-Request-Body-Length")).hasValue(String.valueOf(SIZE));
		}
		assertThat(sha256(this.origin.requests().get(0).body())).isEqualTo(BODY_SHA);
	}

	@ParameterizedTest(name = "{0} body, intercept {1}")
	@CsvSource({ "LENGTH, WAIT_FOR_EOS", "CHUNKED, WAIT_FOR_EOS", "LENGTH, CLOSE", "CHUNKED, CLOSE", "CLOSE, CLOSE" })
	void slowClientStopsALargeServerInterceptResponse(Framing framing, ScriptedIntercept.End end) throws Exception {
		assumeEveryFramingOnEpollOnly(framing);
		StreamingSource source = new StreamingSource(framing, end);
		this.customIntercept = (txn) -> source;
		try (Socket client = slowReader()) {
			client.getOutputStream().write(HttpWire.get("/si/big"));
			long stalledAt = awaitStall(source.produced::get);
			assertThat(stalledAt).as("bytes the intercept could write before the listener stopped reading it")
				.isLessThan(BOUND);
			assertWholeBody(client.getInputStream(), framing);
		}
		assertThat(source.ended).succeedsWithin(Duration.ofSeconds(10));
		eventually().untilAsserted(() -> assertThat(this.listener.completed()).hasSize(1));
	}

	@ParameterizedTest(name = "{0} body")
	@CsvSource({ "LENGTH", "CHUNKED", "CLOSE" })
	void slowClientStopsALargeOriginResponse(Framing framing) throws Exception {
		assumeEveryFramingOnEpollOnly(framing);
		AtomicLong produced = new AtomicLong();
		this.origin.behave((request, exchange) -> {
			exchange.out().write(HttpWire.ascii("HTTP/1.1 200 OK\r\n" + HttpWire.framingHeader(framing, SIZE) + "\r\n"));
			writeBody(framing, (bytes, offset, length) -> {
				exchange.out().write(bytes, offset, length);
				produced.addAndGet(length);
			});
			exchange.out().flush();
			return framing != Framing.CLOSE;
		});
		try (Socket client = slowReader()) {
			client.getOutputStream().write(HttpWire.get("/pt/big"));
			long stalledAt = awaitStall(produced::get);
			assertThat(stalledAt).as("bytes the origin could write before the listener stopped reading it")
				.isLessThan(BOUND);
			assertWholeBody(client.getInputStream(), framing);
		}
	}

	/**
	 * An intercept that closes as soon as its whole response is in the pair (WRITE_READY with an
	 * empty reader, the documented safe close), while the client reads nothing: when the response
	 * just fits in the buffers on the way, the listener gets the intercept's end of stream while
	 * part of the response still waits in its read buffer for the client. Once the client reads,
	 * every byte must arrive. The sizes that fit depend on the kernel's socket buffers, so the test
	 * measures how much a non-reading client lets through, then tries sizes up to that, 8 KiB apart.
	 */
	@ParameterizedTest(name = "{0} body")
	@CsvSource({ "LENGTH", "CHUNKED", "CLOSE" })
	void interceptThatClosesWhileTheClientIsNotReadingStillDeliversEverything(Framing framing) throws Exception {
		assumeEveryFramingOnEpollOnly(framing);
		StreamingSource probe = new StreamingSource(framing, ScriptedIntercept.End.CLOSE);
		this.customIntercept = (txn) -> probe;
		long capacity;
		try (Socket client = slowReader()) {
			client.getOutputStream().write(HttpWire.get("/si/probe"));
			capacity = awaitStall(probe.produced::get);
		}
		int tried = 0;
		for (long size = Math.max(8192, capacity - 512 * 1024); size <= capacity + 64 * 1024; size += 8 * 1024) {
			StreamingSource source = new StreamingSource(framing, ScriptedIntercept.End.CLOSE, (int) size);
			this.customIntercept = (txn) -> source;
			try (Socket client = slowReader()) {
				client.getOutputStream().write(HttpWire.get("/si/big"));
				BooleanSupplier stalled = quietFor(source.produced::get, Duration.ofMillis(500));
				await().atMost(Duration.ofSeconds(30))
					.pollInterval(Duration.ofMillis(5))
					.until(() -> source.ended.isDone() || stalled.getAsBoolean());
				boolean ended = source.ended.isDone();
				Message response = HttpWire.readResponse(new BufferedInputStream(client.getInputStream(), 1 << 16),
						"GET");
				assertThat(response).isNotNull();
				assertThat(response.status()).isEqualTo(200);
				assertThat(response.framing()).isEqualTo(framing);
				assertThat(response.body()).as("body of %s bytes", size).isEqualTo(Arrays.copyOf(BODY, (int) size));
				tried++;
				if (!ended) {
					break; // too big to fit: the intercept could not close before the client read
				}
			}
			assertThat(source.ended).succeedsWithin(Duration.ofSeconds(10));
		}
		assertThat(tried).isPositive();
	}

	// ---- helpers ----

	/** A client socket with a small receive buffer that reads nothing until the test reads. */
	private Socket slowReader() throws IOException {
		Socket socket = new Socket();
		socket.setReceiveBufferSize(64 * 1024);
		socket.connect(this.proxy.address());
		socket.setSoTimeout(30_000);
		return socket;
	}

	/**
	 * NIO runs each case with a Content-Length body only, which keeps its run short: body framing
	 * is the HTTP layer's business, above the transport, and the epoll run covers every framing.
	 */
	private void assumeEveryFramingOnEpollOnly(Framing framing) {
		assumeTrue(this.transport != TransportMode.NIO || framing == Framing.LENGTH,
				"NIO runs the Content-Length case of each backpressure test; epoll runs every framing");
	}

	private static void assertWholeBody(InputStream in, Framing framing) throws IOException {
		Message response = HttpWire.readResponse(new BufferedInputStream(in, 1 << 16), "GET");
		assertThat(response).isNotNull();
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.framing()).isEqualTo(framing);
		assertThat(response.body().length).as("body length").isEqualTo(SIZE);
		assertThat(sha256(response.body())).as("the body arrived intact").isEqualTo(BODY_SHA);
	}

	/** Waits until {@code progress} has not moved for half a second, and returns where it stopped. */
	static long awaitStall(LongSupplier progress) {
		BooleanSupplier quiet = quietFor(progress, Duration.ofMillis(500));
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> progress.getAsLong() > 0 && quiet.getAsBoolean());
		return progress.getAsLong();
	}

	/** True once {@code progress} has not moved for {@code quiet}, as seen by successive calls. */
	static BooleanSupplier quietFor(LongSupplier progress, Duration quiet) {
		long[] last = { -1 };
		long[] since = { System.nanoTime() };
		return () -> {
			long now = progress.getAsLong();
			if (now != last[0]) {
				last[0] = now;
				since[0] = System.nanoTime();
				return false;
			}
			return System.nanoTime() - since[0] >= quiet.toNanos();
		};
	}

	static byte[] pattern(int size) {
		byte[] bytes = new byte[size];
		for (int i = 0; i < size; i++) {
			bytes[i] = (byte) (i * 7 + (i >>> 11));
		}
		return bytes;
	}

	static String sha256(byte[] bytes) {
		return HexFormat.of().formatHex(digest().digest(bytes));
	}

	static MessageDigest digest() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@FunctionalInterface
	interface Sink {

		void write(byte[] bytes, int offset, int length) throws IOException;

	}

	/** Writes {@link #BODY} framed as {@code framing} (chunks of 64 KiB), in pieces. */
	static void writeBody(Framing framing, Sink sink) throws IOException {
		int piece = 64 * 1024;
		for (int at = 0; at < SIZE; at += piece) {
			int n = Math.min(piece, SIZE - at);
			if (framing == Framing.CHUNKED) {
				byte[] size = HttpWire.ascii(Integer.toHexString(n) + "\r\n");
				sink.write(size, 0, size.length);
			}
			sink.write(BODY, at, n);
			if (framing == Framing.CHUNKED) {
				sink.write(HttpWire.ascii("\r\n"), 0, 2);
			}
		}
		if (framing == Framing.CHUNKED) {
			byte[] last = HttpWire.ascii("0\r\n\r\n");
			sink.write(last, 0, last.length);
		}
	}

	/** A client that writes a request head and {@link #BODY} with non-blocking writes, on a thread of its own. */
	static final class NonBlockingUpload implements AutoCloseable {

		final AtomicLong written = new AtomicLong();

		final AtomicInteger zeroWrites = new AtomicInteger();

		private final SocketChannel channel;

		private final Selector selector;

		private final CompletableFuture<Void> done = new CompletableFuture<>();

		NonBlockingUpload(InetSocketAddress address, byte[] head) throws IOException {
			this.channel = SocketChannel.open(address);
			this.channel.configureBlocking(false);
			this.selector = Selector.open();
			this.channel.register(this.selector, SelectionKey.OP_WRITE);
			Thread thread = new Thread(() -> {
				try {
					write(head, 0, head.length);
					for (int at = 0; at < SIZE; at += 256 * 1024) {
						write(BODY, at, Math.min(256 * 1024, SIZE - at));
					}
					this.done.complete(null);
				}
				catch (Throwable ex) {
					this.done.completeExceptionally(ex);
				}
			}, "upload-writer");
			thread.setDaemon(true);
			thread.start();
		}

		private void write(byte[] bytes, int offset, int length) throws IOException {
			ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
			while (buffer.hasRemaining()) {
				int n = this.channel.write(buffer);
				if (n == 0) {
					this.zeroWrites.incrementAndGet();
					this.selector.select();
					this.selector.selectedKeys().clear();
				}
				else {
					this.written.addAndGet(n);
				}
			}
		}

		/** Waits for the whole upload to be written, then reads the response. */
		Message response() throws Exception {
			assertThat(this.done).succeedsWithin(Duration.ofSeconds(60));
			this.selector.close();
			this.channel.configureBlocking(true);
			this.channel.socket().setSoTimeout(30_000);
			Message response = HttpWire.readResponse(new BufferedInputStream(this.channel.socket().getInputStream()),
					"POST");
			assertThat(response).isNotNull();
			return response;
		}

		@Override
		public void close() throws IOException {
			this.selector.close();
			this.channel.close();
		}

	}

	/**
	 * A server intercept that reads nothing until the test opens it: its read buffer fills to the
	 * water mark and stays there. Once open, it reads the whole body, answers with its length and
	 * digest, waits for the listener's EOS, and closes.
	 */
	static final class GatedSink implements Continuation {

		static final int WATER_MARK = 64 * 1024;

		final AtomicLong bodyBytes = new AtomicLong();

		final CompletableFuture<Void> ended = new CompletableFuture<>();

		volatile long maxHeld;

		private final Lock mutex = new ReentrantLock();

		private final IOBuffer in = IOBuffer.create(WATER_MARK);

		private final IOBufferReader inReader = this.in.allocReader();

		private final IOBuffer out = IOBuffer.create();

		private final IOBufferReader outReader = this.out.allocReader();

		private final ByteArrayOutputStream head = new ByteArrayOutputStream();

		private final MessageDigest sha = digest();

		private final byte[] chunk = new byte[64 * 1024];

		private @Nullable VConn vconn;

		private @Nullable VIO readVio;

		private boolean open;

		private long contentLength = -1;

		private boolean responded;

		private boolean eos;

		private boolean written;

		@Override
		public Lock mutex() {
			return this.mutex;
		}

		void open() {
			this.mutex.lock();
			try {
				this.open = true;
				consume();
				this.readVio.reenable();
			}
			finally {
				this.mutex.unlock();
			}
		}

		@Override
		public void handleEvent(VConnEvent event, @Nullable Object data) {
			switch (event) {
				case NET_ACCEPT -> {
					this.vconn = (VConn) data;
					this.readVio = this.vconn.read(this, this.in, Long.MAX_VALUE);
				}
				case VCONN_READ_READY -> {
					this.maxHeld = Math.max(this.maxHeld, this.inReader.avail());
					if (this.open) {
						consume();
						((VIO) data).reenable();
					}
				}
				case VCONN_EOS -> {
					this.eos = true;
					if (this.written) {
						end();
					}
				}
				case VCONN_WRITE_READY -> {
				}
				case VCONN_WRITE_COMPLETE -> {
					this.written = true;
					if (this.eos) {
						end();
					}
				}
				default -> end();
			}
		}

		private void consume() {
			while (this.inReader.avail() > 0) {
				if (this.contentLength < 0) {
					byte[] one = new byte[1];
					this.inReader.read(one, 0, 1);
					this.head.write(one[0]);
					String text = HttpWire.text(this.head.toByteArray());
					if (text.endsWith("\r\n\r\n")) {
						String value = text.replaceAll("(?is).*content-length:\\s*([0-9]+).*", "$1");
						this.contentLength = Long.parseLong(value);
					}
					continue;
				}
				int n = (int) Math.min(this.chunk.length, Math.min(this.inReader.avail(), this.contentLength
						- this.bodyBytes.get()));
				if (n == 0) {
					break;
				}
				this.inReader.read(this.chunk, 0, n);
				this.sha.update(this.chunk, 0, n);
				this.bodyBytes.addAndGet(n);
			}
			if (!this.responded && this.contentLength >= 0 && this.bodyBytes.get() == this.contentLength) {
				this.responded = true;
				byte[] response = HttpWire.ascii("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Body-Length: "
						+ this.bodyBytes.get() + "\r\nX-Body-Sha256: " + HexFormat.of().formatHex(this.sha.digest())
						+ "\r\n\r\n");
				this.out.write(response);
				this.vconn.write(this, this.outReader, response.length);
			}
		}

		private void end() {
			this.vconn.close();
			this.in.close();
			this.out.close();
			this.ended.complete(null);
		}

	}

	/**
	 * A server intercept that answers with {@link #BODY}, producing it on demand: on each
	 * WRITE_READY it adds at most what keeps its write buffer under the water mark, so it can only
	 * produce as fast as the listener takes. After the last byte it waits for the listener's EOS
	 * or closes at once, as told.
	 */
	static final class StreamingSource implements Continuation {

		final AtomicLong produced = new AtomicLong();

		final CompletableFuture<Void> ended = new CompletableFuture<>();

		private final Lock mutex = new ReentrantLock();

		private final Framing framing;

		private final ScriptedIntercept.End end;

		private final IOBuffer in = IOBuffer.create();

		private final IOBufferReader inReader = this.in.allocReader();

		private final IOBuffer out = IOBuffer.create();

		private final IOBufferReader outReader = this.out.allocReader();

		private final ByteArrayOutputStream request = new ByteArrayOutputStream();

		private @Nullable VConn vconn;

		private @Nullable VIO writeVio;

		private int next;

		private boolean started;

		private boolean written;

		private boolean eos;

		private final int size;

		StreamingSource(Framing framing, ScriptedIntercept.End end) {
			this(framing, end, SIZE);
		}

		StreamingSource(Framing framing, ScriptedIntercept.End end, int size) {
			this.framing = framing;
			this.end = end;
			this.size = size;
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
					this.vconn.read(this, this.in, Long.MAX_VALUE);
				}
				case VCONN_READ_READY -> {
					byte[] bytes = new byte[(int) this.inReader.avail()];
					this.inReader.read(bytes, 0, bytes.length);
					this.request.writeBytes(bytes);
					((VIO) data).reenable();
					if (!this.started && HttpWire.text(this.request.toByteArray()).contains("\r\n\r\n")) {
						this.started = true;
						this.out.write(HttpWire.ascii("HTTP/1.1 200 OK\r\n" + HttpWire.framingHeader(this.framing, this.size)
								+ "\r\n"));
						fill();
						this.writeVio = this.vconn.write(this, this.outReader, Long.MAX_VALUE);
					}
				}
				case VCONN_EOS -> {
					this.eos = true;
					if (this.written) {
						finish();
					}
				}
				case VCONN_WRITE_READY -> {
					fill();
					if (this.next >= this.size && this.outReader.avail() == 0) {
						// everything moved into the pair: nothing more to write
						this.written = true;
						if (this.end == ScriptedIntercept.End.CLOSE || this.eos) {
							finish();
						}
						return;
					}
					((VIO) data).reenable();
				}
				default -> finish();
			}
		}

		/** Adds more of the body while the write buffer is below its water mark. */
		private void fill() {
			while (this.next < this.size && !this.out.isHighWater()) {
				int n = Math.min(16 * 1024, this.size - this.next);
				if (this.framing == Framing.CHUNKED) {
					this.out.write(HttpWire.ascii(Integer.toHexString(n) + "\r\n"));
				}
				this.out.write(BODY, this.next, n);
				if (this.framing == Framing.CHUNKED) {
					this.out.write(HttpWire.ascii("\r\n"));
				}
				this.next += n;
				this.produced.addAndGet(n);
				if (this.next >= this.size && this.framing == Framing.CHUNKED) {
					this.out.write(HttpWire.ascii("0\r\n\r\n"));
				}
			}
		}

		private void finish() {
			if (this.ended.isDone()) {
				return;
			}
			this.vconn.close();
			this.in.close();
			this.out.close();
			this.ended.complete(null);
		}

	}

}
