package dev.vconn.demo;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vconn.VConnFactory;
import dev.vconn.VConnRuntime;
import dev.vconn.demo.intercept.InterceptExample;
import dev.vconn.demo.intercept.InterceptSettings;
import dev.vconn.demo.intercept.OriginConnects;
import dev.vconn.demo.origin.EmbeddedOrigin;
import dev.vconn.demo.origin.Origin;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;

/**
 * Starts the demo: an embedded origin server, VConn's listener on 127.0.0.1:8081 with the
 * {@link InterceptExample} hook, a live page at {@code /}, and the actuator's {@code health},
 * {@code metrics}, {@code prometheus} and {@code vconn} endpoints (see {@code application.yml}).
 */
@SpringBootApplication
@EnableConfigurationProperties(DemoProperties.class)
public class VConnDemoApplication {

	private static final Log logger = LogFactory.getLog(VConnDemoApplication.class);

	public static void main(String[] args) {
		SpringApplication.run(VConnDemoApplication.class, args);
	}

	@Bean
	ApplicationRunner logTransport(VConnRuntime runtime) {
		return (args) -> logger.info("VConn runs on " + runtime.transport() + " with " + runtime.eventThreads()
				+ " event threads, at most " + runtime.maxConnections() + " connections");
	}

	@Bean
	@ConditionalOnBooleanProperty("demo.observations.log")
	ObservationLog observationLog() {
		return new ObservationLog();
	}

	@Bean
	@ConditionalOnBooleanProperty(name = "demo.origin.embedded", matchIfMissing = true)
	EmbeddedOrigin embeddedOrigin(DemoProperties properties) {
		return new EmbeddedOrigin(Origin.parse(properties.getOrigin().getAddress()),
				properties.getOrigin().getThreads());
	}

	@Bean
	@ConditionalOnBooleanProperty(name = "demo.origin.embedded", havingValue = false)
	Origin externalOrigin(DemoProperties properties) {
		var address = Origin.parse(properties.getOrigin().getAddress());
		return () -> address;
	}

	/**
	 * The few threads that wait for the intercept's connects not made at once, so that no event
	 * thread ever waits; made on first use, so none while every connect is made at once.
	 * @param properties the demo's settings
	 * @return the executor, shut down with the application
	 */
	@Bean(destroyMethod = "shutdownNow")
	ExecutorService interceptConnector(DemoProperties properties) {
		AtomicInteger count = new AtomicInteger();
		return Executors.newFixedThreadPool(properties.getIntercept().getConnectThreads(), (task) -> {
			Thread thread = new Thread(task, "intercept-connect-" + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
	}

	@Bean
	OriginConnects originConnects(MeterRegistry registry, DemoProperties properties) {
		return new OriginConnects(registry, properties.getIntercept().getStyle());
	}

	/**
	 * The intercept example, listed by {@code GET /actuator/vconn} with its order.
	 * @param factory adopts origin sockets
	 * @param interceptConnector waits for the connects not made at once
	 * @param origin where to connect
	 * @param connects counts the connects
	 * @param properties the demo's settings
	 * @return the hook
	 */
	@Bean
	@Order(100)
	InterceptExample interceptExample(VConnFactory factory, ExecutorService interceptConnector, Origin origin,
			OriginConnects connects, DemoProperties properties) {
		DemoProperties.Intercept intercept = properties.getIntercept();
		InterceptSettings settings = new InterceptSettings(factory, interceptConnector, origin,
				intercept.getConnectTimeout(), intercept.getInactivityTimeout(), connects);
		return new InterceptExample(settings, intercept.getStyle(), intercept.getPassThrough());
	}

}
