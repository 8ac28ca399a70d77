package dev.vconn.autoconfigure.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.jayway.jsonpath.JsonPath;
import org.jspecify.annotations.Nullable;

/**
 * Talks to a running application's actuator over real HTTP.
 */
public final class ActuatorClient {

	private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

	private final int port;

	public ActuatorClient(int port) {
		this.port = port;
	}

	public HttpResponse<String> get(String path) throws IOException, InterruptedException {
		return send(HttpRequest.newBuilder(uri(path)).GET());
	}

	public HttpResponse<String> delete(String path) throws IOException, InterruptedException {
		return send(HttpRequest.newBuilder(uri(path)).DELETE());
	}

	/** The value of a meter's first measurement, optionally filtered by tags ({@code key:value}). */
	public double metric(String name, String... tags) throws IOException, InterruptedException {
		return measurement(name, null, tags);
	}

	/** The value of one statistic ({@code COUNT}, {@code TOTAL_TIME}...) of a meter, or its first. */
	public double measurement(String name, @Nullable String statistic, String... tags) throws IOException, InterruptedException {
		String body = read(name, tags);
		String path = (statistic != null) ? "$.measurements[?(@.statistic == '" + statistic + "')].value"
				: "$.measurements[0].value";
		Object value = JsonPath.read(body, path);
		if (value instanceof List<?> list) {
			value = list.get(0);
		}
		return ((Number) value).doubleValue();
	}

	/** The values a tag takes among a meter's series. */
	public List<String> tagValues(String name, String tag) throws IOException, InterruptedException {
		return JsonPath.read(read(name), "$.availableTags[?(@.tag == '" + tag + "')].values[*]");
	}

	private String read(String name, String... tags) throws IOException, InterruptedException {
		StringBuilder path = new StringBuilder("/actuator/metrics/").append(name);
		for (int i = 0; i < tags.length; i++) {
			path.append((i == 0) ? '?' : '&').append("tag=").append(tags[i]);
		}
		HttpResponse<String> response = get(path.toString());
		if (response.statusCode() != 200) {
			throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
		}
		return response.body();
	}

	private URI uri(String path) {
		return URI.create("http://127.0.0.1:" + this.port + path);
	}

	private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
		return this.client.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
	}

}
