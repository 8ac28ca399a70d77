package dev.vconn.intercept;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.TransportMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.vconn.intercept.RawHttp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Transactions of a connection-mode listener, as observers see them start and end: the first
 * request of each connection, ended when the connection is handed to an intercept or to the tunnel
 * to the origin, or answered with the listener's own error.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionModeTransactionObserverTests extends InterceptTestSupport {

	private final List<String> calls = new CopyOnWriteArrayList<>();

	@Test
	void eachConnectionsTransactionEndsOnceWhenHandedOverOrRejected() throws Exception {
		this.hooks.register(new ClaimingHook("claimer", "/x"));
		this.hooks.register(new InterceptHook() {
			@Override
			public String name() {
				return "thrower";
			}

			@Override
			public void onTransaction(Transaction txn) {
				if (txn.target().startsWith("/throw")) {
					throw new IllegalStateException("hook failure");
				}
			}
		});
		start(TransportMode.NIO, 0, (builder) -> builder.addObserver(tracing(this.calls)));

		RawHttp.Response passed = RawHttp.exchange(address(), ascii("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n"));
		RawHttp.Response claimed = RawHttp.exchange(address(), ascii("GET /x/y HTTP/1.1\r\nHost: t\r\n\r\n"));
		RawHttp.Response thrown = RawHttp.exchange(address(), ascii("GET /throw HTTP/1.1\r\nHost: t\r\n\r\n"));

		assertThat(passed.status()).isEqualTo(200);
		assertThat(claimed.status()).isEqualTo(200);
		assertThat(thrown.status()).isEqualTo(500);
		await().atMost(Duration.ofSeconds(10)).until(() -> this.calls.size() == 6);
		// the tunnel carries the response: the listener never sees its status
		assertThat(this.calls).containsExactly("start GET /echo", "end /echo COMPLETED PASS_THROUGH null null 0",
				"start GET /x/y", "end /x/y COMPLETED INTERCEPTED INTERCEPT claimer 0", "start GET /throw",
				"end /throw REJECTED null null thrower 500");
	}

}
