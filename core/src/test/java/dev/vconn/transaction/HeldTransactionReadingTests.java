package dev.vconn.transaction;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

import dev.vconn.testing.HttpWire;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.ScriptedIntercept.Script;
import dev.vconn.testing.TestOrigin;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the listener reads from a client while one of its transactions is held: on NIO it keeps
 * reading so a client that leaves is noticed, but never more than about one request head's worth,
 * so a client that pipelines without end is still held back by TCP flow control.
 */
@OnEachTransport
class HeldTransactionReadingTests extends TransactionTestSupport {

	/** Far more than the kernel buffers of a loopback connection that nobody reads. */
	private static final long PIPELINED_BYTES = 32L * 1024 * 1024;

	@Test
	void clientThatPipelinesWithoutEndWhileATransactionIsHeldIsHeldBack() throws IOException {
		this.scripts = (target) -> target.endsWith("/first") ? new Script().hold() : new Script();
		RawClient client = client();
		client.send(HttpWire.get("/si/cl/5/first"));
		eventually().until(() -> !this.intercepts.isEmpty() && this.intercepts.get(0).request().isDone());
		byte[] request = ("GET /si/cl/5/next HTTP/1.1\r\nHost: t\r\nX-Pad: " + "p".repeat(1000) + "\r\n\r\n")
			.getBytes(StandardCharsets.US_ASCII);
		OutputStream out = client.socket().getOutputStream();
		CompletableFuture<Void> pipelining = CompletableFuture.runAsync(() -> {
			try {
				for (long sent = 0; sent < PIPELINED_BYTES; sent += request.length) {
					out.write(request);
				}
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
		});
		// the writes stall: the listener stopped reading, it does not buffer what the client sends
		assertThat(pipelining).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(TimeoutException.class);
		assertThat(seenTargets()).containsExactly("/si/cl/5/first");
		assertThat(this.intercepts).hasSize(1);
		// past that bound even NIO no longer sees the client leave: the held response is what ends it
		TestOrigin.reset(client.socket());
		assertThat(pipelining).as("the writer fails once its connection is reset")
			.failsWithin(Duration.ofSeconds(10));
		this.intercepts.get(0).respond();
		assertThat(this.intercepts.get(0).ended()).succeedsWithin(Duration.ofSeconds(10));
		eventually().untilAsserted(() -> assertThat(this.runtime.activeCount()).isZero());
	}

}
