package dev.vconn.autoconfigure.it;

import dev.vconn.intercept.InterceptHook;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;

/**
 * A small web application with the actuator and VConn, as a user would write it.
 */
@SpringBootApplication
public class VConnTestApplication {

	@Bean
	@Order(10)
	InterceptHook auditHook() {
		return new InterceptHook() {

			@Override
			public String name() {
				return "audit";
			}

		};
	}

	@Bean
	RoutingHook routingHook() {
		return new RoutingHook();
	}

	@Order(-1)
	static class RoutingHook implements InterceptHook {

	}

}
