package dev.vconn.demo;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The demo with the seed plugin's VIO handlers ({@code demo.intercept.style=vio}, the default):
 * origin sockets are connected natively and adopted with {@code fdCreate}; the test profile sets
 * {@code demo.observations.log=true}, so VConn's observations are logged as they stop.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ActiveProfiles("test")
class InterceptVioStyleTests extends AbstractInterceptDemoTests {

	@Override
	String originSource() {
		return "fd";
	}

	@Override
	String style() {
		return "vio";
	}

	@Test
	@ExtendWith(OutputCaptureExtension.class)
	void eachInterceptedRequestIsLoggedAsItsTransactionAndItsOriginAdoptionEnd(CapturedOutput output) throws Exception {
		assertThat(this.client.get(this.listener, "/").statusCode()).isEqualTo(200);

		// a transaction ends once its response is written, which the client may read first
		await().atMost(Duration.ofSeconds(10)).until(() -> output.getOut().contains("vconn.transaction "));
		assertThat(loggedLine(output, "vconn.transaction 'vconn GET'")).contains(" outcome=completed",
				" path=server_intercepted", " status=200", " network.peer.address=127.0.0.1");
		assertThat(loggedLine(output, "vconn.adoption 'vconn adopt fd'")).contains(" outcome=success", " source=fd");
	}

	private static String loggedLine(CapturedOutput output, String start) {
		return output.getOut()
			.lines()
			.filter((line) -> line.contains(start))
			.findFirst()
			.orElseThrow(() -> new AssertionError("no log line with " + start + " in:\n" + output.getOut()));
	}

}
