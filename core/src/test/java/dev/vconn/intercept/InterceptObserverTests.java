package dev.vconn.intercept;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.CountingListener.Intercept;
import dev.vconn.testing.TestOrigin;
import dev.vconn.testing.TransportMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static dev.vconn.intercept.RawHttp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * Observers of an intercept listener: registered on its builder, called in order for every
 * intercept, finished transaction and rejection, and kept from changing how a request is served
 * when they throw.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InterceptObserverTests extends InterceptTestSupport {

	private final List<String> calls = new CopyOnWriteArrayList<>();

	@Override
	boolean perTransaction() {
		return true;
	}

	@Test
	void observersSeeEveryRequestInOrderAndOneThatThrowsChangesNothing() throws Exception {
		this.hooks.register(new ClaimingHook("claimer", "/x"));
		start(TransportMode.NIO, 0, (builder) -> builder.addObserver(new InterceptObserver() {
			@Override
			public void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
				InterceptObserverTests.this.calls.add("throwing " + hook + " " + outcome);
				throw new IllegalStateException("observer failure");
			}

			@Override
			public void onTransactionCompleted(TransactionPath path, int status) {
				InterceptObserverTests.this.calls.add("throwing " + path + " " + status);
				throw new IllegalStateException("observer failure");
			}

			@Override
			public void onListenerRejection(int status) {
				InterceptObserverTests.this.calls.add("throwing " + status);
				throw new IllegalStateException("observer failure");
			}
		}).addObserver(recording("second")));

		RawHttp.Response passed = RawHttp.exchange(address(), ascii("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n"));
		RawHttp.Response claimed = RawHttp.exchange(address(), ascii("GET /x/y HTTP/1.1\r\nHost: t\r\n\r\n"));
		RawHttp.Response rejected = RawHttp.exchange(address(), ascii("NOT HTTP\r\n\r\n"));

		assertThat(passed.status()).isEqualTo(200);
		assertThat(claimed.status()).isEqualTo(200);
		assertThat(claimed.bodyText()).isEqualTo("0 0");
		assertThat(rejected.status()).isEqualTo(400);
		List<String> events = List.of("PASS_THROUGH 200", "claimer ACCEPTED", "INTERCEPTED 0", "400");
		await().atMost(Duration.ofSeconds(10)).until(() -> this.calls.size() == 2 * events.size());
		for (String event : events) {
			// each callback goes to the observers in the order they were added, one after the other
			int first = this.calls.indexOf("throwing " + event);
			assertThat(first).as(event).isNotNegative();
			assertThat(this.calls.get(first + 1)).isEqualTo("second " + event);
		}
		// the builder's observers, not the runtime's listeners, see the listener's requests
		assertThat(this.events.intercepts()).extracting(Intercept::hook, Intercept::outcome)
			.containsExactly(tuple("claimer", InterceptOutcome.ACCEPTED));
		assertThat(this.events.rejections()).containsExactly(400);
	}

	@Test
	void eachTransactionStartsBeforeTheHooksAndEndsOnceWithHowItEnded() throws Exception {
		this.hooks.register(new ClaimingHook("claimer", "/x"));
		this.hooks.register(new InterceptHook() {
			@Override
			public void onTransaction(Transaction txn) {
				InterceptObserverTests.this.calls.add("hook " + txn.target());
			}
		});
		start(TransportMode.NIO, 0, (builder) -> builder.addObserver(tracing(this.calls)));

		RawHttp.Response passed = RawHttp.exchange(address(), ascii("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n"));
		RawHttp.Response claimed = RawHttp.exchange(address(), ascii("GET /x/y HTTP/1.1\r\nHost: t\r\n\r\n"));
		RawHttp.Response malformed = RawHttp.exchange(address(), ascii("NOT HTTP\r\n\r\n"));
		try (java.net.Socket client = RawHttp.connect(address())) {
			client.getOutputStream().write(ascii("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n"));
			// the origin holds the request (so its connect cannot lose a race with the close below)
			await().atMost(Duration.ofSeconds(10)).until(() -> this.routes.hanging() == 1);
			// the runtime stops before the origin answers: the transaction is abandoned
			this.runtime.close(Duration.ofSeconds(1));
		}

		assertThat(passed.status()).isEqualTo(200);
		assertThat(claimed.status()).isEqualTo(200);
		assertThat(malformed.status()).isEqualTo(400);
		await().atMost(Duration.ofSeconds(10)).until(() -> this.calls.size() == 8);
		// a malformed head starts no transaction; every other one ends exactly once
		assertThat(this.calls).containsExactly("start GET /echo", "hook /echo",
				"end /echo COMPLETED PASS_THROUGH null null 200", "start GET /x/y",
				"end /x/y COMPLETED INTERCEPTED INTERCEPT claimer 0", "start GET /hang", "hook /hang",
				"end /hang ABANDONED PASS_THROUGH null null 0");
	}

	@ParameterizedTest
	@EnumSource(value = TransportMode.class, names = { "NIO", "EPOLL_SPLICE" })
	void clientThatResetsWhileTheOriginPreparesItsResponseAbandonsTheTransactionAtOnce(TransportMode mode)
			throws Exception {
		// an origin timeout far beyond the wait below: only noticing the reset can end the transaction
		start(mode, 0, (builder) -> builder.originTimeout(Duration.ofMinutes(5)).addObserver(tracing(this.calls)));
		try (java.net.Socket client = RawHttp.connect(address())) {
			client.getOutputStream().write(ascii("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n"));
			await().atMost(Duration.ofSeconds(10)).until(() -> this.calls.contains("start GET /hang"));
			TestOrigin.reset(client);
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> this.calls.size() == 2);
		assertThat(this.calls).containsExactly("start GET /hang", "end /hang ABANDONED PASS_THROUGH null null 0");
	}

	@Test
	void responseCutOffByTheOriginEndsTheTransactionOnce() throws Exception {
		start(TransportMode.NIO, 0, (builder) -> builder.addObserver(tracing(this.calls)));
		try {
			RawHttp.exchange(address(), ascii("GET /reset?n=1048576 HTTP/1.1\r\nHost: t\r\n\r\n"));
		}
		catch (java.net.SocketException ex) {
			// the reset can overtake the head: the client never sees a response at all
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> this.calls.size() == 2);
		// the origin's reset usually comes after the head was relayed; it may also overtake it
		assertThat(this.calls.get(1)).isIn("end /reset?n=1048576 ABORTED PASS_THROUGH null null 200",
				"end /reset?n=1048576 REJECTED PASS_THROUGH null null 502");
	}

	@Test
	void observerMayPassHeadersOnButCannotClaim() throws Exception {
		start(TransportMode.NIO, 0, (builder) -> builder.addObserver(new InterceptObserver() {
			@Override
			public TransactionObserver onTransactionStarted(Transaction txn) {
				txn.setHeader("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
				try {
					txn.intercept(new InterceptedServer());
				}
				catch (IllegalStateException ex) {
					InterceptObserverTests.this.calls.add(ex.getMessage());
				}
				return TransactionObserver.noop();
			}
		}));

		RawHttp.Response passed = RawHttp.exchange(address(), ascii("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n"));

		assertThat(passed.status()).isEqualTo(200);
		assertThat(new String(this.routes.echoed().poll(10, TimeUnit.SECONDS), java.nio.charset.StandardCharsets.US_ASCII))
			.containsIgnoringCase("traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
		assertThat(this.calls).singleElement().asString().startsWith("only a hook may claim transaction");
	}

	@Test
	void observerThatThrowsAtTheStartOrTheEndChangesNothing() throws Exception {
		start(TransportMode.NIO, 0, (builder) -> builder.addObserver(new InterceptObserver() {
			@Override
			public TransactionObserver onTransactionStarted(Transaction txn) {
				if (txn.target().startsWith("/echo?start")) {
					throw new IllegalStateException("observer failure at the start");
				}
				return new TransactionObserver() {
					@Override
					public void onEnded(TransactionResult result) {
						throw new IllegalStateException("observer failure at the end");
					}
				};
			}
		}).addObserver(tracing(this.calls)));

		RawHttp.Response first = RawHttp.exchange(address(), ascii("GET /echo?start HTTP/1.1\r\nHost: t\r\n\r\n"));
		RawHttp.Response second = RawHttp.exchange(address(), ascii("GET /echo?end HTTP/1.1\r\nHost: t\r\n\r\n"));

		assertThat(first.status()).isEqualTo(200);
		assertThat(second.status()).isEqualTo(200);
		await().atMost(Duration.ofSeconds(10)).until(() -> this.calls.size() == 4);
		assertThat(this.calls).containsExactly("start GET /echo?start",
				"end /echo?start COMPLETED PASS_THROUGH null null 200", "start GET /echo?end",
				"end /echo?end COMPLETED PASS_THROUGH null null 200");
	}

	@Test
	void thenAndCompositeCallEachObserverInOrder() {
		InterceptObserver chained = recording("a").then(recording("b"));
		InterceptObserver composite = InterceptObserver.composite(List.of(recording("c"), InterceptObserver.noop(),
				recording("d")));

		chained.onListenerRejection(503);
		composite.onIntercept("h", InterceptType.SERVER_INTERCEPT, InterceptOutcome.ERROR);
		composite.onTransactionCompleted(TransactionPath.SERVER_INTERCEPTED, 404);

		assertThat(this.calls).containsExactly("a 503", "b 503", "c h ERROR", "d h ERROR", "c SERVER_INTERCEPTED 404",
				"d SERVER_INTERCEPTED 404");
	}

	private InterceptObserver recording(String name) {
		return new InterceptObserver() {
			@Override
			public void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
				InterceptObserverTests.this.calls.add(name + " " + hook + " " + outcome);
			}

			@Override
			public void onTransactionCompleted(TransactionPath path, int status) {
				InterceptObserverTests.this.calls.add(name + " " + path + " " + status);
			}

			@Override
			public void onListenerRejection(int status) {
				InterceptObserverTests.this.calls.add(name + " " + status);
			}
		};
	}

}
