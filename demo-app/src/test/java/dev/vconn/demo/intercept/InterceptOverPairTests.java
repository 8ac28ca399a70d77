package dev.vconn.demo.intercept;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.stream.Stream;

import dev.vconn.CloseKind;
import dev.vconn.Continuation;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnListener;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;
import dev.vconn.demo.NettyLeakCheck;
import dev.vconn.demo.origin.EmbeddedOrigin;
import dev.vconn.demo.origin.Origin;
import dev.vconn.demo.origin.OriginContent;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The intercept's continuations driven through a {@link VConnPair}, with the test playing the
 * listener on the active end: what a server intercept does, without the listener. The origin is
 * the embedded one, on a free port.
 */
@ExtendWith(NettyLeakCheck.class)
@Timeout(60)
class InterceptOverPairTests {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private final MeterRegistry meters = new SimpleMeterRegistry();

	private final Aborts aborts = new Aborts();

	private VConnRuntime runtime;

	private EmbeddedOrigin origin;

	private ExecutorService connector;

	@BeforeEach
	void start() {
		this.runtime = VConnRuntime.builder().eventThreads(2).addListener(this.aborts).build();
		this.origin = new EmbeddedOrigin(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2);
		this.origin.start();
		this.connector = Executors.newFixedThreadPool(2);
	}

	@AfterEach
	void stop() throws Exception {
		this.connector.shutdownNow();
		this.origin.stop();
		this.runtime.close();
	}

	@ParameterizedTest
	@EnumSource(Style.class)
	void smallResponseComesBackWhole(Style style) {
		PairClient.Response response = exchange(style, this.origin, get("/")).join();

		assertThat(response.end()).isEqualTo(VConnEvent.VCONN_EOS);
		assertThat(response.head()).startsWith("HTTP/1.1 200").containsIgnoringCase("X-Origin: vconn-demo");
		assertThat(response.bodyText()).isEqualTo(EmbeddedOrigin.ROOT_TEXT);
		assertThat(connects(style, "success")).isEqualTo(1);
		await().atMost(WAIT).until(() -> this.runtime.activeCount() == 0);
	}

	@ParameterizedTest
	@EnumSource(Style.class)
	void oneMebibyteComesBackByteForByte(Style style) throws Exception {
		PairClient.Response response = exchange(style, this.origin, get("/1m")).join();

		assertThat(response.end()).isEqualTo(VConnEvent.VCONN_EOS);
		assertThat(response.bodyLength()).isEqualTo(EmbeddedOrigin.ONE_MIB);
		assertThat(response.sha256()).isEqualTo(sha256(OriginContent.bytes(EmbeddedOrigin.ONE_MIB)));
	}

