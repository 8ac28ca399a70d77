package dev.vconn.autoconfigure.actuate;

import dev.vconn.Transport;
import dev.vconn.VConnRuntime;
import org.junit.jupiter.api.Test;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

class VConnHealthIndicatorTests {

	@Test
	void upWhileRunningAndHealthy() {
		VConnRuntime runtime = runtime(true, true);
		Health health = new VConnHealthIndicator(runtime).health();
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("transport", "epoll")
			.containsEntry("eventThreads", 4)
			.containsEntry("active", 3)
			.containsEntry("maxConnections", 100)
			.containsEntry("running", true)
			.containsEntry("fdAdoption", true)
			.hasSize(6);
	}

	@Test
	void upAndSaysWhyWhenRawDescriptorsCannotBeAdopted() {
		try (VConnRuntime runtime = VConnRuntime.builder().transport(Transport.NIO).eventThreads(1).build()) {
			Health health = new VConnHealthIndicator(runtime).health();
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("transport", "nio")
				.containsEntry("fdAdoption", false)
				.containsEntry("fdAdoptionUnavailable",
						"raw descriptors need the epoll transport; this runtime uses NIO (configured)");
		}
	}

	@Test
	void downWhenAnEventThreadIsNotAlive() {
		Health health = new VConnHealthIndicator(runtime(true, false)).health();
		assertThat(health.getStatus()).isEqualTo(Status.DOWN);
		assertThat(health.getDetails()).containsEntry("reason", "an event thread is not alive")
			.containsEntry("running", true);
	}

	@Test
	void downOnceStopped() {
		Health health = new VConnHealthIndicator(runtime(false, false)).health();
		assertThat(health.getStatus()).isEqualTo(Status.DOWN);
		assertThat(health.getDetails()).containsEntry("reason", "stopped").containsEntry("running", false);
	}

	@Test
	void downWithRealRuntimeAfterClose() {
		VConnRuntime runtime = VConnRuntime.builder().eventThreads(1).build();
		VConnHealthIndicator indicator = new VConnHealthIndicator(runtime);
		assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
		runtime.close();
		assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
	}

	private static VConnRuntime runtime(boolean running, boolean healthy) {
		VConnRuntime runtime = mock(VConnRuntime.class);
		given(runtime.isRunning()).willReturn(running);
		given(runtime.isHealthy()).willReturn(healthy);
		given(runtime.transport()).willReturn(Transport.EPOLL);
		given(runtime.eventThreads()).willReturn(4);
		given(runtime.activeCount()).willReturn(3);
		given(runtime.maxConnections()).willReturn(100);
		given(runtime.isFdAdoptionAvailable()).willReturn(true);
		return runtime;
	}

}
