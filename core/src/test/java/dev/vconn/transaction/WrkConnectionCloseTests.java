package dev.vconn.transaction;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.OnEachTransport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * wrk asking for {@code Connection: close} on every request counts no error, pass-through and
 * server intercept alike: each response says close and ends with a FIN, so wrk reconnects instead of
 * reading a failure. Runs only where wrk is installed ({@code apt-get install wrk}); the same
 * guarantee is checked with raw sockets in {@link ConnectionManagementTests}.
 */
@OnEachTransport
class WrkConnectionCloseTests extends TransactionTestSupport {

	private static final Path WRK = Path.of("/usr/bin/wrk");

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void wrkWithConnectionCloseCountsNoErrors(String route) throws Exception {
		assumeTrue(Files.isExecutable(WRK), "wrk is not installed");
		String url = "http://127.0.0.1:" + this.proxy.address().getPort() + "/" + route + "/cl/64/wrk";
		Process wrk = new ProcessBuilder(WRK.toString(), "-t1", "-c4", "-d1s", "-H", "Connection: close", url)
			.redirectErrorStream(true)
			.start();
		assertThat(wrk.waitFor(30, TimeUnit.SECONDS)).isTrue();
		String output = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(wrk.exitValue()).as(output).isZero();
		assertThat(output).as("wrk output").contains("requests in").doesNotContain("Socket errors").doesNotContain("Non-2xx");
		assertThat(this.seen).as("transactions served").isNotEmpty();
	}

}
