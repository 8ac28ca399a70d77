package dev.vconn.intercept;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.vconn.internal.net.ActivationEnvironment;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.TransportMode;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.vconn.intercept.RawHttp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Socket activation: a listener given a listening socket through {@code LISTEN_PID} /
 * {@code LISTEN_FDS} / {@code LISTEN_FDNAMES} serves on it without binding, marks it close-on-exec
 * and clears the variables; a descriptor that is not a listening TCP socket fails start-up and stays
 * open. The variables come from a map and count from the test's own descriptor (systemd counts
 * from fd 3); the sockets are real.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SocketActivationTests extends InterceptTestSupport {

	/** The name {@code LISTEN_FDNAMES} gives the listener's socket, as documented. */
	private static final String LISTENER = "vconn-listener";

	private final NativeFds fds = new NativeFds();

	private boolean perTransaction;

	@BeforeEach
	void nativeDescriptors() {
		assumeTrue(NativeFds.isSupported(), "raw descriptors need Linux");
	}

	@AfterEach
	void closeDescriptors() {
		this.fds.close();
	}

	@Override
	boolean perTransaction() {
		return this.perTransaction;
	}

	@ParameterizedTest(name = "perTransaction={0}")
	@ValueSource(booleans = { true, false })
	void servesOnThePassedSocketWithoutBindingAndMarksItCloseOnExec(boolean perTransaction) throws Exception {
		this.perTransaction = perTransaction;
		int fd = this.fds.listeningTcp();
		InetSocketAddress passed = NativeFds.localInetAddress(fd);
		Environment environment = Environment.passing(fd, 1, LISTENER);
		assertThat(NativeFds.fdinfoFlags(fd) & NativeFds.O_CLOEXEC).isZero();
		try (ServerSocket occupied = new ServerSocket(0, 1, passed.getAddress())) {
			// a listener that bound its configured port would fail: that port is taken
			start(TransportMode.EPOLL_SPLICE, 0, (builder) -> builder.port(occupied.getLocalPort()).activationEnvironment(environment));
			this.fds.release(fd);
		}

		assertThat(this.listener.isInherited()).isTrue();
		assertThat(this.listener.address()).isEqualTo(passed);
		RawHttp.Response response = RawHttp.exchange(passed,
				ascii("GET /echo/activated HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.bodyText()).startsWith("GET /echo/activated HTTP/1.1");
		assertThat(NativeFds.fdinfoFlags(fd) & NativeFds.O_CLOEXEC).isEqualTo(NativeFds.O_CLOEXEC);
		assertThat(environment.variables).isEmpty();

		this.listener.close();
		assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> new Socket(passed.getAddress(), passed.getPort()).close());
	}

	@ParameterizedTest(name = "perTransaction={0}")
	@ValueSource(booleans = { true, false })
	void connectionsWaitingOnThePassedSocketBeforeStartAreServed(boolean perTransaction) throws Exception {
		this.perTransaction = perTransaction;
		int fd = this.fds.listeningTcp();
		InetSocketAddress passed = NativeFds.localInetAddress(fd);
		List<Socket> waiting = new ArrayList<>();
		try {
			// connected by the kernel and sent whole before anything accepts: the listener accepts
			// them the moment it registers the socket, as after a takeover or a restart under systemd
			for (int i = 0; i < 8; i++) {
				Socket client = RawHttp.connect(passed);
				waiting.add(client);
				client.getOutputStream()
					.write(ascii("GET /echo/waiting-" + i + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
			}
			start(TransportMode.EPOLL_SPLICE, 0,
					(builder) -> builder.port(0).activationEnvironment(Environment.passing(fd, 1, LISTENER)));
			this.fds.release(fd);

			for (int i = 0; i < waiting.size(); i++) {
				RawHttp.Response response = RawHttp.read(waiting.get(i).getInputStream());
				assertThat(response.status()).isEqualTo(200);
				assertThat(response.bodyText()).startsWith("GET /echo/waiting-" + i + " HTTP/1.1");
			}
		}
		finally {
			for (Socket client : waiting) {
				client.close();
			}
		}
	}

	@Test
	void takesTheSocketNamedVconnListenerAmongSeveral() throws Exception {
		this.perTransaction = true;
		int fd = this.fds.listeningTcp();
		InetSocketAddress passed = NativeFds.localInetAddress(fd);
		// the socket is the second of two passed: the first number is whatever precedes it
		Environment environment = Environment.passing(fd - 1, 2, "metrics:" + LISTENER);
		start(TransportMode.EPOLL_SPLICE, 0, (builder) -> builder.port(0).activationEnvironment(environment));
		this.fds.release(fd);

		assertThat(this.listener.isInherited()).isTrue();
		assertThat(this.listener.address()).isEqualTo(passed);
		assertThat(RawHttp.exchange(passed, ascii("GET /echo/named HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"))
			.status()).isEqualTo(200);
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "non-listening TCP socket", "pipe", "UDP socket" })
	void aPassedDescriptorThatIsNotAListeningTcpSocketFailsStartAndStaysOpen(String kind) throws Exception {
		int fd;
		String problem;
		switch (kind) {
			case "pipe" -> {
				fd = this.fds.pipe().readFd();
				problem = "it is not a socket (a pipe or a file)";
			}
			case "UDP socket" -> {
				fd = this.fds.udp();
				problem = "it is a datagram (UDP) socket, not a stream socket";
			}
			default -> {
				fd = this.fds.unconnectedTcp();
				problem = "it is a TCP socket that is not listening (SO_ACCEPTCONN is 0)";
			}
		}
		int statusFlags = NativeFds.getFl(fd);
		Environment environment = Environment.passing(fd, 1, LISTENER);

		assertThatExceptionOfType(ListenerInheritanceException.class)
			.isThrownBy(() -> start(TransportMode.EPOLL_SPLICE, 0, (builder) -> builder.port(0).activationEnvironment(environment)))
			.withMessageStartingWith("VConn intercept listener cannot serve on the inherited fd " + fd + " ("
					+ LISTENER + ")")
			.withMessageContaining(problem)
			.satisfies((ex) -> assertThat(ex.getFd()).isEqualTo(fd))
			.satisfies((ex) -> assertThat(ex.getInheritance()).isEqualTo(ListenerInheritance.AUTO));
		assertThat(NativeFds.isOpen(fd)).isTrue();
		assertThat(NativeFds.getFl(fd)).isEqualTo(statusFlags);
		assertThat(environment.variables).isEmpty();
	}

	@Test
	void requiredFailsWhenNoSocketIsPassed() {
		Environment environment = new Environment(Map.of(), 3);
		assertThatExceptionOfType(ListenerInheritanceException.class)
			.isThrownBy(() -> start(TransportMode.EPOLL_SPLICE, 0,
					(builder) -> builder.port(0).inherit(ListenerInheritance.REQUIRED).activationEnvironment(environment)))
			.withMessageContaining("must inherit a listening socket, but LISTEN_PID or LISTEN_FDS is not set")
			.satisfies((ex) -> assertThat(ex.getFd()).isEqualTo(-1));
	}

	@Test
	void variablesForAnotherProcessAreLeftAloneAndTheListenerBinds() throws Exception {
		int fd = this.fds.listeningTcp();
		Environment environment = new Environment(Map.of("LISTEN_PID", String.valueOf(ProcessHandle.current().pid() + 1),
				"LISTEN_FDS", "1"), fd);
		start(TransportMode.EPOLL_SPLICE, 0, (builder) -> builder.port(0).activationEnvironment(environment));

		assertThat(this.listener.isInherited()).isFalse();
		assertThat(this.listener.address()).isNotEqualTo(NativeFds.localInetAddress(fd));
		assertThat(environment.variables).containsOnlyKeys("LISTEN_PID", "LISTEN_FDS");
		assertThat(NativeFds.fdinfoFlags(fd) & NativeFds.O_CLOEXEC).isZero();
	}

	@Test
	void neverBindsAndLeavesThePassedSocketAndVariablesAlone() throws Exception {
		int fd = this.fds.listeningTcp();
		Environment environment = Environment.passing(fd, 1, LISTENER);
		start(TransportMode.EPOLL_SPLICE, 0,
				(builder) -> builder.port(0).inherit(ListenerInheritance.NEVER).activationEnvironment(environment));

		assertThat(this.listener.isInherited()).isFalse();
		assertThat(this.listener.address()).isNotEqualTo(NativeFds.localInetAddress(fd));
		assertThat(environment.variables).hasSize(3);
		assertThat(NativeFds.fdinfoFlags(fd) & NativeFds.O_CLOEXEC).isZero();
	}

	@Test
	void onNioAutoBindsAndMarksThePassedSocketCloseOnExec() throws Exception {
		int fd = this.fds.listeningTcp();
		Environment environment = Environment.passing(fd, 1, LISTENER);
		start(TransportMode.NIO, 0, (builder) -> builder.port(0).activationEnvironment(environment));

		assertThat(this.listener.isInherited()).isFalse();
		assertThat(this.listener.address()).isNotEqualTo(NativeFds.localInetAddress(fd));
		assertThat(RawHttp.exchange(address(), ascii("GET /echo/nio HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"))
			.status()).isEqualTo(200);
		assertThat(NativeFds.fdinfoFlags(fd) & NativeFds.O_CLOEXEC).isEqualTo(NativeFds.O_CLOEXEC);
		assertThat(environment.variables).isEmpty();
	}

	@Test
	void onNioRequiredFailsNamingTheTransport() {
		int fd = this.fds.listeningTcp();
		Environment environment = Environment.passing(fd, 1, LISTENER);
		assertThatExceptionOfType(ListenerInheritanceException.class)
			.isThrownBy(() -> start(TransportMode.NIO, 0,
					(builder) -> builder.port(0).inherit(ListenerInheritance.REQUIRED).activationEnvironment(environment)))
			.withMessageContaining("needs the epoll transport, and the runtime uses NIO");
		assertThat(NativeFds.isOpen(fd)).isTrue();
	}

	/** Socket activation variables in a map, counting descriptors from a chosen number. */
	private static final class Environment implements ActivationEnvironment {

		final Map<String, String> variables;

		private final int firstFd;

		Environment(Map<String, String> variables, int firstFd) {
			this.variables = new ConcurrentHashMap<>(variables);
			this.firstFd = firstFd;
		}

		static Environment passing(int firstFd, int count, String names) {
			return new Environment(Map.of("LISTEN_PID", String.valueOf(ProcessHandle.current().pid()), "LISTEN_FDS",
					String.valueOf(count), "LISTEN_FDNAMES", names), firstFd);
		}

		@Override
		public @Nullable String get(String name) {
			return this.variables.get(name);
		}

		@Override
		public long pid() {
			return ProcessHandle.current().pid();
		}

		@Override
		public int firstFd() {
			return this.firstFd;
		}

		@Override
		public void clear() {
			this.variables.clear();
		}

	}

}