	@ParameterizedTest
	@EnumSource(Style.class)
	void echoedBodyComesBackByteForByte(Style style) throws Exception {
		byte[] body = new byte[300 * 1024];
		new Random(42).nextBytes(body);
		byte[] head = ("POST /echo HTTP/1.1\r\nHost: origin\r\nContent-Type: application/octet-stream\r\n"
				+ "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
			.getBytes(StandardCharsets.ISO_8859_1);
		byte[] request = new byte[head.length + body.length];
		System.arraycopy(head, 0, request, 0, head.length);
		System.arraycopy(body, 0, request, head.length, body.length);

		PairClient.Response response = exchange(style, this.origin, request).join();

		assertThat(response.head()).startsWith("HTTP/1.1 200").containsIgnoringCase("X-Echo-Method: POST");
		assertThat(response.body()).isEqualTo(body);
	}

	@ParameterizedTest
	@EnumSource(Style.class)
	void clientClosingAfterAKeepAliveResponseClosesBothSides(Style style) {
		String keepAlive = "GET / HTTP/1.1\r\nHost: origin\r\n\r\n";
		VConnPair pair = VConnPair.create(this.runtime);
		PairClient client = new PairClient(pair.active()).closeAfterBody(EmbeddedOrigin.ROOT_TEXT.length());
		accept(newIntercept(style, this.origin), pair.passive());
		PairClient.Response response = client.send(keepAlive).response().join();

		assertThat(response.bodyText()).isEqualTo(EmbeddedOrigin.ROOT_TEXT);
		// the intercept reads end of stream and closes its end and the origin's
		await().atMost(WAIT).until(() -> this.runtime.activeCount() == 0);
	}

	@Test
	void slowClientKeepsTheInterceptsBuffersBounded() throws Exception {
		VConnPair pair = VConnPair.create(this.runtime);
		PairClient client = new PairClient(pair.active());
		client.hold();
		accept(newIntercept(Style.VIO, this.origin), pair.passive());
		client.send(get("/large"));

		// nothing is consumed: the origin's VConn stops reading once every buffer on the way is full
		await().atMost(WAIT).until(() -> originVConn().isPresent());
		VConn server = originVConn().orElseThrow();
		AtomicLong last = new AtomicLong(-1);
		await().atMost(WAIT)
			.pollInterval(Duration.ofMillis(200))
			.until(() -> last.getAndSet(server.bytesIn()) == server.bytesIn() && server.bytesIn() > 0);
		assertThat(server.bytesIn()).as("bytes read from the origin while the client reads nothing")
			.isLessThan(1024 * 1024);

		client.release();
		PairClient.Response response = client.response().get(WAIT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.bodyLength()).isEqualTo(EmbeddedOrigin.LARGE);
		assertThat(response.sha256()).isEqualTo(largeSha256());
	}

	@Test
	void vioStyleAdoptsTheOriginSocketOnTheClientVConnsEventThread() throws Exception {
		for (int i = 0; i < 4; i++) {
			VConnPair pair = VConnPair.create(this.runtime);
			PairClient client = new PairClient(pair.active());
			client.hold(); // keeps the origin's VConn open while we look at it
			accept(newIntercept(Style.VIO, this.origin), pair.passive());
			client.send(get("/1m"));

			await().atMost(WAIT).until(() -> originVConn().isPresent());
			VConn server = originVConn().orElseThrow();
			assertThat(threadOf(server)).as("exchange %d: the origin VConn's event thread", i)
				.isSameAs(threadOf(pair.passive()));

			client.release();
			assertThat(client.response()).succeedsWithin(WAIT)
				.satisfies((response) -> assertThat(response.bodyLength()).isEqualTo(EmbeddedOrigin.ONE_MIB));
			await().atMost(WAIT).until(() -> this.runtime.activeCount() == 0);
		}
	}

	@ParameterizedTest
	@EnumSource(Style.class)
	void originDownAbortsTheClientVConn(Style style) {
		this.origin.stop();

		PairClient.Response response = exchange(style, this.origin, get("/")).join();

		assertThat(response.end()).isEqualTo(VConnEvent.ERROR);
		assertThat(response.bodyLength()).isZero();
		assertThat(connects(style, "failure")).isEqualTo(1);
		// the client's end sees the error as the intercept aborts its end, a moment before the abort is counted
		await().atMost(WAIT).untilAsserted(() -> assertThat(this.aborts.byCause(CloseKind.API)).isEqualTo(1));
		await().atMost(WAIT).until(() -> this.runtime.activeCount() == 0);
	}

	@Test
	void failedAdoptionAbortsTheClientVConnAndClosesTheDescriptor() throws Exception {
		try (VConnRuntime full = VConnRuntime.builder().eventThreads(1).maxConnections(1).build();
				ServerSocketChannel server = ServerSocketChannel.open()
					.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
				SocketChannel held = SocketChannel.open(server.getLocalAddress());
				SocketChannel peer = server.accept()) {
			// the only connection slot is taken, so fdCreate returns null for the origin socket
			VConn slot = full.factory().fdCreate(held);
			assertThat(slot).isNotNull();
			long descriptors = openDescriptors();
			VConnPair pair = VConnPair.create(full);
			InterceptSettings settings = settings(full, this.origin, Style.VIO);
			PairClient client = new PairClient(pair.active());
			accept(new VioIntercept(settings), pair.passive());

			PairClient.Response response = client.send(get("/")).response().join();

			assertThat(response.end()).isEqualTo(VConnEvent.ERROR);
			assertThat(connects(Style.VIO, "success")).isEqualTo(1);
			await().atMost(WAIT).until(() -> openDescriptors() <= descriptors);
			slot.close();
		}
	}

	@Test
	void vioStyleWaitsOnAConnectorThreadForAConnectNotMadeAtOnce() throws Exception {
		try (BackloggedOrigin backlogged = new BackloggedOrigin()) {
			CompletableFuture<Void> waiting = new CompletableFuture<>();
			Executor connector = (task) -> {
				waiting.complete(null);
				this.connector.execute(task);
			};
			InterceptSettings settings = new InterceptSettings(this.runtime.factory(), connector,
					backlogged::address, Duration.ofSeconds(20), Duration.ofSeconds(30),
					new OriginConnects(this.meters, Style.VIO));
			VConnPair pair = VConnPair.create(this.runtime);
			PairClient client = new PairClient(pair.active());
			accept(new VioIntercept(settings), pair.passive());
			client.send(get("/"));
			assertThat(waiting).succeedsWithin(WAIT);

			// room in the queue: the origin takes the connect when its SYN comes again
			backlogged.drain();
			try (SocketChannel served = backlogged.acceptWithin(WAIT)) {
				backlogged.answer(served, "made late");
			}

			PairClient.Response response = client.response().get(WAIT.toSeconds(), TimeUnit.SECONDS);
			assertThat(response.head()).startsWith("HTTP/1.1 200");
			assertThat(response.bodyText()).isEqualTo("made late");
			assertThat(connects(Style.VIO, "success")).isEqualTo(1);
			await().atMost(WAIT).until(() -> this.runtime.activeCount() == 0);
		}
	}

	@Test
	void vioStyleGivesUpAConnectNotMadeWithinTheTimeout() throws Exception {
		try (BackloggedOrigin backlogged = new BackloggedOrigin()) {
			long descriptors = openDescriptors();
			InterceptSettings settings = new InterceptSettings(this.runtime.factory(), this.connector,
					backlogged::address, Duration.ofMillis(200), Duration.ofSeconds(30),
					new OriginConnects(this.meters, Style.VIO));
			VConnPair pair = VConnPair.create(this.runtime);
			PairClient client = new PairClient(pair.active());
			accept(new VioIntercept(settings), pair.passive());

			PairClient.Response response = client.send(get("/")).response().get(WAIT.toSeconds(), TimeUnit.SECONDS);

			assertThat(response.end()).isEqualTo(VConnEvent.ERROR);
			assertThat(response.bodyLength()).isZero();
			assertThat(connects(Style.VIO, "failure")).isEqualTo(1);
			assertThat(connects(Style.VIO, "success")).isZero();
			await().atMost(WAIT).until(() -> this.runtime.activeCount() == 0);
			// the pair's two VConns hold no descriptor: only the socket that never connected could leak
			await().atMost(WAIT).until(() -> openDescriptors() <= descriptors);
		}
	}

	@ParameterizedTest
	@EnumSource(Style.class)
	void silentOriginTimesOutAndBothSidesClose(Style style) throws Exception {
		try (ServerSocketChannel silent = ServerSocketChannel.open()
			.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
			InetSocketAddress address = (InetSocketAddress) silent.getLocalAddress();
			Origin silentOrigin = () -> address;
			VConnPair pair = VConnPair.create(this.runtime);
			PairClient client = new PairClient(pair.active());
			InterceptSettings settings = new InterceptSettings(this.runtime.factory(), this.connector, silentOrigin,
					Duration.ofSeconds(5), Duration.ofMillis(300), new OriginConnects(this.meters, style));
			accept((style == Style.VIO) ? new VioIntercept(settings) : new TunnelIntercept(settings),
					pair.passive());

			PairClient.Response response = client.send(get("/")).response().join();

			assertThat(response.bodyLength()).isZero();
			await().atMost(WAIT).until(() -> this.runtime.activeCount() == 0);
		}
	}

	private CompletableFuture<PairClient.Response> exchange(Style style, Origin origin,
			byte[] request) {
		VConnPair pair = VConnPair.create(this.runtime);
		PairClient client = new PairClient(pair.active());
		accept(newIntercept(style, origin), pair.passive());
		return client.send(request).response();
	}

	private Continuation newIntercept(Style style, Origin origin) {
		InterceptSettings settings = settings(this.runtime, origin, style);
		return (style == Style.VIO) ? new VioIntercept(settings) : new TunnelIntercept(settings);
	}

	private InterceptSettings settings(VConnRuntime runtime, Origin origin, Style style) {
		return new InterceptSettings(runtime.factory(), this.connector, origin, Duration.ofSeconds(5),
				Duration.ofSeconds(30), new OriginConnects(this.meters, style));
	}

	/** What the listener does: NET_ACCEPT with the passive end, holding the continuation's mutex. */
	private static void accept(Continuation intercept, VConn passive) {
		Lock mutex = intercept.mutex();
		mutex.lock();
		try {
			intercept.handleEvent(VConnEvent.NET_ACCEPT, passive);
		}
		finally {
			mutex.unlock();
		}
	}

	private Optional<VConn> originVConn() {
		return this.runtime.vconns().stream().filter((vconn) -> vconn.fd() >= 0).findFirst();
	}

	private static Thread threadOf(VConn vconn) throws Exception {
		CompletableFuture<Thread> thread = new CompletableFuture<>();
		vconn.eventThread().execute(() -> thread.complete(Thread.currentThread()));
		return thread.get(WAIT.toSeconds(), TimeUnit.SECONDS);
	}

	private double connects(Style style, String outcome) {
		return this.meters.get(OriginConnects.NAME)
			.tag("outcome", outcome)
			.tag("style", style.name().toLowerCase(Locale.ROOT))
			.counter()
			.count();
	}

	private static byte[] get(String path) {
		return ("GET " + path + " HTTP/1.1\r\nHost: origin\r\nConnection: close\r\n\r\n")
			.getBytes(StandardCharsets.ISO_8859_1);
	}

	private static String sha256(byte[] bytes) throws Exception {
		return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
	}

	private static String largeSha256() throws Exception {
		MessageDigest digest = MessageDigest.getInstance("SHA-256");
		byte[] chunk = new byte[64 * 1024];
		for (long at = 0; at < EmbeddedOrigin.LARGE; at += chunk.length) {
			OriginContent.fill(at, chunk, 0, chunk.length);
			digest.update(chunk);
		}
		return HexFormat.of().formatHex(digest.digest());
	}

	private static long openDescriptors() throws IOException {
		try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
			return fds.count();
		}
	}

