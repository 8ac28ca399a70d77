package dev.vconn.intercept;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import dev.vconn.TunnelResult;
import dev.vconn.VConnRuntime;
import dev.vconn.testing.CountingListener;
import dev.vconn.testing.StreamingRoutes;
import dev.vconn.testing.TestOrigin;
import dev.vconn.testing.TransportMode;
import org.junit.jupiter.api.AfterEach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A runtime with a counting listener, a {@link TestOrigin}, a registry and an
 * {@link InterceptListener} on an ephemeral loopback port. After each test every connection must
 * end, and the listener's accounting must hold: adoptions == closed + active.
 */
abstract class InterceptTestSupport {

	final CountingListener events = new CountingListener();

	final InterceptHookRegistry hooks = new InterceptHookRegistry();

	VConnRuntime runtime;

	final StreamingRoutes routes = new StreamingRoutes();

	TestOrigin origin;

	InterceptListener listener;

	void start() throws IOException {
		start(TransportMode.EPOLL_SPLICE, 0, UnaryOperator.identity());
	}

	void start(TransportMode mode, int maxConnections, UnaryOperator<InterceptListener.Builder> config) throws IOException {
		mode.assumeAvailable();
		// one event thread: a pass-through's two sides share a loop, so the tunnel can splice
		this.runtime = VConnRuntime.builder()
			.transport(mode.transport())
			.eventThreads(1)
			.maxConnections(maxConnections)
			.shutdownTimeout(Duration.ofSeconds(5))
			.addListener(this.events)
			.build();
		this.origin = new TestOrigin(this.routes);
		this.listener = config.apply(InterceptListener.builder(this.runtime, this.hooks)
			.addObserver(this.events)
			.perTransaction(perTransaction())
			.port(0)
			.origin(this.origin.address())
			.splice(mode.splice())).start();
	}

	/**
	 * Connection mode unless overridden: hooks see a connection's first request, and unclaimed
	 * connections are tunnelled to the origin unchanged.
	 */
	boolean perTransaction() {
		return false;
	}

	InetSocketAddress address() {
		return this.listener.address();
	}

	URI uri(String target) {
		return URI.create("http://127.0.0.1:" + address().getPort() + target);
	}

	TunnelResult onlyTunnel() {
		await().atMost(Duration.ofSeconds(20)).until(() -> this.events.tunnelsEnded().size() == 1);
		return this.events.tunnelsEnded().get(0);
	}

	static long openDescriptors() throws IOException {
		try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
			return fds.count();
		}
	}

	@AfterEach
	void stopAndCheckAccounting() throws Exception {
		try {
			if (this.listener != null) {
				this.listener.close();
			}
			if (this.runtime != null) {
				await().atMost(Duration.ofSeconds(20)).until(() -> this.runtime.activeCount() == 0);
				assertThat(this.events.reconciles(this.runtime.activeCount()))
					.as("adoptions %d == closed %d + active %d", this.events.adoptions(), this.events.closes(),
							this.runtime.activeCount())
					.isTrue();
			}
		}
		finally {
			if (this.runtime != null) {
				this.runtime.close(Duration.ofSeconds(5));
			}
			if (this.origin != null) {
				this.origin.close();
			}
		}
	}

	/** Records each transaction's start and, with its target, its end. */
	static InterceptObserver tracing(List<String> calls) {
		return new InterceptObserver() {
			@Override
			public TransactionObserver onTransactionStarted(Transaction txn) {
				String target = txn.target();
				calls.add("start " + txn.method() + " " + target);
				return new TransactionObserver() {
					@Override
					public void onEnded(TransactionResult result) {
						calls.add("end " + target + " " + result.outcome() + " " + result.path() + " "
								+ result.interceptType() + " " + result.hook() + " " + result.status());
					}
				};
			}
		};
	}

	/** Claims every transaction whose target starts with a prefix, for a new {@link InterceptedServer}. */
	static class ClaimingHook implements InterceptHook {

		final String name;

		final String prefix;

		final BlockingQueue<InterceptedServer> servers = new LinkedBlockingQueue<>();

		final List<Transaction> seen = new CopyOnWriteArrayList<>();

		ClaimingHook(String name, String prefix) {
			this.name = name;
			this.prefix = prefix;
		}

		@Override
		public String name() {
			return this.name;
		}

		@Override
		public void onTransaction(Transaction txn) {
			this.seen.add(txn);
			if (txn.target().startsWith(this.prefix)) {
				InterceptedServer server = new InterceptedServer();
				this.servers.add(server);
				txn.intercept(server);
			}
		}

	}

}
