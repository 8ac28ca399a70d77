package dev.vconn.autoconfigure.listener;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.jayway.jsonpath.JsonPath;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.SpringApplication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Socket activation end to end: {@link ListenerTestApplication} runs in a JVM of its own, started
 * by {@code systemd-socket-activate} (Debian package {@code systemd}), which listens on a loopback
 * port and execs the JVM when the first client connects. The intercept listener serves that
 * client and the next ones on the passed socket, marks it close-on-exec, and the actuator says it
 * was inherited. Without a passed socket, {@code vconn.listener.inherit=required} fails start-up
 * with a failure analysis that names the property.
 */
@Tag("separate-jvms")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SocketActivationApplicationTests {

	private static final Path SOCKET_ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");

	private static final Duration START = Duration.ofSeconds(120);

	private static final int O_CLOEXEC = 02000000;

	private final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(10))
		.build();

	@TempDir
	Path directory;

	private Process process;

	@BeforeEach
	void linuxWithEpoll() {
		assumeTrue(Epoll.isAvailable(), "socket activation needs the epoll transport: " + Epoll.unavailabilityCause());
	}

	@AfterEach
	void stopTheApplication() throws InterruptedException {
		if (this.process != null && this.process.isAlive()) {
			this.process.destroy();
			if (!this.process.waitFor(30, TimeUnit.SECONDS)) {
				this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
	}

	@Test
	void theApplicationServesOnTheSocketThatSystemdSocketActivatePasses() throws Exception {
		assumeTrue(Files.isExecutable(SOCKET_ACTIVATE), "systemd-socket-activate is not installed (Debian package "
				+ "'systemd': apt-get install systemd)");
		int listenerPort = freePort();
		int serverPort = freePort();
		Path output = this.directory.resolve("application.log");
		List<String> command = new ArrayList<>(List.of(SOCKET_ACTIVATE.toString(), "-l", "127.0.0.1:" + listenerPort,
				"--fdname=vconn-listener"));
		command.addAll(application("--vconn.listener.inherit=required", "--vconn.listener.port=" + listenerPort,
				"--server.port=" + serverPort));
		this.process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
		await().atMost(Duration.ofSeconds(30)).until(() -> read(output).contains("Listening on 127.0.0.1:" + listenerPort));

		// the first client wakes systemd-socket-activate, which execs the JVM; its connection waits
		// in the passed socket's backlog until the listener accepts it
		HttpResponse<String> first = get(listenerPort, "/served/first", START);
		assertThat(first.statusCode()).as(read(output)).isEqualTo(200);
		assertThat(first.body()).isEqualTo("Hello from the hook: GET /served/first\n");
		HttpResponse<String> passThrough = get(listenerPort, "/hello", Duration.ofSeconds(30));
		assertThat(passThrough.statusCode()).isEqualTo(200);
		assertThat(passThrough.body()).isEqualTo(OriginController.HELLO);

		String log = read(output);
		assertThat(log).contains("serves on the inherited fd 3 (vconn-listener) instead of binding 127.0.0.1:" + listenerPort)
			.contains("VConn intercept listener started on 127.0.0.1:" + listenerPort + " (inherited socket)");
		// systemd-socket-activate execs the JVM, so the pid it was started with is the JVM's
		long pid = this.process.pid();
		assertThat(Files.readString(Path.of("/proc/" + pid + "/cmdline"))).contains(Main.class.getName());
		assertThat(fdinfoFlags(pid, 3) & O_CLOEXEC).as("fd 3 close-on-exec").isEqualTo(O_CLOEXEC);

		HttpResponse<String> endpoint = get(serverPort, "/actuator/vconn", Duration.ofSeconds(30));
		assertThat(endpoint.statusCode()).isEqualTo(200);
		assertThat((Boolean) JsonPath.read(endpoint.body(), "$.listener.inherited")).isTrue();
		assertThat((String) JsonPath.read(endpoint.body(), "$.listener.address")).isEqualTo("127.0.0.1:" + listenerPort);
	}

	@Test
	void requiredWithoutAPassedSocketFailsStartUpNamingTheProperty() throws Exception {
		Path output = this.directory.resolve("application.log");
		this.process = new ProcessBuilder(application("--vconn.listener.inherit=required", "--server.port=0"))
			.redirectErrorStream(true)
			.redirectOutput(output.toFile())
			.start();

		assertThat(this.process.waitFor(START.toSeconds(), TimeUnit.SECONDS)).isTrue();
		assertThat(this.process.exitValue()).isNotZero();
		assertThat(read(output)).contains("APPLICATION FAILED TO START")
			.contains("VConn's intercept listener could not start on an inherited socket (vconn.listener.inherit=required)")
			.contains("must inherit a listening socket, but LISTEN_PID or LISTEN_FDS is not set")
			.contains("or set vconn.listener.inherit=auto");
	}

	/** The command that runs the test application with this JVM and class path. */
	private static List<String> application(String... arguments) {
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-cp", System.getProperty("java.class.path"), Main.class.getName(),
				"--vconn.listener.enabled=true", "--vconn.event-threads=1",
				"--management.endpoints.web.exposure.include=vconn", "--spring.main.banner-mode=off"));
		command.addAll(List.of(arguments));
		return command;
	}

	private HttpResponse<String> get(int port, String path, Duration timeout) throws IOException, InterruptedException {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
			.timeout(timeout)
			.build();
		return this.http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
	}

	private static int fdinfoFlags(long pid, int fd) throws IOException {
		for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/fdinfo/" + fd))) {
			if (line.startsWith("flags:")) {
				return Integer.parseInt(line.substring(6).trim(), 8);
			}
		}
		throw new IllegalStateException("no flags in fdinfo of fd " + fd + " of process " + pid);
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	/** Runs {@link ListenerTestApplication} in a JVM of its own. */
	static final class Main {

		public static void main(String[] args) {
			SpringApplication.run(ListenerTestApplication.class, args);
		}

	}

	private static String read(Path output) throws IOException {
		return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
	}

}
