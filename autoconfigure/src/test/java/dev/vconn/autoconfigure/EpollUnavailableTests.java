package dev.vconn.autoconfigure;

import dev.vconn.Adoption;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.Transport;
import dev.vconn.VConnFactory;
import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.testing.TestSockets;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Start-up where the epoll transport is not available. Netty's native transport is switched off
 * for the whole JVM with {@code -Dio.netty.transport.noNative=true}, so the build runs this class
 * in a JVM of its own (the {@code no-native-transport} Surefire execution).
 */
@EnabledIfSystemProperty(named = "io.netty.transport.noNative", matches = "true")
@ExtendWith(OutputCaptureExtension.class)
@Timeout(60)
class EpollUnavailableTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class))
		.withPropertyValues("vconn.event-threads=1");

	@Test
	void epollIsUnavailableInThisJvm() {
		assertThat(Epoll.isAvailable()).isFalse();
	}

	@Test
	void epollTransportFailsStartupWithTransportUnavailableException() {
		this.contextRunner.withPropertyValues("vconn.transport=epoll").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().isNotNull();
			Throwable failure = context.getStartupFailure();
			while (failure != null && !(failure instanceof TransportUnavailableException)) {
				failure = failure.getCause();
			}
			assertThat(failure).isInstanceOf(TransportUnavailableException.class)
				.hasMessageContaining("VConn transport 'epoll' is not available");
		});
	}

	@Test
	void epollTransportFailurePrintsAnalysisNamingTheProperty(CapturedOutput output) {
		assertThatException().isThrownBy(() -> new SpringApplicationBuilder(EmptyConfiguration.class)
			.web(WebApplicationType.NONE)
			.run("--vconn.transport=epoll", "--vconn.event-threads=1")
			.close());
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("VConn could not start its 'epoll' transport (vconn.transport=epoll)")
			.contains("Set vconn.transport=auto");
	}

	@Test
	@Timeout(180) // starts a whole application, the first of its JVM
	void autoTransportFallbackOnLinuxLogsAWarningWithTheCauseAndTheFix(CapturedOutput output) {
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(EmptyConfiguration.class)
			.web(WebApplicationType.NONE)
			.run("--vconn.event-threads=1")) {
			VConnRuntime runtime = context.getBean(VConnRuntime.class);
			assertThat(runtime.isFdAdoptionAvailable()).isFalse();
			assertThat(runtime.fdAdoptionUnavailableReason())
				.startsWith("raw descriptors need the epoll transport; this runtime uses NIO (epoll unavailable: ");
		}
		if (System.getProperty("os.name").startsWith("Linux")) {
			assertThat(output).containsPattern("WARN.*VConn cannot adopt raw file descriptors: raw descriptors need "
					+ "the epoll transport; this runtime uses NIO \\(epoll unavailable: .+\\)\\. "
					+ "To fix: remove -Dio.netty.transport.noNative=true");
		}
	}

	@Test
	void autoTransportFallsBackToNioAndRawDescriptorsAreUnsupported() {
		this.contextRunner.run((context) -> {
			assertThat(context.getBean(VConnRuntime.class).transport()).isEqualTo(Transport.NIO);
			Adoption adoption;
			try (TestSockets sockets = new TestSockets()) {
				adoption = context.getBean(VConnFactory.class).adopt(sockets.connectedFd().fd());
			}
			assertThat(adoption.failureReason()).isEqualTo(AdoptionFailureReason.UNSUPPORTED);
		});
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration(VConnAutoConfiguration.class)
	static class EmptyConfiguration {

	}

}