	/**
	 * A loopback listener whose accept queue is full (backlog 1, two connections waiting): the
	 * kernel drops the SYN of any further connect, which stays in progress until the queue has room
	 * and the SYN is sent again (after a second).
	 */
	private static final class BackloggedOrigin implements AutoCloseable {

		final ServerSocketChannel server;

		private final List<SocketChannel> queued = new ArrayList<>();

		BackloggedOrigin() throws IOException {
			this.server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
			for (int i = 0; i < 2; i++) {
				this.queued.add(SocketChannel.open(this.server.getLocalAddress()));
			}
		}

		InetSocketAddress address() {
			try {
				return (InetSocketAddress) this.server.getLocalAddress();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		/** Accepts and closes the connections that filled the queue. */
		void drain() throws IOException {
			for (int i = 0; i < this.queued.size(); i++) {
				this.server.accept().close();
			}
		}

		/** The next connection, once it is made; fails if none is made in time. */
		SocketChannel acceptWithin(Duration timeout) throws IOException {
			this.server.configureBlocking(false);
			try (Selector selector = Selector.open()) {
				this.server.register(selector, SelectionKey.OP_ACCEPT);
				if (selector.select(timeout.toMillis()) == 0) {
					throw new IOException("no connection within " + timeout);
				}
			}
			SocketChannel accepted = this.server.accept();
			accepted.configureBlocking(true);
			return accepted;
		}

		/** Reads a request head from {@code served} and answers it with {@code body}. */
		void answer(SocketChannel served, String body) throws IOException {
			ByteBuffer in = ByteBuffer.allocate(4096);
			while (!new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
				if (served.read(in) < 0) {
					throw new IOException("the intercept closed before its request head was read");
				}
			}
			served.write(ByteBuffer.wrap(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length()
					+ "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1)));
		}

		@Override
		public void close() throws IOException {
			for (SocketChannel channel : this.queued) {
				channel.close();
			}
			this.server.close();
		}

	}

	/** Counts aborts by cause. */
	static final class Aborts implements VConnListener {

		private final Map<CloseKind, AtomicLong> counts = new ConcurrentHashMap<>();

		@Override
		public void onAborted(VConn vconn, CloseKind cause, int error) {
			this.counts.computeIfAbsent(cause, (key) -> new AtomicLong()).incrementAndGet();
		}

		long byCause(CloseKind cause) {
			AtomicLong count = this.counts.get(cause);
			return (count != null) ? count.get() : 0;
		}

	}

}
