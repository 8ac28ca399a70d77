package dev.vconn.autoconfigure;

import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import dev.vconn.AdoptionSource;
import dev.vconn.VConn;
import dev.vconn.VConnFactory;
import dev.vconn.VConnListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * A {@code VConnListener} bean that injects {@code VConnFactory}, started as a user's application
 * would be: the start-up fails with an analysis that names the listener and
 * {@code ObjectProvider}, and the fix it names works.
 */
@ExtendWith(OutputCaptureExtension.class)
@Timeout(180) // starts whole applications
class VConnListenerCycleFailureAnalyzerTests {

	@Test
	void listenerThatInjectsTheFactoryFailsWithAnAnalysisNamingObjectProvider(CapturedOutput output) {
		assertThatException().isThrownBy(() -> start(CyclicListenerConfiguration.class).close());
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("The VConnListener bean 'adoptionAuditor' depends on VConn's runtime or factory")
			.contains("In 'adoptionAuditor', inject ObjectProvider<VConnFactory>")
			.doesNotContain("As a last resort");
	}

	@Test
	void listenerThatInjectsAnObjectProviderStartsAndIsAddedToTheRuntime() throws Exception {
		try (ConfigurableApplicationContext context = start(ProvidedFactoryListenerConfiguration.class);
				ServerSocketChannel server = ServerSocketChannel.open().bind(null);
				SocketChannel client = SocketChannel.open(server.getLocalAddress());
				SocketChannel peer = server.accept()) {
			LazyAuditor auditor = context.getBean(LazyAuditor.class);
			VConn vconn = context.getBean(VConnFactory.class).adopt(client).orElseThrow();
			assertThat(auditor.adopted).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(vconn.id());
			assertThat(auditor.factory.getObject()).isSameAs(context.getBean(VConnFactory.class));
			vconn.close();
		}
	}

	private static ConfigurableApplicationContext start(Class<?> configuration) {
		return new SpringApplicationBuilder(configuration).web(WebApplicationType.NONE)
			.run("--vconn.event-threads=1", "--spring.main.banner-mode=off");
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration(VConnAutoConfiguration.class)
	static class CyclicListenerConfiguration {

		@Bean
		VConnListener adoptionAuditor(VConnFactory factory) {
			return new VConnListener() {
			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration(VConnAutoConfiguration.class)
	static class ProvidedFactoryListenerConfiguration {

		@Bean
		LazyAuditor lazyAuditor(ObjectProvider<VConnFactory> factory) {
			return new LazyAuditor(factory);
		}

	}

	static class LazyAuditor implements VConnListener {

		final ObjectProvider<VConnFactory> factory;

		final CompletableFuture<Long> adopted = new CompletableFuture<>();

		LazyAuditor(ObjectProvider<VConnFactory> factory) {
			this.factory = factory;
		}

		@Override
		public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
			this.adopted.complete(vconn.id());
		}

	}

}
