package dev.vconn.demo;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;

import dev.vconn.demo.origin.EmbeddedOrigin;
import dev.vconn.demo.origin.OriginContent;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The demo as a user runs it, on free ports: requests through VConn's listener are served by the
 * intercept example from the embedded origin, byte for byte, and the meters show it; with the
 * origin down, the intercept aborts its VConn and the failures show. Each subclass runs one
 * intercept style.
 */
@ExtendWith(NettyLeakCheck.class)
@Timeout(120)
abstract class AbstractInterceptDemoTests {

	@LocalServerPort
	int port;

	@Autowired
	EmbeddedOrigin origin;

	DemoClient client;

	int listener;

	/** The {@code source} tag of the adoptions the style makes for origin connections. */
	abstract String originSource();

	/** The {@code demo.intercept.style} under test. */
	abstract String style();

	@BeforeEach
	void connect() throws Exception {
		this.client = new DemoClient(this.port);
		this.listener = this.client.listenerPort();
		this.origin.start(); // in case a test stopped it
		recordBaseline();
	}

	/** Reads the style's own counters before each test. */
	void recordBaseline() throws Exception {
	}

	@Test
	void rootThroughTheListenerComesFromTheOrigin() throws Exception {
		HttpResponse<String> response = this.client.get(this.listener, "/");

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).isEqualTo(EmbeddedOrigin.ROOT_TEXT);
		assertThat(response.headers().firstValue("X-Origin")).hasValue("vconn-demo");
	}

	@Test
	void oneMebibyteThroughTheListenerMatchesTheOriginByteForByte() throws Exception {
		DemoClient.Digest viaListener = this.client.digest(this.listener, "/1m");
		DemoClient.Digest direct = this.client.digest(this.origin.address().getPort(), "/1m");

		assertThat(viaListener.status()).isEqualTo(200);
		assertThat(viaListener.length()).isEqualTo(EmbeddedOrigin.ONE_MIB);
		assertThat(viaListener.sha256()).isEqualTo(direct.sha256())
			.isEqualTo(HexFormat.of()
				.formatHex(DemoClient.sha256().digest(OriginContent.bytes(EmbeddedOrigin.ONE_MIB))));
	}

	@Test
	void echoThroughTheListenerReturnsTheBodyByteForByte() throws Exception {
		byte[] body = new byte[256 * 1024];
		new Random(7).nextBytes(body);

		HttpResponse<byte[]> response = this.client.post(this.listener, "/echo", body);

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("X-Echo-Method")).hasValue("POST");
		assertThat(response.body()).isEqualTo(body);
	}

	@Test
	void eachInterceptedRequestAdoptsItsOriginConnection() throws Exception {
		double originAdoptions = this.client.metric("vconn.adoptions?tag=outcome:success&tag=source:" + originSource());
		double pairEnds = this.client.metric("vconn.adoptions?tag=outcome:success&tag=source:intercept");
		double connects = this.client.metric("demo.origin.connects?tag=outcome:success&tag=style:" + style());

		for (int i = 0; i < 3; i++) {
			assertThat(this.client.get(this.listener, "/").statusCode()).isEqualTo(200);
		}

		assertThat(this.client.metric("vconn.adoptions?tag=outcome:success&tag=source:" + originSource()))
			.isEqualTo(originAdoptions + 3);
		assertThat(this.client.metric("vconn.adoptions?tag=outcome:success&tag=source:intercept"))
			.as("two pair ends per server intercept")
			.isEqualTo(pairEnds + 6);
		assertThat(this.client.metric("demo.origin.connects?tag=outcome:success&tag=style:" + style()))
			.isEqualTo(connects + 3);
	}

	@Test
	void eachInterceptedRequestIsObservedAsATransactionAndItsOriginAdoption() throws Exception {
		// the observations, timed by Spring Boot's default meter handler, show as timers
		String transactions = "vconn.transaction?tag=outcome:completed&tag=path:server_intercepted"
				+ "&tag=type:server_intercept&tag=hook:intercept&tag=method:GET&tag=status:200";
		String originAdoptions = "vconn.adoption?tag=outcome:success&tag=source:" + originSource();
		double transactionsBefore = this.client.metric(transactions);
		double adoptionsBefore = this.client.metric(originAdoptions);

		for (int i = 0; i < 3; i++) {
			assertThat(this.client.get(this.listener, "/").statusCode()).isEqualTo(200);
		}

		// a transaction ends once its response is written, which the client may read first
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(this.client.metric(transactions)).isEqualTo(transactionsBefore + 3));
		assertThat(this.client.metric(originAdoptions)).isEqualTo(adoptionsBefore + 3);
	}

	@Test
	void leftAlonePathsPassThroughToTheApplication() throws Exception {
		double connects = this.client.metric("demo.origin.connects?tag=outcome:success");

		HttpResponse<String> response = this.client.get(this.listener, "/actuator/health");

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).contains("\"status\":\"UP\"");
		assertThat(this.client.metric("demo.origin.connects?tag=outcome:success")).isEqualTo(connects);
	}

	@Test
	void originDownMakesTheInterceptAbortItsVConn() throws Exception {
		double aborts = this.client.metric("vconn.aborts");
		double apiAborts = this.client.metric("vconn.aborts?tag=cause:api");
		double failedConnects = this.client.metric("demo.origin.connects?tag=outcome:failure&tag=style:" + style());
		double rejections = this.client.metric("vconn.listener.rejections?tag=status:502");
		double interceptErrors = this.client.metric("vconn.intercepts?tag=outcome:error");
		String rejectedTransactions = "vconn.transaction?tag=outcome:rejected&tag=path:server_intercepted&tag=status:502";
		double rejected = this.client.metric(rejectedTransactions);
		assertThat(this.client.appPost("/demo/origin/stop").body()).contains("\"running\":false");

		HttpResponse<String> response = this.client.get(this.listener, "/");

		assertThat(response.statusCode()).isEqualTo(502);
		// the listener may answer as soon as the intercept aborts, a moment before the abort is counted
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(this.client.metric("vconn.aborts?tag=cause:api")).as("the intercept's abort")
				.isGreaterThanOrEqualTo(apiAborts + 1));
		assertThat(this.client.metric("vconn.aborts")).isGreaterThan(aborts);
		assertThat(this.client.metric("demo.origin.connects?tag=outcome:failure&tag=style:" + style()))
			.isEqualTo(failedConnects + 1);
		assertThat(this.client.metric("vconn.listener.rejections?tag=status:502")).isEqualTo(rejections + 1);
		assertThat(this.client.metric("vconn.intercepts?tag=outcome:error")).isEqualTo(interceptErrors + 1);
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(this.client.metric(rejectedTransactions)).isEqualTo(rejected + 1));
		assertOriginDownFailures();

		assertThat(this.client.appPost("/demo/origin/start").body()).contains("\"running\":true");
		assertThat(this.client.get(this.listener, "/").body()).isEqualTo(EmbeddedOrigin.ROOT_TEXT);
	}

	/** What else the style counts when the origin is down. */
	void assertOriginDownFailures() throws Exception {
	}

}
