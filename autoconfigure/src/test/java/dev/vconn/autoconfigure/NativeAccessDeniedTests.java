package dev.vconn.autoconfigure;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

import dev.vconn.Adoption;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.Transport;
import dev.vconn.VConnFactory;
import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.actuate.VConnEndpoint;
import dev.vconn.autoconfigure.actuate.VConnHealthIndicator;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Start-up on JDK 24 or later in a JVM that denies native access
 * ({@code --illegal-native-access=deny}, announced as the future default) and does not grant it
 * to the class path: Netty's epoll library and the libc calls cannot load. The build runs this
 * class in a JVM of its own (the {@code native-access-denied} Surefire execution, JDK 24+ only).
 */
@EnabledOnOs(OS.LINUX)
@EnabledIfSystemProperty(named = "vconn.test.nativeAccessDenied", matches = "true")
@ExtendWith(OutputCaptureExtension.class)
@Timeout(180) // starts whole applications in a JVM of its own
class NativeAccessDeniedTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class,
				VConnHealthContributorAutoConfiguration.class, VConnEndpointAutoConfiguration.class,
				EndpointAutoConfiguration.class))
		.withPropertyValues("vconn.event-threads=1", "management.endpoints.web.exposure.include=vconn");

	@Test
	void epollIsDeniedNativeAccessInThisJvm() {
		assertThat(Epoll.isAvailable()).isFalse();
		assertThat(Stream.iterate(Epoll.unavailabilityCause(), (t) -> t != null, Throwable::getCause))
			.anyMatch(IllegalCallerException.class::isInstance);
	}

	@Test
	void autoTransportWarnsWithTheCauseAndTheFixAndHealthAndEndpointSayRawDescriptorsAreUnavailable(
			CapturedOutput output) {
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(EmptyConfiguration.class)
			.web(WebApplicationType.NONE)
			.run("--vconn.event-threads=1", "--management.endpoints.web.exposure.include=vconn")) {
			VConnRuntime runtime = context.getBean(VConnRuntime.class);
			assertThat(runtime.transport()).isEqualTo(Transport.NIO);
			Health health = context.getBean(VConnHealthIndicator.class).health();
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("fdAdoption", false);
			assertThat(health.getDetails().get("fdAdoptionUnavailable")).asString()
				.contains("epoll unavailable: native access is denied");
			VConnEndpoint.FdAdoptionDescriptor fdAdoption = context.getBean(VConnEndpoint.class).runtime().fdAdoption();
			assertThat(fdAdoption.available()).isFalse();
			assertThat(fdAdoption.unavailableReason()).contains("native access is denied");
		}
		assertThat(output).containsPattern("WARN.*VConn cannot adopt raw file descriptors: .*native access is denied"
				+ ".*To fix: start the JVM with --enable-native-access=ALL-UNNAMED, or add "
				+ "'Enable-Native-Access: ALL-UNNAMED' to the manifest of the executable jar");
	}

	@Test
	void epollTransportFailsStartupWithAnAnalysisThatNamesNativeAccess(CapturedOutput output) {
		assertThatException().isThrownBy(() -> new SpringApplicationBuilder(EmptyConfiguration.class)
			.web(WebApplicationType.NONE)
			.run("--vconn.transport=epoll", "--vconn.event-threads=1")
			.close());
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("Native access is denied to the class path: start the JVM with "
					+ "--enable-native-access=ALL-UNNAMED");
	}

	@Test
	void rawDescriptorIsRefusedAsUnsupportedAndLeftOpen(@TempDir Path dir) throws IOException {
		Path file = Files.writeString(dir.resolve("kept-open"), "still ours");
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
			int fd = descriptorOf(file);
			this.contextRunner.run((context) -> {
				Adoption adoption = context.getBean(VConnFactory.class).adopt(fd);
				assertThat(adoption.failureReason()).isEqualTo(AdoptionFailureReason.UNSUPPORTED);
				assertThat(adoption.message()).contains("native access is denied");
			});
			ByteBuffer buffer = ByteBuffer.allocate(32);
			assertThat(channel.read(buffer, 0)).isEqualTo("still ours".length());
		}
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ VConnAutoConfiguration.class, VConnHealthContributorAutoConfiguration.class,
			VConnEndpointAutoConfiguration.class, EndpointAutoConfiguration.class })
	static class EmptyConfiguration {

	}

	/** The descriptor number the JVM gave to the open file, found without native calls. */
	private static int descriptorOf(Path file) throws IOException {
		Path real = file.toRealPath();
		try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
			return fds.filter((fd) -> {
				try {
					return Files.readSymbolicLink(fd).equals(real);
				}
				catch (IOException ex) {
					return false;
				}
			}).mapToInt((fd) -> Integer.parseInt(fd.getFileName().toString())).findFirst().orElseThrow();
		}
	}

}
