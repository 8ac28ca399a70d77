package dev.vconn.contract;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.vconn.CloseKind;
import dev.vconn.IOBuffer;
import dev.vconn.Transport;
import dev.vconn.VConn;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;
import dev.vconn.testing.CountingListener;
import dev.vconn.testing.NettyLeakCheck;
import dev.vconn.testing.TimerFence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import static dev.vconn.VConnEvent.VCONN_ACTIVE_TIMEOUT;
import static dev.vconn.VConnEvent.VCONN_WRITE_READY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The timeout-delivery rule of the contract on an end of an in-memory {@link VConnPair}: a timeout
 * that has to wait for a busy write continuation reaches each continuation exactly once.
 */
@ExtendWith(NettyLeakCheck.class)
class PairTimeoutDeliveryTests {

	private final CountingListener listener = new CountingListener();

	private VConnRuntime runtime;

	private IOBuffer readBuffer;

	private IOBuffer writeBuffer;

	@BeforeEach
	void startRuntime() {
		this.runtime = VConnRuntime.builder().transport(Transport.NIO).eventThreads(1).addListener(this.listener).build();
		this.readBuffer = IOBuffer.create();
		this.writeBuffer = IOBuffer.create();
	}

	@AfterEach
	void stopRuntime() {
		this.runtime.close(Duration.ofSeconds(1));
		this.readBuffer.close();
		this.writeBuffer.close();
		this.listener.assertNoViolations();
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void timeoutWaitingForABusyWriteContinuationIsDeliveredOnceToEachContinuation() throws Exception {
		VConnPair pair = VConnPair.create(this.runtime);
		VConn end = pair.active();
		EventLog reader = new EventLog("pair reader ignoring the timeout");
		EventLog writer = new EventLog("pair writer ignoring the timeout");
		end.read(reader, this.readBuffer, Long.MAX_VALUE);
		end.write(writer, this.writeBuffer.allocReader(), Long.MAX_VALUE);
		writer.await(VCONN_WRITE_READY);

		writer.locked(() -> {
			end.setActiveTimeout(Duration.ofMillis(50));
			reader.await(VCONN_ACTIVE_TIMEOUT);
			// the loop now retries the delivery to the busy writer; one event thread: the marker
			// shares its loop and fires after many retries
			TimerFence.arm(this.runtime, Duration.ofMillis(300)).await();
			assertThat(end.isClosed()).as("closed while the write continuation's mutex is busy").isFalse();
			assertThat(writer.count(VCONN_ACTIVE_TIMEOUT)).as("delivered without the writer's mutex").isZero();
		});

		assertThat(this.listener.awaitClosed(end)).isEqualTo(CloseKind.TIMEOUT);
		assertThat(writer.count(VCONN_ACTIVE_TIMEOUT)).isEqualTo(1);
		assertThat(reader.count(VCONN_ACTIVE_TIMEOUT)).as("timeouts delivered to the read continuation").isEqualTo(1);
		reader.assertNoViolations();
		writer.assertNoViolations();
		pair.passive().close();
	}

}
