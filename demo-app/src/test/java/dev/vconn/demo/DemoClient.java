package dev.vconn.demo;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

import com.jayway.jsonpath.JsonPath;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the tests send to a running demo: requests through the listener, straight to the origin,
 * and to the application's port (actuator, demo endpoints).
 */
final class DemoClient {

	private static final Duration TIMEOUT = Duration.ofSeconds(30);

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

	private final int appPort;

	DemoClient(int appPort) {
		this.appPort = appPort;
	}

	/** The listener's port, as the {@code vconn} endpoint shows it. */
	int listenerPort() throws Exception {
		String address = JsonPath.read(app("/actuator/vconn").body(), "$.listener.address");
		return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
	}

	HttpResponse<String> app(String path) throws Exception {
		return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.appPort + path)).GET());
	}

	HttpResponse<String> appPost(String path) throws Exception {
		return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.appPort + path))
			.POST(HttpRequest.BodyPublishers.noBody()));
	}

	HttpResponse<String> get(int port, String path) throws Exception {
		return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET());
	}

	HttpResponse<byte[]> post(int port, String path, byte[] body) throws Exception {
		return this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
			.timeout(TIMEOUT)
			.header("Content-Type", "application/octet-stream")
			.POST(HttpRequest.BodyPublishers.ofByteArray(body))
			.build(), HttpResponse.BodyHandlers.ofByteArray());
	}

	/** Status and SHA-256 of the body, streamed. */
	Digest digest(int port, String path) throws Exception {
		HttpResponse<InputStream> response = this.http.send(
				HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(TIMEOUT).GET().build(),
				HttpResponse.BodyHandlers.ofInputStream());
		MessageDigest digest = sha256();
		long length = 0;
		try (InputStream body = response.body()) {
			byte[] chunk = new byte[64 * 1024];
			int n;
			while ((n = body.read(chunk)) > 0) {
				digest.update(chunk, 0, n);
				length += n;
			}
		}
		return new Digest(response.statusCode(), length, HexFormat.of().formatHex(digest.digest()));
	}

	/**
	 * The value of a meter through {@code /actuator/metrics}, 0 when no series matches.
	 * @param nameAndTags for example {@code vconn.adoptions?tag=outcome:success}
	 */
	double metric(String nameAndTags) throws Exception {
		HttpResponse<String> response = app("/actuator/metrics/" + nameAndTags);
		if (response.statusCode() == 404) {
			return 0;
		}
		assertThat(response.statusCode()).as(nameAndTags).isEqualTo(200);
		Number value = JsonPath.read(response.body(), "$.measurements[0].value");
		return value.doubleValue();
	}

	private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
		return this.http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
	}

	static MessageDigest sha256() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * A body seen as its length and hash.
	 * @param status the response status
	 * @param length body bytes
	 * @param sha256 hex SHA-256 of the body
	 */
	record Digest(int status, long length, String sha256) {
	}

}
