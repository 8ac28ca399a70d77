package dev.vconn.intercept;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vconn.Transport;
import dev.vconn.TunnelResult;
import dev.vconn.VConnListener;
import dev.vconn.VConnRuntime;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two runtimes in one JVM, each with its intercept listener, as a running instance and its
 * successor: the successor takes the listening socket and every keep-alive client connection over
 * while clients keep sending, and the clients notice nothing.
 */
@Timeout(60)
class VConnHandoffTests {

	private static final int KEEP_ALIVE_CLIENTS = 20;

	@TempDir
	Path directory;

	private dev.vconn.testing.TestOrigin origin;

	private final List<VConnRuntime> runtimes = new ArrayList<>();

	private final List<AutoCloseable> closeables = new ArrayList<>();

	private final RecordingHandoffObserver observer = new RecordingHandoffObserver();

	private final List<String> counted = this.observer.counted;

	@BeforeEach
	void origin() throws IOException {
		assumeTrue(Epoll.isAvailable(), "a takeover needs the epoll transport");
		this.origin = new dev.vconn.testing.TestOrigin();
	}

	@AfterEach
	void stop() throws Exception {
		for (int i = this.closeables.size() - 1; i >= 0; i--) {
			this.closeables.get(i).close();
		}
		for (VConnRuntime runtime : this.runtimes) {
			runtime.close(Duration.ofSeconds(5));
		}
		if (this.origin != null) {
			this.origin.close();
		}
	}

	@Test
	void theSuccessorTakesTheListenerAndEveryKeepAliveConnectionWhileClientsKeepSending() throws Exception {
		Path path = this.directory.resolve("handoff.sock");
		VConnRuntime runtimeA = runtime();
		InterceptListener listenerA = listener(runtimeA).start();
		CountDownLatch handedOver = new CountDownLatch(1);
		VConnHandoff offerA = VConnHandoff.builder(path).observer(this.observer).offer(listenerA, handedOver::countDown);
		this.closeables.add(offerA);
		InetSocketAddress address = listenerA.address();

		try (Traffic traffic = new Traffic(address)) {
			traffic.awaitRequestsPerClient(3);

			VConnRuntime runtimeB = runtime();
			InterceptListener listenerB = VConnHandoff.builder(path).observer(this.observer).takeOver(listener(runtimeB));
			assertThat(listenerB).isNotNull();
			this.closeables.add(listenerB);
			assertThat(listenerB.address()).isEqualTo(address);
			assertThat(handedOver.await(20, TimeUnit.SECONDS)).isTrue();
			assertThat(offerA.state()).isEqualTo(VConnHandoff.State.HANDED_OVER);

			// the running instance goes away entirely: whatever is answered from now on, B answers
			listenerA.close();
			runtimeA.close(Duration.ofSeconds(5));
			assertThat(runtimeA.isRunning()).isFalse();
			traffic.awaitRequestsPerClient(traffic.minimum() + 3);
			traffic.awaitNewConnections(traffic.newConnections.get() + 20);
		}
		assertThat(this.counted).contains("OUT LISTENER SUCCESS none", "IN LISTENER SUCCESS none");
		assertThat(this.counted.stream().filter("OUT CONNECTION SUCCESS none"::equals).count())
			.isGreaterThanOrEqualTo(KEEP_ALIVE_CLIENTS);
		assertThat(this.counted.stream().filter("IN CONNECTION SUCCESS none"::equals).count())
			.isGreaterThanOrEqualTo(KEEP_ALIVE_CLIENTS);
		assertThat(this.counted).allMatch((line) -> line.contains("SUCCESS"));
	}

