package dev.vconn.autoconfigure.listener;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.jayway.jsonpath.JsonPath;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Zero-downtime restart end to end, two real JVMs of {@link ListenerTestApplication} with the same
 * {@code vconn.handoff.*} settings: A serves 20 keep-alive clients and a stream of new
 * connections through its intercept listener (pass-through to its web server); B starts, takes the
 * listening socket and the live connections over, and A closes and exits by itself. The clients
 * see no error, no refused connection, no connection closed by the server, and every answer right.
 */
@Tag("separate-jvms")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class HandoffApplicationTests {

	private static final int KEEP_ALIVE_CLIENTS = 20;

	private final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(10))
		.build();

	@TempDir
	Path directory;

	private final List<Process> processes = new ArrayList<>();

	@BeforeEach
	void linuxWithEpoll() {
		assumeTrue(Epoll.isAvailable(), "a takeover needs the epoll transport: " + Epoll.unavailabilityCause());
	}

	@AfterEach
	void stopTheApplications() throws InterruptedException {
		for (Process process : this.processes) {
			if (process.isAlive()) {
				process.destroy();
				if (!process.waitFor(30, TimeUnit.SECONDS)) {
					process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
				}
			}
		}
	}

	@Test
	void theNewInstanceTakesTheListenerAndTheKeepAliveConnectionsOverAndTheOldOneExits() throws Exception {
		int listenerPort = freePort();
		Path handoff = this.directory.resolve("handoff.sock");
		Path logA = this.directory.resolve("a.log");
		Process a = start(logA, listenerPort, freePort(), handoff);
		await().atMost(Duration.ofSeconds(120)).failFast(() -> !a.isAlive())
			.until(() -> read(logA).contains("VConn handoff socket serves successors at " + handoff));

		Path logB = this.directory.resolve("b.log");
		int managementB = freePort();
		try (Clients clients = new Clients(new InetSocketAddress("127.0.0.1", listenerPort))) {
			clients.awaitRequestsPerClient(3);
			Process b = start(logB, listenerPort, managementB, handoff);

			assertThat(a.waitFor(120, TimeUnit.SECONDS)).as("A exits by itself\n%s", read(logA)).isTrue();
			assertThat(read(logA)).contains("VConn handed its intercept listener over to a successor");
			assertThat(b.isAlive()).as(read(logB)).isTrue();
			// from now on only B is there to answer
			clients.awaitRequestsPerClient(clients.minimum() + 3);
			clients.awaitNewConnections(clients.newConnections.get() + 20);
		}
		String endpoint = get(managementB, "/actuator/vconn");
		assertThat((String) JsonPath.read(endpoint, "$.listener.handoff.state")).isEqualTo("offering");
		assertThat((Boolean) JsonPath.read(endpoint, "$.listener.handoff.tookOver")).isTrue();
		assertThat((String) JsonPath.read(endpoint, "$.listener.address")).isEqualTo("127.0.0.1:" + listenerPort);
		String connections = get(managementB, "/actuator/metrics/vconn.handoffs?tag=direction:in&tag=kind:connection"
				+ "&tag=outcome:success");
		assertThat((Double) JsonPath.read(connections, "$.measurements[0].value")).isGreaterThanOrEqualTo(KEEP_ALIVE_CLIENTS);
		String listener = get(managementB, "/actuator/metrics/vconn.handoffs?tag=direction:in&tag=kind:listener");
		assertThat((Double) JsonPath.read(listener, "$.measurements[0].value")).isEqualTo(1.0);
	}

	@Test
	void aConnectionModeTunnelStreaming100MiBBothWaysGoesOverToTheNewInstanceIntact() throws Exception {
		int listenerPort = freePort();
		Path handoff = this.directory.resolve("handoff.sock");
		try (StreamingOrigin origin = new StreamingOrigin()) {
			// the origin is the test's, not the application's web server
			String[] tunnels = { "--vconn.listener.per-transaction=false",
					"--vconn.listener.origin=127.0.0.1:" + origin.port() };
			Path logA = this.directory.resolve("a.log");
			Process a = start(logA, listenerPort, freePort(), handoff, tunnels);
			await().atMost(Duration.ofSeconds(120)).failFast(() -> !a.isAlive())
				.until(() -> read(logA).contains("VConn handoff socket serves successors at " + handoff));
			try (Socket client = new Socket()) {
				client.connect(new InetSocketAddress("127.0.0.1", listenerPort), 5000);
				client.setSoTimeout(60_000);
				client.getOutputStream().write("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
				InputStream in = new BufferedInputStream(client.getInputStream());
				assertThat(Clients.line(in)).isEqualTo("HTTP/1.1 200 OK");
				assertThat(Clients.line(in)).isEmpty();
				Stream up = Stream.start("client-writer", CLIENT_SEED, client.getOutputStream(), client::shutdownOutput);
				Received down = Received.start("client-reader", in);
				down.awaitAtLeast(Stream.BEFORE_SWITCH);
				origin.received().awaitAtLeast(Stream.BEFORE_SWITCH);

				Path logB = this.directory.resolve("b.log");
				Process b = start(logB, listenerPort, freePort(), handoff, tunnels);
				assertThat(a.waitFor(60, TimeUnit.SECONDS)).as("A exits by itself\n%s", read(logA)).isTrue();
				assertThat(read(logA)).contains("VConn handed its intercept listener over to a successor");
				assertThat(b.isAlive()).as(read(logB)).isTrue();
				// only B carries the tunnel now: the rest of the 100 MiB goes through it
				Stream.switched.set(true);
				assertThat(up.done()).succeedsWithin(Duration.ofSeconds(60));
				assertThat(down.digest()).succeedsWithin(Duration.ofSeconds(60))
					.isEqualTo(Stream.expectedDigest(ORIGIN_SEED));
				assertThat(origin.received().digest()).succeedsWithin(Duration.ofSeconds(60))
					.isEqualTo(Stream.expectedDigest(CLIENT_SEED));
				assertThat(read(logB)).contains("VConn took over 1 live connection(s) and tunnel(s)");
			}
		}
	}

	private static final long CLIENT_SEED = 1;

	private static final long ORIGIN_SEED = 2;

	/**
	 * One direction of the tunnel's stream: {@link #TOTAL} pseudo-random bytes, sent at full speed
	 * up to {@link #BEFORE_SWITCH}, then paced (a long-lived stream, still moving while the instances
	 * switch) until {@link #switched}, then at full speed again to the end, then the end of stream.
	 */
	private static final class Stream {

		static final long TOTAL = 100L << 20;

		static final long BEFORE_SWITCH = 16L << 20;

		/** The most sent while the switch is under way; the rest waits for it. */
		static final long DURING_SWITCH = 64L << 20;

		static final int CHUNK = 64 * 1024;

		static final java.util.concurrent.atomic.AtomicBoolean switched = new java.util.concurrent.atomic.AtomicBoolean();

		private final java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();

		static Stream start(String name, long seed, OutputStream out, Closer end) {
			Stream stream = new Stream();
			Thread thread = new Thread(() -> {
				try {
					java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
					byte[] chunk = new byte[CHUNK];
					for (long sent = 0; sent < TOTAL;) {
						boolean paced = sent >= BEFORE_SWITCH && !switched.get();
						if (paced) {
							// a pace of about 2 MiB/s while the instances switch, not a wait for anything
							java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
							if (sent >= DURING_SWITCH) {
								continue;
							}
						}
						int n = (int) Math.min(paced ? 4096 : CHUNK, TOTAL - sent);
						dev.vconn.testing.Payload.fill(random, chunk, n);
						out.write(chunk, 0, n);
						sent += n;
					}
					out.flush();
					end.close();
					stream.done.complete(null);
				}
				catch (IOException ex) {
					stream.done.completeExceptionally(ex);
				}
			}, name);
			thread.setDaemon(true);
			thread.start();
			return stream;
		}

		java.util.concurrent.CompletableFuture<Void> done() {
			return this.done;
		}

		/** The SHA-256 of the stream of {@code seed}, made in the writer's chunks. */
		static String expectedDigest(long seed) throws Exception {
			java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
			java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
			byte[] chunk = new byte[CHUNK];
			// the writer fills whole chunks from the stream, except 4 KiB ones while paced: both draw 8 bytes at a time
			for (long made = 0; made < TOTAL; made += CHUNK) {
				dev.vconn.testing.Payload.fill(random, chunk, CHUNK);
				digest.update(chunk);
			}
			return java.util.HexFormat.of().formatHex(digest.digest());
		}

	}

	@FunctionalInterface
	private interface Closer {

		void close() throws IOException;

	}

	/** Reads a stream to its end, with its SHA-256 and how much came so far. */
	private static final class Received {

		private final java.util.concurrent.atomic.AtomicLong count = new java.util.concurrent.atomic.AtomicLong();

		private final java.util.concurrent.CompletableFuture<String> digest = new java.util.concurrent.CompletableFuture<>();

		static Received start(String name, InputStream in) {
			Received received = new Received();
			Thread thread = new Thread(() -> {
				try {
					java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
					byte[] buf = new byte[64 * 1024];
					for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
						digest.update(buf, 0, n);
						received.count.addAndGet(n);
					}
					received.digest.complete(java.util.HexFormat.of().formatHex(digest.digest()));
				}
				catch (Exception ex) {
					received.digest.completeExceptionally(ex);
				}
			}, name);
			thread.setDaemon(true);
			thread.start();
			return received;
		}

		void awaitAtLeast(long bytes) {
			await().atMost(Duration.ofSeconds(60)).until(() -> this.count.get() >= bytes || this.digest.isDone());
			assertThat(this.digest).isNotDone();
		}

		java.util.concurrent.CompletableFuture<String> digest() {
			return this.digest;
		}

	}

	/**
	 * An origin on loopback for one tunnel: after the request head it answers 200 with a body that
	 * lasts until the connection closes, streams its own 100 MiB and hashes what the client sends.
	 */
	private static final class StreamingOrigin implements AutoCloseable {

		private final ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());

		private final java.util.concurrent.CompletableFuture<Received> received = new java.util.concurrent.CompletableFuture<>();

		private volatile Socket socket;

		StreamingOrigin() throws IOException {
			Thread thread = new Thread(this::serve, "streaming-origin");
			thread.setDaemon(true);
			thread.start();
		}

		int port() {
			return this.server.getLocalPort();
		}

		private void serve() {
			try {
				Socket accepted = this.server.accept();
				this.socket = accepted;
				InputStream in = new BufferedInputStream(accepted.getInputStream());
				for (String line = Clients.line(in); line != null && !line.isEmpty(); line = Clients.line(in)) {
					// the request head: nothing in it matters here
				}
				OutputStream out = accepted.getOutputStream();
				out.write("HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
				this.received.complete(Received.start("origin-reader", in));
				Stream.start("origin-writer", ORIGIN_SEED, out, accepted::shutdownOutput);
			}
			catch (IOException ex) {
				this.received.completeExceptionally(ex);
			}
		}

		Received received() {
			return this.received.join();
		}

		@Override
		public void close() throws IOException {
			Stream.switched.set(false);
			if (this.socket != null) {
				this.socket.close();
			}
			this.server.close();
		}

	}

	private Process start(Path log, int listenerPort, int serverPort, Path handoff, String... extra) throws IOException {
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				// start-up on a small machine is mostly compiling: the quick compiler alone starts sooner
				"-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), SocketActivationApplicationTests.Main.class.getName(),
				"--vconn.listener.enabled=true", "--vconn.event-threads=1", "--vconn.listener.port=" + listenerPort,
				"--server.port=" + serverPort, "--vconn.handoff.enabled=true", "--vconn.handoff.path=" + handoff,
				"--vconn.shutdown.timeout=10s", "--management.endpoints.web.exposure.include=vconn,metrics",
				// the listener passes an origin's Connection: close on to its client; Tomcat says it
				// after 100 requests on a connection by default
				"--server.tomcat.max-keep-alive-requests=-1",
				"--spring.main.banner-mode=off"));
		command.addAll(List.of(extra));
		Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		this.processes.add(process);
		return process;
	}

	private String get(int port, String path) throws IOException, InterruptedException {
		HttpResponse<String> response = this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
			.timeout(Duration.ofSeconds(30))
			.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		return response.body();
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	private static String read(Path output) throws IOException {
		return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
	}

	/**
	 * Keep-alive clients sending {@code GET /kept} again and again on one connection each, and one
	 * client opening a connection per request; every failure is kept and fails the test at the end.
	 */
	private static final class Clients implements AutoCloseable {

		final List<String> failures = new CopyOnWriteArrayList<>();

		final AtomicInteger[] requests = new AtomicInteger[KEEP_ALIVE_CLIENTS];

		final AtomicInteger newConnections = new AtomicInteger();

		private final AtomicBoolean running = new AtomicBoolean(true);

		private final List<Thread> threads = new ArrayList<>();

		private final InetSocketAddress address;

		Clients(InetSocketAddress address) {
			this.address = address;
			for (int i = 0; i < KEEP_ALIVE_CLIENTS; i++) {
				this.requests[i] = new AtomicInteger();
				int client = i;
				run("keep-alive-" + i, () -> keepAlive(client));
			}
			run("new-connections", this::newConnections);
		}

		private void run(String name, Runnable task) {
			Thread thread = new Thread(task, name);
			thread.setDaemon(true);
			this.threads.add(thread);
			thread.start();
		}

		private void keepAlive(int client) {
			try (Socket socket = new Socket()) {
				socket.connect(this.address, 5000);
				socket.setSoTimeout(30_000);
				OutputStream out = socket.getOutputStream();
				InputStream in = new BufferedInputStream(socket.getInputStream());
				while (this.running.get()) {
					out.write("GET /kept HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
					out.flush();
					String problem = problem(in, false);
					if (problem != null) {
						this.failures.add("keep-alive " + client + " after " + this.requests[client] + " requests: " + problem);
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
			while (this.running.get()) {
				try (Socket socket = new Socket()) {
					socket.connect(this.address, 5000);
					socket.setSoTimeout(30_000);
					socket.getOutputStream()
						.write("GET /kept HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
					String problem = problem(new BufferedInputStream(socket.getInputStream()), true);
					if (problem != null) {
						this.failures.add("new connection " + this.newConnections + ": " + problem);
						return;
					}
					this.newConnections.incrementAndGet();
				}
				catch (ConnectException ex) {
					this.failures.add("new connection " + this.newConnections + " refused: " + ex);
					return;
				}
				catch (IOException ex) {
					this.failures.add("new connection " + this.newConnections + ": " + ex);
					return;
				}
			}
		}

		/** Reads one response; what is wrong with it, or {@code null} if it is the right answer. */
		private static String problem(InputStream in, boolean closing) throws IOException {
			String statusLine = line(in);
			if (statusLine == null) {
				return "the server closed the connection instead of answering";
			}
			Map<String, String> headers = new LinkedHashMap<>();
			for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
				int colon = header.indexOf(':');
				headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
			}
			ByteArrayOutputStream body = new ByteArrayOutputStream();
			if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
				for (int size = Integer.parseInt(line(in).trim(), 16); size > 0; size = Integer.parseInt(line(in).trim(), 16)) {
					body.write(in.readNBytes(size));
					line(in);
				}
				line(in);
			}
			else {
				body.write(in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0"))));
			}
			if (!statusLine.startsWith("HTTP/1.1 200 ") || !OriginController.HELLO.equals(body.toString(StandardCharsets.UTF_8))) {
				return "a wrong answer: " + statusLine + " " + headers + " " + body;
			}
			if (!closing && "close".equalsIgnoreCase(headers.get("connection"))) {
				return "the server said Connection: close: " + statusLine + " " + headers;
			}
			return null;
		}

		static String line(InputStream in) throws IOException {
			StringBuilder line = new StringBuilder();
			for (int b = in.read(); b != '\n'; b = in.read()) {
				if (b < 0) {
					return (line.length() == 0) ? null : line.toString();
				}
				if (b != '\r') {
					line.append((char) b);
				}
			}
			return line.toString();
		}

		int minimum() {
			int minimum = Integer.MAX_VALUE;
			for (AtomicInteger count : this.requests) {
				minimum = Math.min(minimum, count.get());
			}
			return minimum;
		}

		void awaitRequestsPerClient(int count) {
			await().atMost(Duration.ofSeconds(120)).until(() -> minimum() >= count || !this.failures.isEmpty());
			assertThat(this.failures).isEmpty();
		}

		void awaitNewConnections(int count) {
			await().atMost(Duration.ofSeconds(60)).until(() -> this.newConnections.get() >= count || !this.failures.isEmpty());
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
