package dev.vconn.recipes;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;
import dev.vconn.VConnRuntime;
import dev.vconn.testing.NettyLeakCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The client-side recipe ({@link OneRequest}) against the JDK's HTTP server on loopback: the
 * response arrives whole, read to end of stream, and the VConn is gone afterwards.
 */
@ExtendWith(NettyLeakCheck.class)
@Timeout(30)
class ClientRecipeTests {

	private final VConnRuntime runtime = VConnRuntime.builder().eventThreads(1).build();

	private HttpServer server;

	@BeforeEach
	void startServer() throws IOException {
		this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		this.server.createContext("/", (exchange) -> {
			byte[] body = ("you asked for " + exchange.getRequestURI()).getBytes(StandardCharsets.US_ASCII);
			exchange.sendResponseHeaders(200, body.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(body);
			}
		});
		this.server.start();
	}

	@AfterEach
	void stop() {
		this.server.stop(0);
		this.runtime.close();
	}

	@Test
	void requestThreadGetsTheWholeResponseReadToEndOfStream() throws Exception {
		String response = OneRequest
			.send(this.runtime.factory(), this.server.getAddress(),
					"GET /recipe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
			.get(10, TimeUnit.SECONDS);
		assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nyou asked for /recipe");
		await().atMost(Duration.ofSeconds(10)).until(() -> this.runtime.activeCount() == 0);
	}

	@Test
	void refusedConnectionFailsOnTheCallersThreadBeforeAnyVConnExists() {
		InetSocketAddress closed = this.server.getAddress();
		this.server.stop(0);
		assertThatExceptionOfType(IOException.class)
			.isThrownBy(() -> OneRequest.send(this.runtime.factory(), closed, "GET / HTTP/1.1\r\n\r\n"));
		assertThat(this.runtime.activeCount()).isZero();
	}

}
