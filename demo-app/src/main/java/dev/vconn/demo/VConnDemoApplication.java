package dev.vconn.demo;

import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHook;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;

/**
 * Starts the demo: a web application whose {@code POST /demo/adoptions} adopts a loopback socket
 * as a VConn, with the actuator's {@code health}, {@code metrics} and {@code vconn} endpoints
 * exposed (see {@code application.yml}).
 */
@SpringBootApplication
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

	/**
	 * A hook that shows up, with its order, in {@code GET /actuator/vconn}.
	 * @return the hook
	 */
	@Bean
	@Order(100)
	InterceptHook demoHook() {
		return new InterceptHook() {

			@Override
			public String name() {
				return "demo";
			}

		};
	}

}