	@ParameterizedTest(name = "successor with {0} event thread(s)")
	@ValueSource(ints = { 1, 2, 3 })
	void aListenerWithASocketPerLoopHandsEverySocketOverAndTheSuccessorServesThemAll(int successorThreads)
			throws Exception {
		Path path = this.directory.resolve("handoff.sock");
		VConnRuntime runtimeA = runtime(2);
		InterceptListener listenerA = listener(runtimeA).start();
		InetSocketAddress address = listenerA.address();
		assertThat(ListenerSocketPerLoopTests.listeningSockets(address.getPort())).isEqualTo(2);
		CountDownLatch handedOver = new CountDownLatch(1);
		this.closeables.add(VConnHandoff.builder(path).observer(this.observer).offer(listenerA, handedOver::countDown));

		try (Traffic traffic = new Traffic(address)) {
			traffic.awaitRequestsPerClient(3);
			InterceptListener listenerB = VConnHandoff.builder(path)
				.observer(this.observer)
				.takeOver(listener(runtime(successorThreads)));
			assertThat(listenerB).isNotNull();
			this.closeables.add(listenerB);
			assertThat(handedOver.await(20, TimeUnit.SECONDS)).isTrue();
			// A's copies go: both sockets stay open, held and served by B alone
			listenerA.close();
			runtimeA.close(Duration.ofSeconds(5));
			assertThat(ListenerSocketPerLoopTests.listeningSockets(address.getPort())).isEqualTo(2);
			// connections land on both sockets (the kernel hashes each to one): every one is answered
			traffic.awaitNewConnections(traffic.newConnections.get() + 60);
			traffic.awaitRequestsPerClient(traffic.minimum() + 3);
		}
		assertThat(this.counted.stream().filter("OUT LISTENER SUCCESS none"::equals).count()).isEqualTo(2);
		assertThat(this.counted.stream().filter("IN LISTENER SUCCESS none"::equals).count()).isEqualTo(2);
		assertThat(this.counted).allMatch((line) -> line.contains("SUCCESS"));
	}

	@Test
	void aConnectionBusyWithAResponseGoesOverWithItsPipelinedRequestWhichTheSuccessorAnswers() throws Exception {
		Path path = this.directory.resolve("handoff.sock");
		VConnRuntime runtimeA = runtime();
		List<String> servedByA = new CopyOnWriteArrayList<>();
		InterceptListener listenerA = listener(runtimeA).addObserver(targets(servedByA)).start();
		CountDownLatch handedOver = new CountDownLatch(1);
		this.closeables.add(VConnHandoff.builder(path).observer(this.observer).offer(listenerA, handedOver::countDown));
		String big = "/big/cl/16000000";
		try (Socket client = new Socket()) {
			// a small window: the large response stays in flight while the client does not read
			client.setReceiveBufferSize(64 * 1024);
			client.connect(listenerA.address(), 5000);
			client.setSoTimeout(20_000);
			OutputStream out = client.getOutputStream();
			InputStream in = client.getInputStream();
			// the large response, and two requests already sent behind it (pipelined), the second with a
			// body, and the start of a third whose head is not complete yet: all in A's first read
			String body = "x".repeat(300);
			out.write(RawHttp.ascii("GET " + big + " HTTP/1.1\r\nHost: t\r\n\r\n"
					+ "GET /echo/pipelined HTTP/1.1\r\nHost: t\r\n\r\n"
					+ "POST /echo/posted HTTP/1.1\r\nHost: t\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
					+ "GET /echo/split HTTP/1.1\r\nHo"));
			out.flush();
			await().atMost(Duration.ofSeconds(10)).until(() -> this.origin.requests().size() == 1);

			List<String> servedByB = new CopyOnWriteArrayList<>();
			InterceptListener listenerB = VConnHandoff.builder(path).observer(this.observer)
				.takeOver(listener(runtime()).addObserver(targets(servedByB)));
			assertThat(listenerB).isNotNull();
			this.closeables.add(listenerB);
			assertThat(handedOver.getCount()).as("A keeps the busy connection until it is idle").isEqualTo(1);

			RawHttp.Response first = RawHttp.read(in);
			assertThat(first.complete()).isTrue();
			assertThat(first.headers()).containsEntry("x-target", big);
			assertThat(first.body()).isEqualTo(dev.vconn.testing.HttpWire.body(big, 16_000_000));
			// the rest of the third head comes only now, after A let the connection go
			assertThat(handedOver.await(20, TimeUnit.SECONDS)).isTrue();
			out.write(RawHttp.ascii("st: t\r\n\r\n"));
			out.flush();
			RawHttp.Response pipelined = RawHttp.read(in);
			assertThat(pipelined.headers()).containsEntry("x-target", "/echo/pipelined").doesNotContainEntry("connection", "close");
			RawHttp.Response posted = RawHttp.read(in);
			assertThat(posted.headers()).containsEntry("x-target", "/echo/posted");
			assertThat(posted.headers()).containsEntry("x-request-body-length", Integer.toString(body.length()));
			assertThat(this.origin.requests()).filteredOn((received) -> received.target().equals("/echo/posted"))
				.singleElement()
				.satisfies((received) -> assertThat(received.body()).isEqualTo(RawHttp.ascii(body)));
			RawHttp.Response split = RawHttp.read(in);
			assertThat(split.headers()).containsEntry("x-target", "/echo/split");
			assertThat(servedByA).containsExactly("GET " + big);
			assertThat(servedByB).containsExactly("GET /echo/pipelined", "POST /echo/posted", "GET /echo/split");
			assertThat(this.counted).contains("OUT CONNECTION SUCCESS none", "IN CONNECTION SUCCESS none");

			// A is gone: the same connection goes on with B
			listenerA.close();
			runtimeA.close(Duration.ofSeconds(5));
			out.write(RawHttp.ascii("GET /after HTTP/1.1\r\nHost: t\r\n\r\n"));
			out.flush();
			RawHttp.Response after = RawHttp.read(in);
			assertThat(after.status()).isEqualTo(200);
			assertThat(after.headers()).containsEntry("x-target", "/after");
			assertThat(servedByB).endsWith("GET /after");
		}
	}

