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

	private Process start(Path log, int listenerPort, int serverPort, Path handoff) throws IOException {
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-cp", System.getProperty("java.class.path"), SocketActivationApplicationTests.Main.class.getName(),
				"--vconn.listener.enabled=true", "--vconn.event-threads=1", "--vconn.listener.port=" + listenerPort,
				"--server.port=" + serverPort, "--vconn.handoff.enabled=true", "--vconn.handoff.path=" + handoff,
				"--vconn.shutdown.timeout=10s", "--management.endpoints.web.exposure.include=vconn,metrics",
				// the listener passes an origin's Connection: close on to its client; Tomcat says it
				// after 100 requests on a connection by default
				"--server.tomcat.max-keep-alive-requests=-1",
				"--spring.main.banner-mode=off"));
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

		private static String line(InputStream in) throws IOException {
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
