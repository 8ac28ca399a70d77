package dev.vconn.demo;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.test.context.ActiveProfiles;

/**
 * The demo with the seed plugin's VIO handlers ({@code demo.intercept.style=vio}, the default):
 * origin sockets are connected natively and adopted with {@code fdCreate}.
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

}
