package dev.vconn.demo;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo with {@code demo.intercept.style=tunnel}: origin connections are made by
 * {@code VConnFactory.connect}, so a failed connect is also a failed adoption.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "demo.intercept.style=tunnel")
@ActiveProfiles("test")
class InterceptTunnelStyleTests extends AbstractInterceptDemoTests {

	private double connectFailures;

	@Override
	String originSource() {
		return "connect";
	}

	@Override
	String style() {
		return "tunnel";
	}

	@Override
	void recordBaseline() throws Exception {
		this.connectFailures = this.client
			.metric("vconn.adoptions?tag=outcome:failure&tag=source:connect&tag=reason:connect_failed");
	}

	@Override
	void assertOriginDownFailures() throws Exception {
		assertThat(this.client.metric("vconn.adoptions?tag=outcome:failure&tag=source:connect&tag=reason:connect_failed"))
			.isEqualTo(this.connectFailures + 1);
	}

}