	/** An observer that records the method and target of each transaction its listener starts. */
	private static InterceptObserver targets(List<String> served) {
		return new InterceptObserver() {
			@Override
			public TransactionObserver onTransactionStarted(Transaction txn) {
				served.add(txn.method() + " " + txn.target());
				return TransactionObserver.noop();
			}
		};
	}

	@ParameterizedTest(name = "splice={0}")
	@ValueSource(booleans = { true, false })
	void aTunnelStreamingBothWaysGoesOverWithEveryByteInOrder(boolean splice) throws Exception {
		Path path = this.directory.resolve("handoff.sock");
		List<TunnelResult> endedInA = new CopyOnWriteArrayList<>();
		VConnRuntime runtimeA = VConnRuntime.builder().transport(Transport.EPOLL).eventThreads(1)
			.shutdownTimeout(Duration.ofSeconds(5)).addListener(new VConnListener() {
				@Override
				public void onTunnelEnded(TunnelResult result) {
					endedInA.add(result);
				}
			}).build();
		this.runtimes.add(runtimeA);
		try (dev.vconn.testing.TestOrigin echo = new dev.vconn.testing.TestOrigin(new dev.vconn.testing.StreamingRoutes())) {
			InterceptListener listenerA = tunnels(runtimeA, echo, splice).start();
			CountDownLatch handedOver = new CountDownLatch(1);
			this.closeables.add(VConnHandoff.builder(path).observer(this.observer).offer(listenerA, handedOver::countDown));
			try (Socket client = new Socket(); EchoStream stream = new EchoStream(client, listenerA.address())) {
				stream.awaitEchoed(1 << 20);

				InterceptListener listenerB = VConnHandoff.builder(path).observer(this.observer)
					.takeOver(tunnels(runtime(), echo, splice));
				assertThat(listenerB).isNotNull();
				this.closeables.add(listenerB);
				assertThat(handedOver.await(20, TimeUnit.SECONDS)).isTrue();
				assertThat(this.counted).contains("OUT TUNNEL SUCCESS none", "IN TUNNEL SUCCESS none");
				await().atMost(Duration.ofSeconds(10)).until(() -> endedInA.size() == 1);
				assertThat(endedInA.get(0).end()).isEqualTo(TunnelResult.End.HANDED_OVER);

				// A is gone: the stream goes on through B alone
				listenerA.close();
				runtimeA.close(Duration.ofSeconds(5));
				long echoed = stream.echoed();
				stream.awaitEchoed(echoed + (4 << 20));
				stream.finish();
			}
		}
		assertThat(this.counted).allMatch((line) -> line.contains("SUCCESS"));
	}

