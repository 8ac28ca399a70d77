package dev.vconn.transaction;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.HttpWire;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A passed-through response reaches the client as the origin sends it: the listener sends the
 * parts of a response read together in one write, and never holds back what it read while the
 * origin is still sending the rest.
 */
@OnEachTransport
class StreamedResponseTests extends TransactionTestSupport {

	@Test
	@Timeout(30)
	void theFirstPartOfAResponseReachesTheClientWhileTheOriginHoldsTheRest() throws IOException {
		CountDownLatch rest = new CountDownLatch(1);
		this.origin.behave((request, exchange) -> {
			OutputStream out = exchange.out();
			out.write(HttpWire.ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n"));
			out.flush();
			try {
				if (!rest.await(20, TimeUnit.SECONDS)) {
					throw new InterruptedIOException("the client never saw the first part");
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new InterruptedIOException();
			}
			out.write(HttpWire.ascii("4\r\nrest\r\n0\r\n\r\n"));
			out.flush();
			return true;
		});
		try (RawClient client = client()) {
			client.send("GET /pt/streamed HTTP/1.1\r\nHost: origin\r\n\r\n");
			String first = readThrough(client.in(), "first\r\n");
			assertThat(first).startsWith("HTTP/1.1 200").contains("\r\n\r\n5\r\nfirst\r\n");
			rest.countDown();
			assertThat(readThrough(client.in(), "0\r\n\r\n")).isEqualTo("4\r\nrest\r\n0\r\n\r\n");
		}
	}

	/** Reads up to and including {@code end}; fails if the connection ends first. */
	private static String readThrough(InputStream in, String end) throws IOException {
		StringBuilder text = new StringBuilder();
		while (!text.toString().endsWith(end)) {
			int b = in.read();
			if (b < 0) {
				throw new IOException("the connection ended after " + text);
			}
			text.append(new String(new byte[] { (byte) b }, StandardCharsets.ISO_8859_1));
		}
		return text.toString();
	}

}
