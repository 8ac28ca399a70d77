package dev.vconn.pair;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.vconn.Adoption;
import dev.vconn.AdoptionException;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.IOBuffer;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;
import dev.vconn.testing.RecordingListener;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** Pair ends as live VConns of their runtime: counting, listener reports, limits, shutdown. */
class VConnPairRuntimeTests extends PairTestSupport {

	@Test
	void eachEndIsALiveVConnOfTheRuntimeUntilItEnds() {
		VConnPair pair = pair();
		assertThat(this.runtime.activeCount()).isEqualTo(2);
		assertThat(this.runtime.vconns()).containsExactlyInAnyOrder(pair.active(), pair.passive());
		assertThat(this.runtime.find(pair.active().id())).containsSame(pair.active());
		assertThat(this.runtime.find(pair.passive().id())).containsSame(pair.passive());

		pair.active().close();
		eventually().until(() -> this.runtime.activeCount() == 1);
		assertThat(this.runtime.find(pair.active().id())).isEmpty();
		assertThat(this.runtime.vconns()).containsExactly(pair.passive());
		pair.passive().close();
		eventually().until(() -> this.runtime.activeCount() == 0);
		assertThat(this.runtime.find(pair.passive().id())).isEmpty();
	}

	@Test
	void eachEndIsReportedAsAnInterceptAdoptionAndClosedOnce() {
		VConnPair pair = pair();
		assertThat(this.listener.adoptions()).containsExactly(
				new RecordingListener.Adopted(pair.active(), AdoptionSource.INTERCEPT),
				new RecordingListener.Adopted(pair.passive(), AdoptionSource.INTERCEPT));
		pair.passive().close();
		pair.active().close();
		pair.active().close();
		eventually().until(() -> this.listener.closes().size() == 2);
		assertThat(this.listener.closedOf(pair.active())).singleElement()
			.extracting(RecordingListener.Closed::how).isEqualTo(CloseKind.CLOSE);
		assertThat(this.listener.closedOf(pair.passive())).singleElement()
			.extracting(RecordingListener.Closed::how).isEqualTo(CloseKind.CLOSE);
	}

	@Test
	void runtimeCloseAbortsLiveEndsWithCauseShutdown() {
		List<VConnPair> pairs = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			pairs.add(pair());
		}
		VConnPair busy = pairs.get(0);
		IOBuffer in = buffer(100);
		in.allocReader();
		Recorder reader = recorder();
		busy.passive().read(reader, in, Long.MAX_VALUE);
		busy.active().write(recorder(), bufferWith("x".repeat(10_000)), 10_000);
		reader.await(VConnEvent.VCONN_READ_READY);
		pairs.get(1).active().close();
		eventually().until(() -> this.runtime.activeCount() == 5);

		int aborted = this.runtime.close(Duration.ZERO);

		assertThat(aborted).isEqualTo(5);
		assertThat(this.runtime.activeCount()).isZero();
		List<VConn> live = new ArrayList<>();
		pairs.forEach((pair) -> {
			live.add(pair.active());
			live.add(pair.passive());
		});
		live.remove(pairs.get(1).active());
		assertThat(live).allSatisfy((vconn) -> {
			assertThat(vconn.isClosed()).isTrue();
			assertThat(this.listener.abortedOf(vconn)).singleElement()
				.extracting(RecordingListener.Aborted::cause).isEqualTo(CloseKind.SHUTDOWN);
			assertThat(this.listener.closedOf(vconn)).singleElement()
				.extracting(RecordingListener.Closed::how).isEqualTo(CloseKind.SHUTDOWN);
		});
	}

	@Test
	void runtimeCloseWaitsForLiveEndsWithinItsTimeout() {
		VConnPair pair = pair();
		CompletableFuture<Integer> closing = CompletableFuture.supplyAsync(() -> this.runtime.close(Duration.ofSeconds(20)));
		eventually().until(() -> !this.runtime.isRunning());
		assertThat(closing).isNotDone();
		pair.active().close();
		pair.passive().close();
		assertThat(closing).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(0);
		assertThat(this.listener.aborts()).isEmpty();
	}

	@Test
	void creatingAPairOnAClosedRuntimeFailsWithShuttingDown() {
		this.runtime.close(Duration.ZERO);
		assertThatExceptionOfType(AdoptionException.class).isThrownBy(() -> VConnPair.create(this.runtime))
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(AdoptionFailureReason.SHUTTING_DOWN));
		assertThat(this.listener.failures()).containsExactly(
				new RecordingListener.Failed(AdoptionSource.INTERCEPT, AdoptionFailureReason.SHUTTING_DOWN));
		assertThat(this.listener.adoptions()).isEmpty();
	}

	@Test
	void pairsDoNotCountTowardTheConnectionLimit() throws Exception {
		VConnRuntime limited = newRuntime(VConnRuntime.builder().eventThreads(1).maxConnections(1));
		List<VConnPair> pairs = List.of(VConnPair.create(limited), VConnPair.create(limited), VConnPair.create(limited));
		try (ServerSocketChannel server = ServerSocketChannel.open()) {
			server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
			SocketChannel first = SocketChannel.open(server.getLocalAddress());
			SocketChannel second = SocketChannel.open(server.getLocalAddress());
			try (SocketChannel accepted1 = server.accept(); SocketChannel accepted2 = server.accept()) {
				Adoption adopted = limited.factory().adopt(first);
				assertThat(adopted.isSuccess()).as("%s", adopted).isTrue();
				Adoption refused = limited.factory().adopt(second);
				assertThat(refused.failureReason()).isEqualTo(AdoptionFailureReason.LIMIT_REACHED);
				assertThat(limited.activeCount()).isEqualTo(7);
				adopted.vconn().close();
			}
			finally {
				second.close();
			}
		}
		pairs.forEach((pair) -> {
			pair.active().close();
			pair.passive().close();
		});
		eventually().until(() -> limited.activeCount() == 0);
	}

	@Test
	void theRuntimesDefaultTimeoutsApplyToPairEnds() {
		VConnRuntime timed = newRuntime(
				VConnRuntime.builder().eventThreads(1).inactivityTimeout(Duration.ofMillis(30)));
		VConnPair pair = VConnPair.create(timed);
		eventually().until(() -> timed.activeCount() == 0);
		assertThat(this.listener.abortedOf(pair.active())).singleElement()
			.extracting(RecordingListener.Aborted::cause).isEqualTo(CloseKind.TIMEOUT);
		assertThat(this.listener.abortedOf(pair.passive())).singleElement()
			.extracting(RecordingListener.Aborted::cause).isEqualTo(CloseKind.TIMEOUT);
	}

}
