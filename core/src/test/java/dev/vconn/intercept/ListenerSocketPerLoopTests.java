package dev.vconn.intercept;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.vconn.Transport;
import dev.vconn.VConnRuntime;
import dev.vconn.testing.TestOrigin;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A listener that binds opens one listening socket per event loop on epoll, as {@code ss -ltn}
 * shows them, serves on all of them, closes all of them, and still refuses a port another
 * listener holds.
 */
@Timeout(60)
class ListenerSocketPerLoopTests {

	private TestOrigin origin;

	private final List<VConnRuntime> runtimes = new ArrayList<>();

	private final List<InterceptListener> listeners = new ArrayList<>();

	@BeforeEach
	void origin() throws IOException {
		assumeTrue(Epoll.isAvailable(), "SO_REUSEPORT sockets need the epoll transport");
		this.origin = new TestOrigin();
	}

	@AfterEach
	void stop() throws Exception {
		this.listeners.forEach(InterceptListener::close);
		for (VConnRuntime runtime : this.runtimes) {
			runtime.close(Duration.ofSeconds(5));
		}
		if (this.origin != null) {
			this.origin.close();
		}
	}

	@Test
	void twoEventThreadsGetASocketEachAndBothServeNewConnections() throws IOException {
		Set<String> servingThreads = ConcurrentHashMap.newKeySet();
		InterceptListener listener = start(listener(runtime(Transport.EPOLL, 2)).addObserver(new InterceptObserver() {
			@Override
			public TransactionObserver onTransactionStarted(Transaction txn) {
				servingThreads.add(Thread.currentThread().getName());
				return TransactionObserver.noop();
			}
		}));
		int port = listener.address().getPort();
		assertThat(listeningSockets(port)).isEqualTo(2);
		for (int i = 0; i < 200; i++) {
			RawHttp.Response response = RawHttp.exchange(listener.address(),
					RawHttp.ascii("GET /n/" + i + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
			assertThat(response.status()).as("response %d", i).isEqualTo(200);
		}
		// the kernel hashes each connection to one socket: 200 of them reach both
		assertThat(servingThreads).hasSize(2);
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "one event thread", "socketPerLoop(false)", "NIO" })
	void otherwiseTheListenerBindsOneSocket(String setting) throws IOException {
		InterceptListener.Builder builder = switch (setting) {
			case "one event thread" -> listener(runtime(Transport.EPOLL, 1));
			case "socketPerLoop(false)" -> listener(runtime(Transport.EPOLL, 2)).socketPerLoop(false);
			default -> listener(runtime(Transport.NIO, 2));
		};
		InterceptListener listener = start(builder);
		assertThat(listeningSockets(listener.address().getPort())).isEqualTo(1);
		assertThat(RawHttp.exchange(listener.address(),
				RawHttp.ascii("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")).status()).isEqualTo(200);
	}

	@Test
	void closingTheListenerClosesEverySocket() throws IOException {
		InterceptListener listener = start(listener(runtime(Transport.EPOLL, 3)));
		InetSocketAddress address = listener.address();
		assertThat(listeningSockets(address.getPort())).isEqualTo(3);
		listener.close();
		assertThat(listeningSockets(address.getPort())).isZero();
		assertThatThrownBy(() -> new Socket(address.getAddress(), address.getPort()).close())
			.isInstanceOf(ConnectException.class);
	}

	@Test
	void aSecondListenerOnThePortOfARunningOneFailsInsteadOfSharingIt() throws IOException {
		InterceptListener first = start(listener(runtime(Transport.EPOLL, 2)));
		int port = first.address().getPort();
		InterceptListener.Builder second = listener(runtime(Transport.EPOLL, 2)).port(port);
		assertThatThrownBy(second::start).hasStackTraceContaining("Address already in use");
		assertThat(listeningSockets(port)).isEqualTo(2);
	}

	/** The sockets listening on {@code port}, as {@code ss -ltn} lists them (IPv4 and IPv6 tables). */
	static int listeningSockets(int port) {
		String localPort = String.format(Locale.ROOT, ":%04X ", port);
		int count = 0;
		for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
			try {
				for (String line : Files.readAllLines(Path.of(table))) {
					String[] fields = line.trim().split("\\s+");
					// local address, then remote address, then the state: 0A is LISTEN
					if (fields.length > 3 && (fields[1] + " ").endsWith(localPort) && fields[3].equals("0A")) {
						count++;
					}
				}
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}
		return count;
	}

	private VConnRuntime runtime(Transport transport, int eventThreads) {
		VConnRuntime runtime = VConnRuntime.builder().transport(transport).eventThreads(eventThreads)
			.shutdownTimeout(Duration.ofSeconds(5)).build();
		this.runtimes.add(runtime);
		return runtime;
	}

	private InterceptListener.Builder listener(VConnRuntime runtime) {
		return InterceptListener.builder(runtime, new InterceptHookRegistry())
			.address(InetAddress.getLoopbackAddress())
			.port(0)
			.origin(this.origin.address());
	}

	private InterceptListener start(InterceptListener.Builder builder) {
		InterceptListener listener = builder.start();
		this.listeners.add(listener);
		return listener;
	}

}
