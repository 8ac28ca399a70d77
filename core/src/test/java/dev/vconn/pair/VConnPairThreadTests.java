package dev.vconn.pair;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

import dev.vconn.IOBuffer;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;
import dev.vconn.VIO;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** One event thread per pair, delivery under the continuation's mutex, and calls from any thread. */
class VConnPairThreadTests extends PairTestSupport {

	private final ExecutorService callers = Executors.newFixedThreadPool(4);

	@AfterEach
	void stopCallers() {
		this.callers.shutdownNow();
	}

	@Test
	void everyEventOfBothEndsArrivesOnOneEventThread() {
		VConnRuntime wide = newRuntime(VConnRuntime.builder().eventThreads(3));
		VConnPair pair = VConnPair.create(wide);
		ByteArrayOutputStream toPassive = new ByteArrayOutputStream();
		ByteArrayOutputStream toActive = new ByteArrayOutputStream();
		IOBuffer passiveIn = buffer();
		IOBuffer activeIn = buffer();
		Recorder passiveReader = draining(passiveIn.allocReader(), toPassive);
		Recorder activeReader = draining(activeIn.allocReader(), toActive);
		Recorder passiveWriter = recorder();
		Recorder activeWriter = recorder();
		pair.passive().read(passiveReader, passiveIn, 5);
		pair.active().read(activeReader, activeIn, 5);
		pair.active().write(activeWriter, bufferWith("ping!"), 5);
		pair.passive().write(passiveWriter, bufferWith("pong!"), 5);

		passiveReader.await(VConnEvent.VCONN_READ_COMPLETE);
		activeReader.await(VConnEvent.VCONN_READ_COMPLETE);
		passiveWriter.await(VConnEvent.VCONN_WRITE_COMPLETE);
		activeWriter.await(VConnEvent.VCONN_WRITE_COMPLETE);
		Thread loop = passiveReader.last().thread();
		for (Recorder recorder : List.of(passiveReader, activeReader, passiveWriter, activeWriter)) {
			assertThat(recorder.events()).allSatisfy((event) -> {
				assertThat(event.thread()).isSameAs(loop);
				assertThat(event.mutexHeld()).isTrue();
			});
		}
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void aBusyMutexDelaysDeliveryWithoutBlockingTheEventLoop() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		in.allocReader();
		Recorder reader = recorder();
		Recorder writer = recorder();
		VIO readVio;
		reader.lock().lock();
		try {
			readVio = pair.passive().read(reader, in, 4);
			pair.active().write(writer, bufferWith("wait"), 4);
			writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
			fence(); // another pair on the same single event thread still makes progress
			fence();
			assertThat(reader.events()).isEmpty();
			assertThat(readVio.ndone()).isZero();
		}
		finally {
			reader.lock().unlock();
		}
		reader.await(VConnEvent.VCONN_READ_COMPLETE);
		assertThat(readVio.ndone()).isEqualTo(4);
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void aPairCreatedOnAnEventThreadLivesOnThatThread() {
		VConnRuntime wide = newRuntime(VConnRuntime.builder().eventThreads(2));
		for (int attempt = 0; attempt < 4; attempt++) {
			VConnPair outer = VConnPair.create(wide);
			AtomicReference<VConnPair> inner = new AtomicReference<>();
			Recorder creator = recorder((event, data) -> inner.set(VConnPair.create(wide)));
			outer.active().write(creator, bufferWith("go"), 2);
			creator.await(VConnEvent.VCONN_WRITE_COMPLETE);
			// the recorder records an event before its behaviour runs: wait for the pair it creates
			VConnPair created = Awaitility.await().atMost(Duration.ofSeconds(10)).until(inner::get, Objects::nonNull);

			Recorder reader = recorder();
			IOBuffer in = buffer();
			in.allocReader();
			created.passive().read(reader, in, 1);
			created.active().write(recorder(), bufferWith("!"), 1);
			reader.await(VConnEvent.VCONN_READ_COMPLETE);
			assertThat(reader.last().thread()).isSameAs(creator.last().thread());
			for (VConnPair pair : List.of(outer, created)) {
				pair.active().close();
				pair.passive().close();
			}
		}
	}

	@Test
	void everyMethodMayBeCalledFromForeignThreadsAtOnce() throws Exception {
		int pairs = 16;
		List<CompletableFuture<byte[]>> results = new ArrayList<>();
		List<VConnPair> created = new ArrayList<>();
		CountDownLatch start = new CountDownLatch(1);
		for (int i = 0; i < pairs; i++) {
			VConnPair pair = pair();
			created.add(pair);
			String message = "message number " + i;
			ByteArrayOutputStream received = new ByteArrayOutputStream();
			IOBuffer in = buffer(8);
			Recorder reader = draining(in.allocReader(), received);
			Recorder writer = recorder();
			IOBuffer out = buffer();
			var outReader = out.allocReader();
			CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
				await(start);
				pair.passive().read(reader, in, Long.MAX_VALUE);
			}, this.callers);
			CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
				await(start);
				writer.lock().lock();
				try {
					out.write(ascii(message));
					pair.active().write(writer, outReader, Long.MAX_VALUE).reenable();
				}
				finally {
					writer.lock().unlock();
				}
				writer.await(VConnEvent.VCONN_WRITE_READY);
				eventually().until(() -> pair.active().bytesOut() == message.length());
				pair.active().setInactivityTimeout(java.time.Duration.ofSeconds(30));
				pair.active().shutdown(false, true);
			}, this.callers);
			results.add(reading.thenCombine(writing, (a, b) -> null).thenCompose((ignored) -> CompletableFuture
				.supplyAsync(() -> {
					reader.await(VConnEvent.VCONN_EOS);
					pair.passive().close();
					pair.active().close();
					return received.toByteArray();
				}, this.callers)));
		}
		start.countDown();
		for (int i = 0; i < pairs; i++) {
			assertThat(results.get(i)).succeedsWithin(java.time.Duration.ofSeconds(20))
				.isEqualTo(ascii("message number " + i));
		}
		eventually().until(() -> this.runtime.activeCount() == 0);
		assertThat(created).allSatisfy((pair) -> assertThat(this.listener.closedOf(pair.passive())).hasSize(1));
	}

	@Test
	void concurrentClosesAndAbortsOfBothEndsEndEachEndOnce() {
		int pairs = 50;
		List<VConnPair> created = new ArrayList<>();
		List<CompletableFuture<Void>> closing = new ArrayList<>();
		for (int i = 0; i < pairs; i++) {
			VConnPair pair = pair();
			created.add(pair);
			IOBuffer in = buffer(64);
			in.allocReader();
			pair.passive().read(recorder(), in, Long.MAX_VALUE);
			pair.active().write(recorder(), bufferWith("x".repeat(5000)), 5000);
			boolean abort = (i % 2) == 0;
			closing.add(CompletableFuture.runAsync(() -> pair.active().close(), this.callers));
			closing.add(CompletableFuture.runAsync(() -> {
				if (abort) {
					pair.passive().abort(1);
				}
				else {
					pair.passive().close();
				}
			}, this.callers));
			closing.add(CompletableFuture.runAsync(() -> pair.passive().close(), this.callers));
		}
		assertThat(CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)))
			.succeedsWithin(java.time.Duration.ofSeconds(10));
		eventually().until(() -> this.runtime.activeCount() == 0);
		assertThat(created).allSatisfy((pair) -> {
			assertThat(this.listener.closedOf(pair.active())).hasSize(1);
			assertThat(this.listener.closedOf(pair.passive())).hasSize(1);
		});
	}

	private static void await(CountDownLatch latch) {
		try {
			latch.await();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
