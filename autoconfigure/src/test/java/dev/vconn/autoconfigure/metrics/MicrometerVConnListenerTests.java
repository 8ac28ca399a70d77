package dev.vconn.autoconfigure.metrics;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import dev.vconn.VConn;
import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.TestSockets;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class MicrometerVConnListenerTests {

	@Test
	void worksWithoutSpringAsDocumented() throws Exception {
		MeterRegistry registry = new SimpleMeterRegistry();
		// docs/metrics.md, "Without Spring"
		AtomicReference<VConnRuntime> ref = new AtomicReference<>();
		MicrometerVConnListener metrics = new MicrometerVConnListener(() -> ref.get().activeCount());
		VConnRuntime runtime = VConnRuntime.builder().addListener(metrics).eventThreads(1).build();
		ref.set(runtime);
		metrics.bindTo(registry);
		try (TestSockets sockets = new TestSockets()) {
			VConn vconn = runtime.factory().adopt(sockets.connectedChannel().client()).orElseThrow();
			assertThat(registry.get("vconn.active").gauge().value()).isEqualTo(1.0);
			assertThat(registry.get("vconn.adoption.duration").timer().count()).isEqualTo(1);
			vconn.close();
			await().atMost(Duration.ofSeconds(10))
				.until(() -> registry.get("vconn.closed").tag("how", "close").functionCounter().count() == 1.0);
			assertThat(registry.get("vconn.active").gauge().value()).isZero();
		}
		finally {
			runtime.close();
		}
		assertThat(registry.get("vconn.adoptions").tags("outcome", "success", "source", "channel")
			.functionCounter()
			.count()).isEqualTo(1.0);
	}

	@Test
	void countsMadeBeforeBindingAreNotLost() {
		MicrometerVConnListener metrics = new MicrometerVConnListener(() -> 0);
		metrics.onAdoptionFailed(dev.vconn.AdoptionSource.FD, dev.vconn.AdoptionFailureReason.BAD_FD,
				Duration.ofMillis(1));
		MeterRegistry registry = new SimpleMeterRegistry();
		metrics.bindTo(registry);
		assertThat(registry.get("vconn.adoptions")
			.tags("outcome", "failure", "reason", "bad_fd", "source", "fd")
			.functionCounter()
			.count()).isEqualTo(1.0);
		assertThat(registry.get("vconn.adoption.duration").timer().count()).isZero();
	}

	@Test
	void bindingToSeveralRegistriesRecordsInEach() {
		MicrometerVConnListener metrics = new MicrometerVConnListener(() -> 2);
		MeterRegistry first = new SimpleMeterRegistry();
		MeterRegistry second = new SimpleMeterRegistry();
		metrics.bindTo(first);
		metrics.bindTo(second);
		metrics.onAdoptionFailed(dev.vconn.AdoptionSource.CONNECT, dev.vconn.AdoptionFailureReason.CONNECT_FAILED,
				Duration.ofMillis(3));
		for (MeterRegistry registry : new MeterRegistry[] { first, second }) {
			assertThat(registry.get("vconn.adoption.duration").timer().count()).isEqualTo(1);
			assertThat(registry.get("vconn.adoptions").tags("reason", "connect_failed", "source", "connect")
				.functionCounter()
				.count()).isEqualTo(1.0);
			assertThat(registry.get("vconn.active").gauge().value()).isEqualTo(2.0);
		}
	}

}
