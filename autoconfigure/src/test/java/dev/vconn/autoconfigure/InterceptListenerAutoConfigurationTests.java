package dev.vconn.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.TunnelResult;
import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.listener.HelloHook;
import dev.vconn.autoconfigure.listener.HelloResponder;
import dev.vconn.autoconfigure.testing.RawHttp;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.InterceptObserver;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.metrics.VConnStatistics;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@Timeout(60)
class InterceptListenerAutoConfigurationTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private static final byte[] HEAD = ascii("GET /stream HTTP/1.1\r\nHost: origin.test\r\nX-Trace: 1\r\n\r\n");

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class))
		.withPropertyValues("vconn.event-threads=1");

	private final ApplicationContextRunner listenerRunner = this.contextRunner
		.withPropertyValues("vconn.listener.enabled=true", "vconn.listener.port=0");

	/** Connection mode: an unclaimed connection is one tunnel to the origin. */
	private final ApplicationContextRunner connectionModeRunner = this.listenerRunner
		.withPropertyValues("vconn.listener.per-transaction=false");

	@Test
	void listenerIsOffByDefault() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(VConnRuntime.class)
			.doesNotHaveBean(InterceptListenerLifecycle.class)
			.doesNotHaveBean(InterceptListener.class));
	}

	@Test
	void enabledListenerBindsLoopbackOnAFreePortWhenPortIsZero() {
		this.listenerRunner.run((context) -> {
			assertThat(context).hasSingleBean(InterceptListenerLifecycle.class);
			InterceptListenerLifecycle lifecycle = context.getBean(InterceptListenerLifecycle.class);
			assertThat(lifecycle.isRunning()).isTrue();
			InterceptListener listener = lifecycle.getListener();
			assertThat(listener).isNotNull();
			assertThat(listener.isRunning()).isTrue();
			assertThat(listener.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
			assertThat(listener.address().getPort()).isPositive();
			assertThat(RawHttp.refuses(listener.address().getPort())).isFalse();
		});
	}

	@Test
	void aContextPausedAndRestartedByTheTestFrameworkKeepsTheRuntimeAndTheListenerServing() {
		this.listenerRunner.run((context) -> {
			InterceptListener listener = context.getBean(InterceptListenerLifecycle.class).getListener();
			assertThat(listener).isNotNull();
			ConfigurableApplicationContext source = context.getSourceApplicationContext();

			// what Spring's test context cache does to a cached context it switches away from and back to
			source.pause();
			source.restart();

			assertThat(context.getBean(VConnRuntime.class).isRunning()).isTrue();
			assertThat(context.getBean(InterceptListenerLifecycle.class).getListener()).isSameAs(listener);
			assertThat(listener.isRunning()).isTrue();
			assertThat(RawHttp.refuses(listener.address().getPort())).isFalse();
		});
	}

	@Test
	void lifecycleStartsAfterTheWebServerAndStopsBeforeGracefulShutdownAndTheRuntime() {
		this.listenerRunner.run((context) -> {
			int phase = context.getBean(InterceptListenerLifecycle.class).getPhase();
			assertThat(phase).isEqualTo(SmartLifecycle.DEFAULT_PHASE - 512)
				.isGreaterThan(WebServerApplicationContext.START_STOP_LIFECYCLE_PHASE)
				.isGreaterThan(WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE)
				.isGreaterThan(VConnRuntimeLifecycle.PHASE);
		});
	}

	@Test
	void withoutWebServerOrOriginUnclaimedConnectionsGet502() {
		this.connectionModeRunner.run((context) -> {
			InterceptListener listener = listener(context);
			assertThat(listener.origin()).isNull();
			String response = RawHttp.exchange(listener.address().getPort(), HEAD);
			assertThat(response).startsWith("HTTP/1.1 502 Bad Gateway\r\n").doesNotContain("Exception");
			VConnStatistics statistics = context.getBean(VConnStatistics.class);
			await().atMost(WAIT).until(() -> statistics.listenerRejections() == 1);
			assertThat(statistics.listenerRejectionsByStatus()).containsEntry(502, 1L).containsEntry(400, 0L);
		});
	}

	@Test
	void inPerTransactionModeRejectionsAreCountedByStatusAndCloseTheConnection() {
		this.listenerRunner.withPropertyValues("vconn.listener.max-header-size=1KB", "vconn.listener.header-timeout=200ms")
			.run((context) -> {
				int port = listener(context).address().getPort();
				RawHttp.exchange(port, HEAD);
				RawHttp.exchange(port, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "x".repeat(1500) + "\r\n\r\n");
				RawHttp.exchange(port, "\u0001 garbage\r\n\r\n");
				try (Socket slow = RawHttp.connect(port)) {
					slow.getOutputStream().write(ascii("GET / HTTP/1.1\r\n"));
					slow.getInputStream().readAllBytes();
				}
				VConnStatistics statistics = context.getBean(VConnStatistics.class);
				await().atMost(WAIT).until(() -> statistics.listenerRejections() == 4);
				assertThat(statistics.listenerRejectionsByStatus()).containsEntry(502, 1L)
					.containsEntry(431, 1L)
					.containsEntry(400, 1L)
					.containsEntry(408, 1L);
				assertThat(statistics.transactions()).isZero();
			});
	}

	@Test
	void eachRequestOfAKeepAliveConnectionIsForwardedToTheOriginWithForwardedHeaders() throws Exception {
		try (ServerSocket origin = origin()) {
			this.listenerRunner.withPropertyValues("vconn.listener.origin=localhost:" + origin.getLocalPort())
				.run((context) -> {
					InterceptListener listener = listener(context);
					assertThat(listener.origin()).isEqualTo(new InetSocketAddress("localhost", origin.getLocalPort()));
					VConnStatistics statistics = context.getBean(VConnStatistics.class);
					try (Socket client = RawHttp.connect(listener.address().getPort())) {
						client.getOutputStream().write(HEAD);
						try (Socket upstream = accept(origin)) {
							for (int i = 1; i <= 2; i++) {
								String forwarded = readHead(upstream.getInputStream());
								assertThat(forwarded).startsWith("GET /stream HTTP/1.1\r\n")
									.contains("X-Trace: 1\r\n")
									.containsIgnoringCase("via: 1.1 vconn")
									.containsIgnoringCase("x-forwarded-for: 127.0.0.1");
								upstream.getOutputStream()
									.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok" + i));
								String response = readHead(client.getInputStream());
								assertThat(response).startsWith("HTTP/1.1 200 OK\r\n");
								assertThat(client.getInputStream().readNBytes(3)).isEqualTo(ascii("ok" + i));
								if (i == 1) {
									// the same client connection, and the same pooled origin connection
									client.getOutputStream().write(HEAD);
								}
							}
						}
					}
					await().atMost(WAIT).until(() -> statistics.transactions() == 2);
					assertThat(statistics.transactionsByPath()).containsEntry(TransactionPath.PASS_THROUGH, 2L);
					assertThat(statistics.transactionsByStatusClass()).containsEntry("2xx", 2L);
					assertThat(statistics.tunnels()).isZero();
				});
		}
	}

	@Test
	void forwardedHeadersCanBeTurnedOff() throws Exception {
		try (ServerSocket origin = origin()) {
			this.listenerRunner
				.withPropertyValues("vconn.listener.origin=127.0.0.1:" + origin.getLocalPort(),
						"vconn.listener.forwarded-headers=false")
				.run((context) -> {
					try (Socket client = RawHttp.connect(listener(context).address().getPort())) {
						client.getOutputStream().write(HEAD);
						try (Socket upstream = accept(origin)) {
							assertThat(readHead(upstream.getInputStream())).doesNotContainIgnoringCase("via:")
								.doesNotContainIgnoringCase("x-forwarded-for:");
						}
					}
				});
		}
	}

	@Test
	void inConnectionModeUnclaimedConnectionsAreTunnelledToTheOriginUnchanged() throws Exception {
		try (ServerSocket origin = origin()) {
			this.connectionModeRunner.withPropertyValues("vconn.listener.origin=localhost:" + origin.getLocalPort())
				.run((context) -> {
					InterceptListener listener = listener(context);
					VConnStatistics statistics = context.getBean(VConnStatistics.class);
					try (Socket client = RawHttp.connect(listener.address().getPort())) {
						client.getOutputStream().write(HEAD);
						try (Socket upstream = accept(origin)) {
							assertThat(upstream.getInputStream().readNBytes(HEAD.length)).isEqualTo(HEAD);
							byte[] response = ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
							upstream.getOutputStream().write(response);
							upstream.shutdownOutput();
							assertThat(client.getInputStream().readAllBytes()).isEqualTo(response);
						}
					}
					await().atMost(WAIT)
						.until(() -> statistics.tunnelsByEnd().values().stream().mapToLong(Long::longValue).sum() == 1);
					assertThat(statistics.tunnels()).isEqualTo(1);
					assertThat(statistics.activeTunnels()).isZero();
					assertThat(statistics.adoptionsBySource()).containsEntry(AdoptionSource.INTERCEPT, 1L)
						.containsEntry(AdoptionSource.CONNECT, 1L);
				});
		}
	}

	@Test
	void maxHeaderSizeAndHeaderTimeoutPropertiesApply() {
		this.connectionModeRunner.withPropertyValues("vconn.listener.max-header-size=1KB", "vconn.listener.header-timeout=200ms")
			.run((context) -> {
				int port = listener(context).address().getPort();
				String big = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "x".repeat(1500) + "\r\n\r\n";
				assertThat(RawHttp.exchange(port, big)).startsWith("HTTP/1.1 431 ");
				try (Socket slow = RawHttp.connect(port)) {
					slow.getOutputStream().write(ascii("GET / HTTP/1.1\r\n"));
					String response = new String(slow.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
					assertThat(response).startsWith("HTTP/1.1 408 ");
				}
				VConnStatistics statistics = context.getBean(VConnStatistics.class);
				await().atMost(WAIT).until(() -> statistics.listenerRejections() == 2);
				assertThat(statistics.listenerRejectionsByStatus()).containsEntry(431, 1L).containsEntry(408, 1L);
			});
	}

	@Test
	void hookBeansTakeConnectionsOverAndServeTransactions() {
		this.listenerRunner.withBean(HelloHook.class).run((context) -> {
			assertThat(context.getBean(InterceptHookRegistry.class).hooks()).hasSize(1);
			int port = listener(context).address().getPort();
			String hooked = RawHttp.exchange(port, "GET /hooked HTTP/1.1\r\nHost: a\r\n\r\n");
			assertThat(hooked)
				.isEqualTo(new String(new HelloResponder("GET /hooked").response(), StandardCharsets.ISO_8859_1));
			String served = RawHttp.exchange(port, "GET /served HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
			assertThat(served).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nHello from the hook: GET /served\n");
			VConnStatistics statistics = context.getBean(VConnStatistics.class);
			await().atMost(WAIT).until(() -> statistics.transactions() == 2);
			assertThat(statistics.interceptsOf("hello", InterceptType.INTERCEPT))
				.containsEntry(InterceptOutcome.ACCEPTED, 1L);
			assertThat(statistics.interceptsOf("hello", InterceptType.SERVER_INTERCEPT))
				.containsEntry(InterceptOutcome.ACCEPTED, 1L);
			assertThat(statistics.transactionsByPath()).containsEntry(TransactionPath.INTERCEPTED, 1L)
				.containsEntry(TransactionPath.SERVER_INTERCEPTED, 1L);
		});
	}

	@Test
	void interceptObserverBeansSeeTheListenersRejectionsInOrder() {
		List<String> seen = new CopyOnWriteArrayList<>();
		this.listenerRunner
			.withBean("second", InterceptObserver.class, () -> recordingObserver("second", seen))
			.withBean(OrderedObserver.class, () -> new OrderedObserver(seen))
			.run((context) -> {
				int port = listener(context).address().getPort();
				assertThat(RawHttp.exchange(port, "NOT HTTP\r\n\r\n")).startsWith("HTTP/1.1 400 ");
				await().atMost(WAIT).until(() -> seen.size() == 2);
				assertThat(seen).containsExactly("first 400", "second 400");
				assertThat(context.getBean(VConnStatistics.class).listenerRejectionsByStatus()).containsEntry(400, 1L);
			});
	}

	private static InterceptObserver recordingObserver(String name, List<String> seen) {
		return new InterceptObserver() {
			@Override
			public void onListenerRejection(int status) {
				seen.add(name + " " + status);
			}
		};
	}

	@Order(1)
	static final class OrderedObserver implements InterceptObserver {

		private final List<String> seen;

		OrderedObserver(List<String> seen) {
			this.seen = seen;
		}

		@Override
		public void onListenerRejection(int status) {
			this.seen.add("first " + status);
		}

	}

	@Test
	void stopClosesTheListenerFirstAndLetsLiveTunnelsFinish() throws Exception {
		try (ServerSocket origin = origin()) {
			this.connectionModeRunner
				.withPropertyValues("vconn.listener.origin=127.0.0.1:" + origin.getLocalPort(),
						"vconn.shutdown.timeout=30s")
				.run((context) -> {
					VConnStatistics statistics = context.getBean(VConnStatistics.class);
					VConnRuntime runtime = context.getBean(VConnRuntime.class);
					int port = listener(context).address().getPort();
					try (Socket client = RawHttp.connect(port)) {
						client.getOutputStream().write(HEAD);
						try (Socket upstream = accept(origin)) {
							assertThat(upstream.getInputStream().readNBytes(HEAD.length)).isEqualTo(HEAD);
							await().atMost(WAIT).until(() -> statistics.activeTunnels() == 1);

							CompletableFuture<Void> closing = CompletableFuture.runAsync(context::close);
							await().atMost(WAIT).until(() -> RawHttp.refuses(port));
							await().atMost(WAIT).until(() -> !runtime.isRunning());

							// The runtime drains: the tunnel still carries bytes both ways.
							upstream.getOutputStream().write(ascii("part one"));
							assertThat(client.getInputStream().readNBytes(8)).isEqualTo(ascii("part one"));
							client.getOutputStream().write(ascii("more"));
							assertThat(upstream.getInputStream().readNBytes(4)).isEqualTo(ascii("more"));
							assertThat(closing).isNotDone();

							// Both sides finish: the tunnel ends, nothing is aborted.
							upstream.shutdownOutput();
							assertThat(client.getInputStream().read()).isEqualTo(-1);
							client.shutdownOutput();
							assertThat(upstream.getInputStream().read()).isEqualTo(-1);
							assertThat(closing).succeedsWithin(WAIT);
						}
					}
					assertThat(runtime.activeCount()).isZero();
					assertThat(statistics.aborts()).isZero();
					assertThat(statistics.tunnelsByEnd()).containsEntry(TunnelResult.End.EOS, 1L);
					assertThat(statistics.activeTunnels()).isZero();
				});
		}
	}

	@Test
	void stopAbortsTunnelsStillAliveAfterTheShutdownTimeoutWithCauseShutdown() throws Exception {
		try (ServerSocket origin = origin()) {
			this.connectionModeRunner
				.withPropertyValues("vconn.listener.origin=127.0.0.1:" + origin.getLocalPort(),
						"vconn.shutdown.timeout=200ms")
				.run((context) -> {
					VConnStatistics statistics = context.getBean(VConnStatistics.class);
					VConnRuntime runtime = context.getBean(VConnRuntime.class);
					int port = listener(context).address().getPort();
					try (Socket client = RawHttp.connect(port)) {
						client.getOutputStream().write(HEAD);
						try (Socket upstream = accept(origin)) {
							assertThat(upstream.getInputStream().readNBytes(HEAD.length)).isEqualTo(HEAD);
							await().atMost(WAIT).until(() -> statistics.activeTunnels() == 1);
							context.close();
							assertThat(RawHttp.refuses(port)).isTrue();
							assertThat(runtime.activeCount()).isZero();
							await().atMost(WAIT).until(() -> statistics.activeTunnels() == 0);
							assertThat(statistics.abortsByCause()).containsEntry(CloseKind.SHUTDOWN, 2L);
							assertThat(statistics.tunnelsByEnd()).containsEntry(TunnelResult.End.ABORTED, 1L);
							assertThat(readUntilEnd(client.getInputStream())).isTrue();
						}
					}
				});
		}
	}

	@Test
	void spliceIsUsedOnEpollUnlessTurnedOff() throws Exception {
		assumeTrue(Epoll.isAvailable(), "splice needs epoll");
		for (boolean splice : new boolean[] { true, false }) {
			try (ServerSocket origin = origin()) {
				this.connectionModeRunner
					.withPropertyValues("vconn.transport=epoll", "vconn.listener.splice=" + splice,
							"vconn.listener.origin=127.0.0.1:" + origin.getLocalPort())
					.run((context) -> {
						VConnStatistics statistics = context.getBean(VConnStatistics.class);
						try (Socket client = RawHttp.connect(listener(context).address().getPort())) {
							client.getOutputStream().write(HEAD);
							try (Socket upstream = accept(origin)) {
								assertThat(upstream.getInputStream().readNBytes(HEAD.length)).isEqualTo(HEAD);
								upstream.getOutputStream().write(ascii("spliced?"));
								upstream.shutdownOutput();
								assertThat(client.getInputStream().readAllBytes()).isEqualTo(ascii("spliced?"));
								client.shutdownOutput();
								assertThat(upstream.getInputStream().read()).isEqualTo(-1);
							}
						}
						await().atMost(WAIT).until(() -> statistics.tunnelsByEnd().get(TunnelResult.End.EOS) == 1);
						assertThat(statistics.splicedTunnels()).as("spliced with splice=%s", splice)
							.isEqualTo(splice ? 1 : 0);
					});
			}
		}
	}

	@Test
	void listenerWorksWithoutTheWebServerModule() {
		this.listenerRunner.withClassLoader(new FilteredClassLoader("org.springframework.boot.web.server"))
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(WebServerOriginListener.class);
				assertThat(listener(context).origin()).isNull();
			});
	}

	@Test
	void listenerWorksWithoutActuatorAndMicrometer() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class, VConnMetricsAutoConfiguration.class,
					VConnEndpointAutoConfiguration.class, VConnHealthContributorAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader("io.micrometer", "org.springframework.boot.actuate",
					"org.springframework.boot.health", "org.springframework.boot.micrometer"))
			.withPropertyValues("vconn.event-threads=1", "vconn.listener.enabled=true", "vconn.listener.port=0")
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.hasSingleBean(InterceptListenerLifecycle.class)
					.doesNotHaveBean("micrometerVConnListener")
					.doesNotHaveBean("vconnEndpoint");
				RawHttp.exchange(listener(context).address().getPort(), HEAD);
				VConnStatistics statistics = context.getBean(VConnStatistics.class);
				await().atMost(WAIT).until(() -> statistics.listenerRejections() == 1);
			});
	}

	@Test
	void userDefinedLifecycleBacksOff() {
		this.listenerRunner.withUserConfiguration(UserLifecycleConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(InterceptListenerLifecycle.class)
				.hasBean("myLifecycle"));
	}

	@Test
	void userDefinedListenerBacksOff() {
		this.listenerRunner.withUserConfiguration(UserListenerConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(InterceptListener.class)
				.doesNotHaveBean(InterceptListenerLifecycle.class));
	}

	@Test
	void listenerBacksOffWhenVConnIsDisabled() {
		this.listenerRunner.withPropertyValues("vconn.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(InterceptListenerLifecycle.class)
				.doesNotHaveBean(VConnRuntime.class));
	}

	@ParameterizedTest(name = "vconn.transport={0}")
	@ValueSource(strings = { "auto", "nio" })
	void portInUseFailsStartupWithBindExceptionNamingTheAddress(String transport) throws Exception {
		try (ServerSocket taken = origin()) {
			this.contextRunner
				.withPropertyValues("vconn.transport=" + transport, "vconn.listener.enabled=true",
						"vconn.listener.port=" + taken.getLocalPort())
				.run((context) -> {
					assertThat(context).hasFailed();
					assertThat(context.getStartupFailure()).rootCause().isNotNull();
					InterceptListenerBindException failure = findCause(context.getStartupFailure(),
							InterceptListenerBindException.class);
					assertThat(failure).isNotNull();
					assertThat(failure.isPortInUse()).isTrue();
					assertThat(failure.getAddress().getPort()).isEqualTo(taken.getLocalPort());
					assertThat(failure).hasMessageContaining("127.0.0.1:" + taken.getLocalPort());
				});
		}
	}

	@Test
	void unknownOriginHostFailsStartupNamingTheProperty() {
		this.listenerRunner.withPropertyValues("vconn.listener.origin=no-such-host.invalid:8080")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining(
						"vconn.listener.origin 'no-such-host.invalid:8080' cannot be used: unknown host 'no-such-host.invalid'");
			});
	}

	@Test
	void portInUseIsExplainedByTheFailureAnalyzer() {
		InterceptListenerBindException failure = new InterceptListenerBindException(
				new InetSocketAddress(InetAddress.getLoopbackAddress(), 8081), true,
				new java.net.BindException("Address already in use"));
		org.springframework.boot.diagnostics.FailureAnalysis analysis = new InterceptListenerBindFailureAnalyzer()
			.analyze(new IllegalStateException("wrapped", failure));
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).contains("port 8081 is already in use")
			.contains("vconn.listener.port=8081");
		assertThat(analysis.getAction()).contains("set vconn.listener.port to a free port")
			.contains("vconn.listener.enabled=false");
	}

	@Test
	void addressThatCannotBeBoundIsExplainedByTheFailureAnalyzer() {
		InterceptListenerBindException failure = new InterceptListenerBindException(
				new InetSocketAddress("192.0.2.1", 8081), false,
				new java.net.BindException("Cannot assign requested address"));
		org.springframework.boot.diagnostics.FailureAnalysis analysis = new InterceptListenerBindFailureAnalyzer()
			.analyze(failure);
		assertThat(analysis.getDescription()).contains("could not bind 192.0.2.1:8081")
			.contains("Reason: Cannot assign requested address");
		assertThat(analysis.getAction()).contains("Set vconn.listener.address to an address of this machine");
	}

	private static InterceptListener listener(AssertableApplicationContext context) {
		InterceptListener listener = context.getBean(InterceptListenerLifecycle.class).getListener();
		assertThat(listener).isNotNull();
		return listener;
	}

	private static ServerSocket origin() throws IOException {
		return new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] { 127, 0, 0, 1 }));
	}

	private static Socket accept(ServerSocket origin) throws IOException {
		origin.setSoTimeout((int) WAIT.toMillis());
		Socket socket = origin.accept();
		socket.setSoTimeout((int) WAIT.toMillis());
		return socket;
	}

	/** Reads an HTTP head, up to and including its empty line. */
	private static String readHead(InputStream in) throws IOException {
		StringBuilder head = new StringBuilder();
		while (head.indexOf("\r\n\r\n") < 0) {
			int b = in.read();
			if (b < 0) {
				throw new IOException("end of stream after " + head);
			}
			head.append((char) b);
		}
		return head.toString();
	}

	/** Reads until end of stream or a reset. */
	private static boolean readUntilEnd(InputStream in) {
		try {
			return in.read() == -1 || in.readAllBytes() != null;
		}
		catch (IOException ex) {
			return ex.getMessage() != null && ex.getMessage().toLowerCase().contains("reset");
		}
	}

	private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (type.isInstance(cause)) {
				return type.cast(cause);
			}
		}
		return null;
	}

	static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	@org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
	static class UserLifecycleConfiguration {

		@org.springframework.context.annotation.Bean
		InterceptListenerLifecycle myLifecycle(VConnRuntime runtime, InterceptHookRegistry hooks) {
			VConnProperties.Listener properties = new VConnProperties.Listener();
			properties.setPort(0);
			return new InterceptListenerLifecycle(runtime, hooks, properties, () -> null, List::of);
		}

	}

	@org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
	static class UserListenerConfiguration {

		// Closed with the runtime's event threads when the runtime stops, before beans are destroyed.
		@org.springframework.context.annotation.Bean(destroyMethod = "")
		InterceptListener myListener(VConnRuntime runtime, InterceptHookRegistry hooks) {
			return InterceptListener.builder(runtime, hooks).port(0).start();
		}

	}

}
