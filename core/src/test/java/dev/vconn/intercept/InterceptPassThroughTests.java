package dev.vconn.intercept;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.TunnelResult;
import dev.vconn.TunnelResult.End;
import dev.vconn.TunnelResult.Side;
import dev.vconn.testing.Payload;
import dev.vconn.testing.StreamingRoutes;
import dev.vconn.testing.TransportMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static dev.vconn.intercept.RawHttp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Transactions no hook claims: tunnelled to a real origin on loopback, request head included,
 * unchanged.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InterceptPassThroughTests extends InterceptTestSupport {

	private static final long MiB = 1024 * 1024;

	@ParameterizedTest
	@EnumSource(TransportMode.class)
	void passThroughReplaysTheRequestToTheOriginByteForByte(TransportMode mode) throws Exception {
		start(mode, 0, UnaryOperator.identity());
		// spacing, case and order that a re-serialising proxy would normalise
		byte[] request = ascii("POST /echo/a%20b?q=1&r=%zz HTTP/1.1\r\nHost: origin.test\r\nx-lower: v\r\n"
				+ "X-Spaces:   padded value  \r\nX-Dup: 1\r\nx-dup: 2\r\nContent-Length: 11\r\n\r\nhello world");

		RawHttp.Response response = RawHttp.exchange(address(), request);

		assertThat(response.status()).isEqualTo(200);
		assertThat(response.body()).isEqualTo(request);
		assertThat(this.routes.echoed().poll(5, TimeUnit.SECONDS)).isEqualTo(request);
		TunnelResult tunnel = onlyTunnel();
		assertThat(tunnel.end()).isEqualTo(End.EOS);
		assertThat(tunnel.bytesAToB()).isEqualTo(request.length);
		assertThat(tunnel.bytesBToA()).isEqualTo(StreamingRoutes.responseHead(request.length).length + request.length);
		assertThat(this.events.sources().values()).containsExactlyInAnyOrder(AdoptionSource.INTERCEPT,
				AdoptionSource.CONNECT);
	}

	/** What the tunnel forwarded from the client includes the replayed head: so must the client VConn's count. */
	@ParameterizedTest
	@EnumSource(TransportMode.class)
	void replayedRequestBytesAreCountedAsReceivedFromTheClient(TransportMode mode) throws Exception {
		start(mode, 0, UnaryOperator.identity());
		byte[] request = ascii("POST /echo/count HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");

		assertThat(RawHttp.exchange(address(), request).status()).isEqualTo(200);

		TunnelResult tunnel = onlyTunnel();
		assertThat(tunnel.bytesAToB()).isEqualTo(request.length);
		long client = this.events.sources().entrySet()
			.stream()
			.filter((e) -> e.getValue() == AdoptionSource.INTERCEPT)
			.findFirst()
			.orElseThrow()
			.getKey();
		assertThat(this.events.receivedBy(client)).isEqualTo(tunnel.bytesAToB());
		assertThat(tunnel.spliced()).isEqualTo(mode.splicesOnOneLoop());
	}

	@Test
	void curlThroughTheListenerReachesTheOriginByteForByte() throws Exception {
		assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
		start();
		Path direct = Files.createTempFile("direct", ".out");
		Path proxied = Files.createTempFile("proxied", ".out");
		try {
			curl(this.origin.address(), direct);
			byte[] seenDirect = this.routes.echoed().poll(5, TimeUnit.SECONDS);
			curl(address(), proxied);
			byte[] seenProxied = this.routes.echoed().poll(5, TimeUnit.SECONDS);

			assertThat(seenProxied).isEqualTo(seenDirect);
			assertThat(Files.readAllBytes(proxied)).isEqualTo(Files.readAllBytes(direct)).isEqualTo(seenDirect);
			assertThat(new String(seenDirect, java.nio.charset.StandardCharsets.ISO_8859_1))
				.startsWith("POST /echo/curl?x=1 HTTP/1.1\r\n")
				.endsWith("\r\n\r\ncurl-body");
		}
		finally {
			Files.deleteIfExists(direct);
			Files.deleteIfExists(proxied);
		}
	}

	private static void curl(InetSocketAddress to, Path output) throws Exception {
		Process curl = new ProcessBuilder("/usr/bin/curl", "-sS", "--http1.1", "--max-time", "20", "-H",
				"Host: origin.test", "-H", "X-Test: yes", "--data-binary", "curl-body", "-o", output.toString(),
				"http://127.0.0.1:" + to.getPort() + "/echo/curl?x=1")
			.redirectErrorStream(true)
			.start();
		assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
		assertThat(curl.exitValue()).as(new String(curl.getInputStream().readAllBytes())).isZero();
	}

	@ParameterizedTest
	@EnumSource(TransportMode.class)
	void hundredMebibytesDownThroughPassThroughArriveIntact(TransportMode mode) throws Exception {
		start(mode, 0, UnaryOperator.identity());
		long size = 100 * MiB;
		HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

		HttpResponse<InputStream> response = client.send(
				HttpRequest.newBuilder(uri("/download?n=" + size + "&seed=5")).GET().build(),
				HttpResponse.BodyHandlers.ofInputStream());

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValueAsLong("content-length")).hasValue(size);
		try (InputStream body = response.body()) {
			assertThat(Payload.read(body, Long.MAX_VALUE)).isEqualTo(new Payload.Received(size, Payload.checksum(5, size)));
		}
		TunnelResult tunnel = onlyTunnel();
		assertThat(tunnel.end()).isEqualTo(End.EOS);
		assertThat(tunnel.bytesBToA()).isEqualTo(StreamingRoutes.responseHead(size).length + size);
		assertThat(tunnel.spliced()).as("spliced in mode %s", mode).isEqualTo(mode.splicesOnOneLoop());
	}

	@ParameterizedTest
	@EnumSource(TransportMode.class)
	void hundredMebibytesUpThroughPassThroughArriveIntact(TransportMode mode) throws Exception {
		start(mode, 0, UnaryOperator.identity());
		long size = 100 * MiB;
		HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

		HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri("/upload"))
			.POST(HttpRequest.BodyPublishers.fromPublisher(
					HttpRequest.BodyPublishers.ofInputStream(() -> Payload.stream(6, size)), size))
			.build(), HttpResponse.BodyHandlers.ofString());

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).isEqualTo(size + " " + Payload.checksum(6, size));
		TunnelResult tunnel = onlyTunnel();
		assertThat(tunnel.bytesAToB()).isGreaterThan(size);
		assertThat(tunnel.spliced()).isEqualTo(mode.splicesOnOneLoop());
	}

	@ParameterizedTest
	@EnumSource(TransportMode.class)
	void clientThatShutsDownItsOutputStillReceivesTheWholeResponse(TransportMode mode) throws Exception {
		start(mode, 0, UnaryOperator.identity());
		long size = 8 * MiB;
		try (Socket socket = RawHttp.connect(address())) {
			socket.getOutputStream().write(ascii("GET /download?n=" + size + "&seed=9 HTTP/1.1\r\nHost: t\r\n\r\n"));
			socket.shutdownOutput();

			RawHttp.Response response = RawHttp.read(socket.getInputStream());

			assertThat(response.status()).isEqualTo(200);
			assertThat(response.complete()).as("complete, failure %s", response.failure()).isTrue();
			assertThat(crc(response.body())).isEqualTo(Payload.checksum(9, size));
			assertThat(socket.getInputStream().read()).isEqualTo(-1);
		}
		TunnelResult tunnel = onlyTunnel();
		assertThat(tunnel.end()).isEqualTo(End.EOS);
		assertThat(tunnel.firstEnded()).isEqualTo(Side.A);
	}

	@ParameterizedTest
	@EnumSource(TransportMode.class)
	void originResetMidBodyResetsTheClientAndIsCounted(TransportMode mode) throws Exception {
		start(mode, 0, UnaryOperator.identity());
		RawHttp.Response response;
		try {
			response = RawHttp.exchange(address(), ascii("GET /reset?n=" + MiB + " HTTP/1.1\r\nHost: t\r\n\r\n"));
		}
		catch (java.net.SocketException ex) {
			// the reset can overtake the head: the client never sees a response at all
			assertThat(ex).hasMessageContaining("reset");
			response = null;
		}

		if (response != null) {
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.complete()).isFalse();
			assertThat(response.body().length).isLessThan(2 * (int) MiB);
		}
		TunnelResult tunnel = onlyTunnel();
		assertThat(tunnel.end()).isEqualTo(End.RESET);
		assertThat(tunnel.firstEnded()).isEqualTo(Side.B);
		long originSide = this.events.sources().entrySet()
			.stream()
			.filter((e) -> e.getValue() == AdoptionSource.CONNECT)
			.findFirst()
			.orElseThrow()
			.getKey();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.events.abortCauses().containsKey(originSide));
		assertThat(this.events.abortCauses()).containsEntry(originSide, CloseKind.PEER);
	}

	@Test
	void unreachableOriginAnswers502AndIsCounted() throws Exception {
		InetSocketAddress closed;
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			closed = new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
		}
		InetSocketAddress down = closed;
		start(TransportMode.EPOLL_SPLICE, 0, (builder) -> builder.origin(down));

		RawHttp.Response response = RawHttp.exchange(address(), ascii("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n"));

		assertThat(response.status()).isEqualTo(502);
		assertThat(response.bodyText()).isEqualTo("502 Bad Gateway\n");
		assertThat(response.headers()).containsEntry("connection", "close");
		assertThat(this.events.rejections()).containsExactly(502);
		assertThat(this.events.tunnelsStarted()).isEmpty();
	}

	@Test
	void aThousandConcurrentConnectionsLeaveNoDescriptorBehind() throws Exception {
		start();
		// warm up: classes, the origin's threads, the runtime's first connect
		assertThat(RawHttp.exchange(address(), ascii("GET /echo/warm HTTP/1.1\r\nHost: t\r\n\r\n")).status())
			.isEqualTo(200);
		await().atMost(Duration.ofSeconds(10)).until(() -> this.runtime.activeCount() == 0 && this.origin.openConnections() == 0);
		long baseline = openDescriptors();

		int count = 1000;
		List<Socket> clients = new ArrayList<>(count);
		List<byte[]> requests = new ArrayList<>(count);
		try {
			for (int i = 0; i < count; i++) {
				Socket socket = RawHttp.connect(address());
				clients.add(socket);
				byte[] request = ascii("GET /echo/" + i + " HTTP/1.1\r\nHost: t\r\nX-N: " + i + "\r\n\r\n");
				requests.add(request);
				OutputStream out = socket.getOutputStream();
				out.write(request);
				out.flush();
			}
			for (int i = 0; i < count; i++) {
				RawHttp.Response response = RawHttp.read(clients.get(i).getInputStream());
				assertThat(response.status()).isEqualTo(200);
				assertThat(response.body()).isEqualTo(requests.get(i));
			}
		}
		finally {
			for (Socket socket : clients) {
				socket.close();
			}
		}
		await().atMost(Duration.ofSeconds(20)).until(() -> this.events.tunnelsEnded().size() == count + 1);
		await().atMost(Duration.ofSeconds(20)).until(() -> this.runtime.activeCount() == 0 && this.origin.openConnections() == 0);
		await().atMost(Duration.ofSeconds(20)).until(() -> openDescriptors() <= baseline);
		assertThat(this.events.tunnelsEnded()).allSatisfy((result) -> assertThat(result.end()).isEqualTo(End.EOS));
	}

	@Test
	void closingTheListenerStopsAcceptingButEstablishedTunnelsKeepWorking() throws Exception {
		start();
		try (Socket socket = RawHttp.connect(address())) {
			OutputStream out = socket.getOutputStream();
			InputStream in = socket.getInputStream();
			out.write(ascii("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n"));
			assertThat(new String(StreamingRoutes.readHead(in), java.nio.charset.StandardCharsets.ISO_8859_1))
				.startsWith("HTTP/1.1 200 OK");
			out.write(ascii("ping\n"));
			assertThat(in.readNBytes(5)).isEqualTo(ascii("ping\n"));

			this.listener.close();

			assertThat(this.listener.isRunning()).isFalse();
			assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> RawHttp.connect(address()).close());
			out.write(ascii("pong\n"));
			assertThat(in.readNBytes(5)).isEqualTo(ascii("pong\n"));
			socket.shutdownOutput();
			assertThat(in.read()).isEqualTo(-1);
		}
		TunnelResult tunnel = onlyTunnel();
		assertThat(tunnel.end()).isEqualTo(End.EOS);
		assertThat(tunnel.bytesAToB()).isEqualTo(ascii("GET /stream HTTP/1.1\r\nHost: t\r\n\r\nping\npong\n").length);
	}

	static long crc(byte[] bytes) {
		CRC32C crc = new CRC32C();
		crc.update(bytes);
		return crc.getValue();
	}

}
