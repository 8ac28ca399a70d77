package dev.vconn.autoconfigure;

import java.net.InetAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * What a user sees when VConn's configuration is invalid: the failure analysis printed by
 * Spring Boot at start-up.
 */
@ExtendWith(OutputCaptureExtension.class)
class VConnStartupFailureTests {

	@Test
	void invalidEventThreadsPrintsAnalysisNamingProperty(CapturedOutput output) {
		assertThatException().isThrownBy(() -> run("--vconn.event-threads=0"));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("Property: vconn.event-threads")
			.contains("Value: \"0\"")
			.contains("vconn.event-threads must be at least 1, was 0")
			.contains("Update your application's configuration");
	}

	@Test
	void highWaterMarkBelowLowWaterMarkPrintsAnalysisNamingProperty(CapturedOutput output) {
		assertThatException().isThrownBy(() -> run("--vconn.write-buffer.low-water-mark=64KB",
				"--vconn.write-buffer.high-water-mark=16KB"));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("Binding to target")
			.contains("Property: vconn.write-buffer.high-water-mark")
			.contains("Value: \"16384B\"")
			.contains("must be at least vconn.write-buffer.low-water-mark (65536B)");
	}

	@Test
	void unknownTransportPrintsValidValues(CapturedOutput output) {
		assertThatException().isThrownBy(() -> run("--vconn.transport=kqueue"));
		assertThat(output).contains("Property: vconn.transport")
			.contains("failed to convert java.lang.String to dev.vconn.Transport")
			.contains("The following values are valid")
			.contains("EPOLL");
	}

	@Test
	void listenerPortInUsePrintsAnalysisNamingProperty(CapturedOutput output) throws Exception {
		try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] { 127, 0, 0, 1 }))) {
			int port = taken.getLocalPort();
			assertThatException().isThrownBy(() -> run("--vconn.listener.enabled=true", "--vconn.listener.port=" + port));
			assertThat(output).contains("APPLICATION FAILED TO START")
				.contains("VConn's intercept listener could not start: port " + port + " is already in use "
						+ "(vconn.listener.port=" + port + ", vconn.listener.address=127.0.0.1).")
				.contains("set vconn.listener.port to a free port");
		}
	}

	@Test
	void invalidListenerOriginPrintsAnalysisNamingProperty(CapturedOutput output) {
		assertThatException().isThrownBy(() -> run("--vconn.listener.origin=localhost"));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("Property: vconn.listener.origin")
			.contains("Value: \"localhost\"")
			.contains("vconn.listener.origin must be host:port, was 'localhost': expected host:port");
	}

	private static void run(String... args) {
		new SpringApplicationBuilder(EmptyConfiguration.class).web(WebApplicationType.NONE)
			.properties("vconn.event-threads=1")
			.run(args)
			.close();
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration(VConnAutoConfiguration.class)
	static class EmptyConfiguration {

	}

}