	@Test
	void aTunnelTheSuccessorCannotServeGoesOnInTheRunningInstanceWithEveryByteInOrder() throws Exception {
		Path path = this.directory.resolve("handoff.sock");
		VConnRuntime runtimeA = runtime();
		try (dev.vconn.testing.TestOrigin echo = new dev.vconn.testing.TestOrigin(new dev.vconn.testing.StreamingRoutes())) {
			InterceptListener listenerA = tunnels(runtimeA, echo, true).start();
			this.closeables.add(listenerA);
			CountDownLatch handedOver = new CountDownLatch(1);
			this.closeables.add(VConnHandoff.builder(path).observer(this.observer).drain(Duration.ofSeconds(2))
				.offer(listenerA, handedOver::countDown));
			try (Socket client = new Socket(); EchoStream stream = new EchoStream(client, listenerA.address())) {
				stream.awaitEchoed(1 << 20);
				// room for one connection: a tunnel needs two, so the successor refuses it
				VConnRuntime small = VConnRuntime.builder().transport(Transport.EPOLL).eventThreads(1).maxConnections(1)
					.shutdownTimeout(Duration.ofSeconds(5)).build();
				this.runtimes.add(small);
				InterceptListener listenerB = VConnHandoff.builder(path).observer(this.observer)
					.takeOver(tunnels(small, echo, true));
				assertThat(listenerB).isNotNull();
				this.closeables.add(listenerB);
				await().atMost(Duration.ofSeconds(10))
					.until(() -> this.counted.containsAll(List.of("OUT TUNNEL FAILED adoption", "IN TUNNEL FAILED adoption")));
				// the running instance still carries the stream, the bytes it held first
				long echoed = stream.echoed();
				stream.awaitEchoed(echoed + (4 << 20));
				assertThat(handedOver.await(10, TimeUnit.SECONDS)).as("the listener is handed over all the same").isTrue();
				stream.finish();
			}
		}
	}

	private InterceptListener.Builder tunnels(VConnRuntime runtime, dev.vconn.testing.TestOrigin echo, boolean splice) {
		return InterceptListener.builder(runtime, new InterceptHookRegistry())
			.perTransaction(false)
			.splice(splice)
			.port(0)
			.origin(echo.address());
	}

	/**
	 * A client streaming a pseudo-random payload through a tunnel to the origin's {@code /stream},
	 * which sends every byte back: a writer thread sends until told to finish, a reader thread checks
	 * each echoed byte against the payload as it comes, so a byte lost, duplicated or reordered in
	 * either direction fails the test.
	 */
	static final class EchoStream implements AutoCloseable {

		private static final long SEED = 42;

		private static final int CHUNK = 16 * 1024;

		private final Socket socket;

		private final AtomicBoolean finishing = new AtomicBoolean();

		private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();

		private final java.util.concurrent.atomic.AtomicLong echoed = new java.util.concurrent.atomic.AtomicLong();

		private final java.util.concurrent.CompletableFuture<Long> writer = new java.util.concurrent.CompletableFuture<>();

		private final java.util.concurrent.CompletableFuture<Long> reader = new java.util.concurrent.CompletableFuture<>();

