package dev.vconn.transaction;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.testing.CountingListener.Completed;
import dev.vconn.testing.CountingListener.Intercept;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server intercept that answers before it has read the request body (a refusal, a redirect) and
 * closes: the client gets the whole response, the transaction counts as served, and since the
 * rest of the body was never read, the connection ends after the response instead of reading that
 * body as the next request.
 */
@OnEachTransport
class EarlyResponseTests extends TransactionTestSupport {

	@Test
	void interceptThatAnswersBeforeReadingTheBodyAndClosesGetsItsResponseToTheClient() throws Exception {
		EarlyAnswer answer = new EarlyAnswer();
		this.customIntercept = (txn) -> answer;
		byte[] body = HttpWire.body("unwanted", 4 << 20);
		try (RawClient client = client()) {
			client.send("POST /si/early HTTP/1.1\r\nHost: origin.test\r\nContent-Length: " + body.length + "\r\n\r\n");
			// the body is sent by another thread: the listener may stop taking it
			CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
				try {
					OutputStream out = client.socket().getOutputStream();
					out.write(body);
					out.flush();
				}
				catch (IOException ex) {
					// the listener ended the connection before taking the whole body
				}
			});
			Message response = client.read("POST");
			assertThat(response.status()).isEqualTo(413);
			assertThat(response.bodyText()).isEqualTo("too large");
			assertThat(client.isClosedByPeer()).as("the unread body is not read as a next request").isTrue();
			assertThat(upload).succeedsWithin(Duration.ofSeconds(20));
		}
		assertThat(answer.ended).succeedsWithin(Duration.ofSeconds(10));
		eventually().untilAsserted(() -> assertThat(this.listener.completed())
			.containsExactly(new Completed(TransactionPath.SERVER_INTERCEPTED, 413)));
		assertThat(this.listener.intercepts())
			.containsExactly(new Intercept(HOOK, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPTED));
		assertThat(this.seen).hasSize(1);
	}

	/** Reads the request head only, answers 413, and closes once the answer is in the pair. */
	static final class EarlyAnswer implements Continuation {

		final CompletableFuture<Void> ended = new CompletableFuture<>();

		private final Lock mutex = new ReentrantLock();

		private final IOBuffer in = IOBuffer.create();

		private final IOBufferReader inReader = this.in.allocReader();

		private final IOBuffer out = IOBuffer.create();

		private final IOBufferReader outReader = this.out.allocReader();

		private final StringBuilder head = new StringBuilder();

		private @Nullable VConn vconn;

		private boolean answered;

		@Override
		public Lock mutex() {
			return this.mutex;
		}

		@Override
		public void handleEvent(VConnEvent event, @Nullable Object data) {
			switch (event) {
				case NET_ACCEPT -> {
					this.vconn = (VConn) data;
					this.vconn.read(this, this.in, Long.MAX_VALUE);
				}
				case VCONN_READ_READY -> {
					while (!this.answered && this.inReader.avail() > 0) {
						byte[] one = new byte[1];
						this.inReader.read(one, 0, 1);
						this.head.append((char) one[0]);
						if (this.head.toString().endsWith("\r\n\r\n")) {
							this.answered = true;
							byte[] response = HttpWire
								.ascii("HTTP/1.1 413 Content Too Large\r\nContent-Length: 9\r\n\r\ntoo large");
							this.out.write(response);
							this.vconn.write(this, this.outReader, response.length);
						}
					}
					// the body is left unread: the read buffer fills up and stays full
				}
				case VCONN_WRITE_READY -> {
				}
				case VCONN_WRITE_COMPLETE -> end();
				default -> end();
			}
		}

		private void end() {
			this.vconn.close();
			this.in.close();
			this.out.close();
			this.ended.complete(null);
		}

	}

}
