package dev.vconn.intercept;

import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.StreamingRoutes;
import dev.vconn.testing.TransportMode;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static dev.vconn.intercept.RawHttp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Connection mode, where an unclaimed connection is a byte tunnel to the origin: an origin that
 * sends nothing within the origin timeout gives the client 504, one that closes before its first
 * byte 502, each with {@code Connection: close} and a FIN after it; a tunnel through which nothing
 * moves for the idle timeout is closed. With splice, copying on epoll, and NIO.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConnectionModeTimeoutTests extends InterceptTestSupport {

	private static final Duration SHORT = Duration.ofMillis(300);

	@ParameterizedTest
	@EnumSource(TransportMode.class)
	void originThatSendsNothingGets504(TransportMode mode) throws Exception {
		start(mode, 0, (builder) -> builder.originTimeout(SHORT));
		try (Socket socket = RawHttp.connect(address())) {
			long start = System.nanoTime();
			socket.getOutputStream().write(ascii("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n"));
			RawHttp.Response response = RawHttp.read(socket.getInputStream());
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(SHORT);
			assertThat(response.status()).isEqualTo(504);
			assertThat(response.bodyText()).isEqualTo("504 Gateway Timeout\n");
			assertThat(response.headers()).containsEntry("connection", "close");
			assertThat(response.complete()).isTrue();
			assertThat(socket.getInputStream().read()).as("a FIN after the response").isEqualTo(-1);
		}
		assertThat(this.events.rejections()).containsExactly(504);
	}

	@ParameterizedTest
	@EnumSource(TransportMode.class)
	void originThatClosesBeforeItsFirstByteGets502(TransportMode mode) throws Exception {
		start(mode, 0, (builder) -> builder.originTimeout(Duration.ofSeconds(20)));
		try (Socket socket = RawHttp.connect(address())) {
			socket.getOutputStream().write(ascii("GET /silent HTTP/1.1\r\nHost: t\r\n\r\n"));
			RawHttp.Response response = RawHttp.read(socket.getInputStream());
			assertThat(response.status()).isEqualTo(502);
			assertThat(response.headers()).containsEntry("connection", "close");
			assertThat(response.complete()).isTrue();
		}
		await().atMost(Duration.ofSeconds(5)).until(() -> this.events.rejections().contains(502));
	}

	@ParameterizedTest
	@EnumSource(TransportMode.class)
	void tunnelWithNothingMovingIsClosedAfterTheIdleTimeout(TransportMode mode) throws Exception {
		start(mode, 0, (builder) -> builder.idleTimeout(SHORT));
		try (Socket socket = RawHttp.connect(address())) {
			socket.setSoTimeout(20_000);
			InputStream in = socket.getInputStream();
			socket.getOutputStream().write(ascii("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n"));
			assertThat(StreamingRoutes.readHead(in)).isNotNull();
			socket.getOutputStream().write(ascii("x"));
			assertThat(in.read()).isEqualTo('x');
			assertThat(in.read()).as("the idle tunnel ends").isEqualTo(-1);
		}
		assertThat(onlyTunnel()).isNotNull();
		assertThat(this.events.rejections()).isEmpty();
	}

}