		EchoStream(Socket socket, InetSocketAddress address) throws IOException {
			this.socket = socket;
			socket.connect(address, 5000);
			socket.setSoTimeout(20_000);
			socket.getOutputStream().write(RawHttp.ascii("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n"));
			byte[] head = dev.vconn.testing.StreamingRoutes.readHead(socket.getInputStream());
			assertThat(head).isNotNull();
			assertThat(new String(head, java.nio.charset.StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200 ");
			Thread write = new Thread(this::write, "echo-writer");
			Thread read = new Thread(this::read, "echo-reader");
			write.setDaemon(true);
			read.setDaemon(true);
			write.start();
			read.start();
		}

		private void write() {
			java.util.SplittableRandom random = new java.util.SplittableRandom(SEED);
			byte[] chunk = new byte[CHUNK];
			try {
				OutputStream out = this.socket.getOutputStream();
				while (!this.finishing.get()) {
					dev.vconn.testing.Payload.fill(random, chunk, chunk.length);
					out.write(chunk);
					this.sent.addAndGet(chunk.length);
				}
				this.socket.shutdownOutput();
				this.writer.complete(this.sent.get());
			}
			catch (IOException ex) {
				this.writer.completeExceptionally(ex);
			}
		}

		private void read() {
			// the payload as the writer makes it, chunk by chunk, compared with what comes back
			java.util.SplittableRandom random = new java.util.SplittableRandom(SEED);
			byte[] expected = new byte[CHUNK];
			int at = CHUNK;
			byte[] got = new byte[64 * 1024];
			try {
				InputStream in = this.socket.getInputStream();
				for (int n = in.read(got); n >= 0; n = in.read(got)) {
					for (int i = 0; i < n;) {
						if (at == CHUNK) {
							dev.vconn.testing.Payload.fill(random, expected, CHUNK);
							at = 0;
						}
						int length = Math.min(n - i, CHUNK - at);
						if (!java.util.Arrays.equals(expected, at, at + length, got, i, i + length)) {
							throw new IOException("a wrong byte after " + (this.echoed.get() + i) + " bytes echoed correctly");
						}
						at += length;
						i += length;
					}
					this.echoed.addAndGet(n);
				}
				this.reader.complete(this.echoed.get());
			}
			catch (IOException ex) {
				this.reader.completeExceptionally(ex);
			}
		}

		long echoed() {
			return this.echoed.get();
		}

		void awaitEchoed(long bytes) {
			await().atMost(Duration.ofSeconds(30))
				.until(() -> this.echoed.get() >= bytes || this.reader.isDone() || this.writer.isDone());
			assertThat(this.reader).isNotDone();
			assertThat(this.writer).isNotDone();
		}

		/** Stops sending, and checks that every byte sent came back, in order, before the end of stream. */
		void finish() {
			this.finishing.set(true);
			assertThat(this.writer).succeedsWithin(Duration.ofSeconds(20));
			assertThat(this.reader).succeedsWithin(Duration.ofSeconds(20)).isEqualTo(this.writer.join());
		}

		@Override
		public void close() throws IOException {
			this.finishing.set(true);
			this.socket.close();
		}

	}

	@Test
	void withNobodyAtThePathTheSuccessorStartsItsOwnListener() throws Exception {
		InterceptListener.Builder builder = listener(runtime());
		assertThat(VConnHandoff.builder(this.directory.resolve("nobody.sock")).takeOver(builder)).isNull();
		InterceptListener own = builder.start();
		this.closeables.add(own);
		assertThat(own.isInherited()).isFalse();
	}

	@Test
	void aTakeoverThatCannotServeLeavesTheRunningInstanceServing() throws Exception {
		Path path = this.directory.resolve("handoff.sock");
		InterceptListener listenerA = listener(runtime()).start();
		this.closeables.add(listenerA);
		this.closeables.add(VConnHandoff.builder(path).observer(this.observer).offer(listenerA, () -> {
			throw new AssertionError("not handed over");
		}));
		VConnRuntime nio = VConnRuntime.builder().transport(Transport.NIO).eventThreads(1).build();
		this.runtimes.add(nio);

		assertThatExceptionOfType(VConnHandoffException.class)
			.isThrownBy(() -> VConnHandoff.builder(path).observer(this.observer).takeOver(listener(nio)))
			.withMessageContaining("needs the epoll transport")
			.satisfies((ex) -> assertThat(ex.getReason()).isEqualTo("adoption"));
		await().atMost(Duration.ofSeconds(5)).until(() -> this.counted.size() == 2);
		assertThat(this.counted).containsExactlyInAnyOrder("IN LISTENER FAILED adoption",
				"OUT LISTENER REFUSED refused-by-peer");
		assertThat(RawHttp.exchange(listenerA.address(),
				RawHttp.ascii("GET /echo/still-here HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")).status())
			.isEqualTo(200);
	}

	private VConnRuntime runtime() {
		return runtime(1);
	}

	private VConnRuntime runtime(int eventThreads) {
		VConnRuntime runtime = VConnRuntime.builder().transport(Transport.EPOLL).eventThreads(eventThreads)
			.shutdownTimeout(Duration.ofSeconds(5)).build();
		this.runtimes.add(runtime);
		return runtime;
	}

	private InterceptListener.Builder listener(VConnRuntime runtime) {
		return InterceptListener.builder(runtime, new InterceptHookRegistry())
			.perTransaction(true)
			.port(0)
			.origin(this.origin.address());
	}

	/**
	 * Keep-alive clients against an origin that answers every request with its target in
	 * {@code X-Target}, each sending request after request on one connection, and a client that
	 * opens a new connection for every request. Any failure, refusal, close by the server or wrong
	 * answer is recorded, and fails the test when the traffic stops.
	 */
	static final class Traffic implements AutoCloseable {

		final List<String> failures = new CopyOnWriteArrayList<>();

		final AtomicInteger[] requests = new AtomicInteger[KEEP_ALIVE_CLIENTS];

		final AtomicInteger newConnections = new AtomicInteger();

		private final AtomicBoolean running = new AtomicBoolean(true);

		private final List<Thread> threads = new ArrayList<>();

		private final InetSocketAddress address;

		Traffic(InetSocketAddress address) {
			this.address = address;
			for (int i = 0; i < KEEP_ALIVE_CLIENTS; i++) {
				this.requests[i] = new AtomicInteger();
				int client = i;
				start("keep-alive-" + i, () -> keepAlive(client));
			}
			start("new-connections", this::newConnections);
		}

		private void start(String name, Runnable task) {
			Thread thread = new Thread(task, name);
			thread.setDaemon(true);
			this.threads.add(thread);
			thread.start();
		}

		private void keepAlive(int client) {
			try (Socket socket = RawHttp.connect(this.address)) {
				OutputStream out = socket.getOutputStream();
				InputStream in = socket.getInputStream();
				for (int n = 0; this.running.get(); n++) {
					String target = "/echo/k" + client + "-" + n;
					out.write(RawHttp.ascii("GET " + target + " HTTP/1.1\r\nHost: t\r\n\r\n"));
					out.flush();
					RawHttp.Response response = RawHttp.read(in);
					if (!answered(response, target, "keep-alive " + client)) {
						return;
					}
					if ("close".equalsIgnoreCase(response.headers().get("connection"))) {
						this.failures.add("keep-alive " + client + ": the server said Connection: close");
						return;
					}
					this.requests[client].incrementAndGet();
				}
			}
			catch (IOException ex) {
				this.failures.add("keep-alive " + client + ": " + ex);
			}
		}

		private void newConnections() {
			for (int n = 0; this.running.get(); n++) {
				String target = "/echo/n" + n;
				try {
					RawHttp.Response response = RawHttp.exchange(this.address,
							RawHttp.ascii("GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
					if (!answered(response, target, "new connection " + n)) {
						return;
					}
					this.newConnections.incrementAndGet();
				}
				catch (ConnectException ex) {
					this.failures.add("new connection " + n + " refused: " + ex);
					return;
				}
				catch (IOException ex) {
					this.failures.add("new connection " + n + ": " + ex);
					return;
				}
			}
		}

		private boolean answered(RawHttp.Response response, String target, String who) {
			if (response == null) {
				this.failures.add(who + ": the server closed the connection before answering " + target);
				return false;
			}
			if (response.status() != 200 || !response.complete() || !target.equals(response.headers().get("x-target"))) {
				this.failures.add(who + ": a wrong answer to " + target + ": " + response.status() + " "
						+ response.headers());
				return false;
			}
			return true;
		}

		int minimum() {
			int minimum = Integer.MAX_VALUE;
			for (AtomicInteger count : this.requests) {
				minimum = Math.min(minimum, count.get());
			}
			return minimum;
		}

		void awaitRequestsPerClient(int count) {
			await().atMost(Duration.ofSeconds(30)).until(() -> minimum() >= count || !this.failures.isEmpty());
			assertThat(this.failures).isEmpty();
		}

		void awaitNewConnections(int count) {
			await().atMost(Duration.ofSeconds(30)).until(() -> this.newConnections.get() >= count
					|| !this.failures.isEmpty());
			assertThat(this.failures).isEmpty();
		}

		@Override
		public void close() throws InterruptedException {
			this.running.set(false);
			for (Thread thread : this.threads) {
				thread.join(30_000);
			}
			assertThat(this.failures).isEmpty();
		}

	}

}
