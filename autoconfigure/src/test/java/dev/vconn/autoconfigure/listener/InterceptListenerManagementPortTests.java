package dev.vconn.autoconfigure.listener;

import dev.vconn.autoconfigure.InterceptListenerLifecycle;
import dev.vconn.intercept.InterceptListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With the actuator on a port of its own, the intercept listener's default origin is still the
 * application's main web server, not the management server.
 */
@SpringBootTest(classes = ListenerTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "vconn.listener.enabled=true", "vconn.listener.port=0", "vconn.event-threads=1",
				"management.server.port=0" })
@Timeout(120)
class InterceptListenerManagementPortTests {

	@LocalServerPort
	int serverPort;

	@LocalManagementPort
	int managementPort;

	@Autowired
	InterceptListenerLifecycle lifecycle;

	@Test
	void defaultOriginIsTheMainWebServerNotTheManagementServer() {
		InterceptListener listener = this.lifecycle.getListener();
		assertThat(listener).isNotNull();
		assertThat(this.managementPort).isPositive().isNotEqualTo(this.serverPort);
		assertThat(listener.origin()).isNotNull();
		assertThat(listener.origin().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
		assertThat(listener.origin().getPort()).isEqualTo(this.serverPort);
	}

}
