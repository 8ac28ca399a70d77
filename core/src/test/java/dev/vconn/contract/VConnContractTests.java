package dev.vconn.contract;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import dev.vconn.Adoption;
import dev.vconn.AdoptionException;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.CloseKind;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnRuntime;
import dev.vconn.VConnState;
import dev.vconn.VIO;
import dev.vconn.contract.EventLog.Event;
import dev.vconn.contract.PeerEnd.End;
import dev.vconn.contract.TransportFixture.Connection;
import dev.vconn.testing.CountingListener;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.NettyLeakCheck;
import dev.vconn.testing.TimerFence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import static dev.vconn.VConnEvent.ERROR;
import static dev.vconn.VConnEvent.VCONN_ACTIVE_TIMEOUT;
import static dev.vconn.VConnEvent.VCONN_EOS;
import static dev.vconn.VConnEvent.VCONN_INACTIVITY_TIMEOUT;
import static dev.vconn.VConnEvent.VCONN_READ_COMPLETE;
import static dev.vconn.VConnEvent.VCONN_READ_READY;
import static dev.vconn.VConnEvent.VCONN_WRITE_COMPLETE;
import static dev.vconn.VConnEvent.VCONN_WRITE_READY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The VConn I/O contract (VCONN-MODEL §3–§4), checked through the public API against real
 * loopback sockets and against in-memory {@link dev.vconn.VConnPair} ends. Each subclass runs the
 * whole suite on one transport and one way of making the VConn ({@link TransportFixture}); the far
 * end is a {@link PeerEnd} the test drives with blocking calls: a plain blocking socket, or the
 * pair's other end. A few cases check TCP behaviour a pair does not have and are skipped for it
 * ({@link TransportFixture#hasSocket()}), each saying why.
 *
 * <p>Every test also checks, through {@link EventLog} and {@link CountingListener}: each event is
 * delivered holding the continuation's mutex, never concurrently with itself, never after the
 * VConn was closed, and all events of a VConn arrive on one event thread; and, once the test's
 * VConns are closed, adoptions == closes + {@code activeCount()} with exactly one
 * {@code onClosed} per VConn.
 */
@ExtendWith(NettyLeakCheck.class)
abstract class VConnContractTests {

	static final int KiB = 1024;

	static final int MiB = 1024 * KiB;

	private final TransportFixture fixture;

	private VConnRuntime runtime;

	private CountingListener listener;

	private ServerSocket server;

	private InetSocketAddress serverAddress;

	private final List<VConn> vconns = new CopyOnWriteArrayList<>();

	private final List<PeerEnd> peers = new CopyOnWriteArrayList<>();

	private final List<EventLog> logs = new CopyOnWriteArrayList<>();

	private final List<IOBuffer> buffers = new CopyOnWriteArrayList<>();

	private ExecutorService threads;

	VConnContractTests(TransportFixture fixture) {
		this.fixture = fixture;
	}

	@BeforeEach
	void startRuntime() throws IOException {
		this.fixture.assumeAvailable();
		this.listener = new CountingListener();
		this.runtime = this.fixture.runtimeBuilder().eventThreads(2).addListener(this.listener).build();
		assertThat(this.runtime.transport()).isEqualTo(this.fixture.transport());
		this.server = new ServerSocket();
		this.server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
		this.server.setSoTimeout(10_000);
		this.serverAddress = (InetSocketAddress) this.server.getLocalSocketAddress();
		this.threads = Executors.newCachedThreadPool((task) -> {
			Thread thread = new Thread(task, "contract-helper");
			thread.setDaemon(true);
			return thread;
		});
	}

	@AfterEach
	void closeEverything() throws Exception {
		List<AssertionError> failures = new ArrayList<>();
		this.logs.forEach(EventLog::seal);
		check(failures, () -> this.logs.forEach(EventLog::assertNoViolations));
		check(failures, this::assertOneEventThreadPerVConn);
		try {
			this.vconns.forEach(VConn::close);
			check(failures, () -> {
				await("every VConn released").atMost(Duration.ofSeconds(10)).until(() -> this.runtime.activeCount() == 0);
				await().atMost(Duration.ofSeconds(2))
					.untilAsserted(() -> assertThat(this.listener.adoptions()).as("adoptions == closes + activeCount()")
						.isEqualTo(this.listener.closes() + this.runtime.activeCount()));
				this.listener.assertNoViolations();
			});
		}
		finally {
			this.runtime.close(Duration.ofSeconds(1));
			this.buffers.forEach(IOBuffer::close);
			this.peers.forEach(PeerEnd::close);
			this.server.close();
			this.threads.shutdownNow();
		}
		if (!failures.isEmpty()) {
			AssertionError first = failures.get(0);
			failures.subList(1, failures.size()).forEach(first::addSuppressed);
			throw first;
		}
	}

	private static void check(List<AssertionError> failures, Runnable check) {
		try {
			check.run();
		}
		catch (AssertionError ex) {
			failures.add(ex);
		}
	}

	private void assertOneEventThreadPerVConn() {
		Map<Long, Set<Thread>> threadsByVConn = this.logs.stream()
			.flatMap((log) -> log.events().stream())
			.filter((event) -> event.vconn() != null)
			.collect(Collectors.groupingBy((event) -> event.vconn().id(),
					Collectors.mapping(Event::thread, Collectors.toSet())));
		threadsByVConn.forEach((id, eventThreads) -> {
			assertThat(eventThreads).as("event threads of VConn %d", id).hasSize(1);
			Thread thread = eventThreads.iterator().next();
			assertThat(thread.getName()).as("event thread of VConn %d", id)
				.startsWith("vconn-")
				.contains("-" + this.fixture.loopTransport().name().toLowerCase() + "-");
		});
	}

	// ---- helpers ----

	Connection open() throws Exception {
		return open(this.runtime);
	}

	Connection open(VConnRuntime on) throws Exception {
		Connection c = this.fixture.open(on, this.server);
		this.vconns.addAll(c.vconns());
		this.peers.add(c.peer());
		return c;
	}

	/** How many live VConns of the runtime {@code connections} connections make. */
	int vconnsOf(int connections) {
		return connections * this.fixture.vconnsPerConnection();
	}

	EventLog newLog(String name) {
		EventLog log = new EventLog(this.fixture.name() + ": " + name);
		this.logs.add(log);
		return log;
	}

	IOBuffer newBuffer(int waterMark) {
		IOBuffer buffer = IOBuffer.create(this.fixture.buffers().allocator(), waterMark);
		this.buffers.add(buffer);
		return buffer;
	}

	ReadSink newSink(int waterMark) {
		return new ReadSink(newBuffer(waterMark), true);
	}

	ReadSink newChecksumSink(int waterMark) {
		return new ReadSink(newBuffer(waterMark), false);
	}

	static byte[] random(int length, long seed) {
		byte[] bytes = new byte[length];
		new Random(seed).nextBytes(bytes);
		return bytes;
	}

	static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	/** A handler that consumes everything a read delivers and asks for more. */
	static EventLog.Handler draining(ReadSink sink) {
		return (event, data) -> {
			if (event == VCONN_READ_READY) {
				sink.drain();
				((VIO) data).reenable();
			}
		};
	}

	<T> CompletableFuture<T> async(ThrowingSupplier<T> task) {
		return CompletableFuture.supplyAsync(() -> {
			try {
				return task.get();
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		}, this.threads);
	}

	@FunctionalInterface
	interface ThrowingSupplier<T> {

		T get() throws Exception;

	}

	// ---- identity ----

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void newVConnReportsItsAddressesFdAndIsCounted() throws Exception {
		Connection c = open();
		VConn vconn = c.vconn();

		assertThat(vconn.remoteAddress()).isEqualTo(c.peer().localAddress());
		assertThat(vconn.localAddress()).isEqualTo(c.peer().remoteAddress());
		if (this.fixture.hasSocket()) {
			assertThat(vconn.localAddress()).isNotNull();
			assertThat(vconn.remoteAddress()).isNotNull();
		}
		else {
			assertThat(vconn.localAddress()).as("no socket, no address").isNull();
			assertThat(vconn.remoteAddress()).as("no socket, no address").isNull();
		}
		this.fixture.checkFd(vconn);
		assertThat(vconn.state()).isEqualTo(VConnState.OPEN);
		assertThat(vconn.isClosed()).isFalse();
		assertThat(this.runtime.activeCount()).isEqualTo(vconnsOf(1));
		assertThat(this.runtime.find(vconn.id())).containsSame(vconn);
		assertThat(this.listener.adoptions()).isEqualTo(vconnsOf(1));
	}

	// ---- reading ----

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void readReadyDeliversExactlyTheBytesThePeerSent() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("reader").onEvent(draining(sink));
		VIO vio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		byte[] sent = random(300 * KiB, 1);

		for (int i = 0; i < 3; i++) {
			c.peer().send(Arrays.copyOfRange(sent, i * 100 * KiB, (i + 1) * 100 * KiB));
		}
		log.until(() -> (sink.consumed() >= sent.length) ? true : null);

		assertThat(sink.bytes()).isEqualTo(sent);
		assertThat(vio.ndone()).isEqualTo(sent.length);
		assertThat(vio.isActive()).isTrue();
		assertThat(log.types()).containsOnly(VCONN_READ_READY);
		List<Long> progress = log.events().stream().map(Event::ndone).collect(Collectors.toList());
		assertThat(progress).as("ndone at each READ_READY").isSorted().doesNotHaveDuplicates().allMatch((n) -> n > 0);
		assertThat(log.events()).allMatch((e) -> e.data() == vio);
		assertThat(c.vconn().bytesIn()).isEqualTo(sent.length);
		assertThat(vio.op()).isEqualTo(VIO.Op.READ);
		assertThat(vio.vconn()).isSameAs(c.vconn());
		assertThat(vio.continuation()).isSameAs(log);
		assertThat(vio.buffer()).isSameAs(sink.buffer);
		assertThat(vio.reader()).isNull();
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void readCompleteFiresExactlyAtNBytes() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("reader");
		VIO vio = c.vconn().read(log, sink.buffer, 1000);
		byte[] sent = random(1200, 2);

		c.peer().send(Arrays.copyOfRange(sent, 0, 400));
		log.await(VCONN_READ_READY);
		c.peer().send(Arrays.copyOfRange(sent, 400, 1200));
		Event complete = log.await(VCONN_READ_COMPLETE);

		assertThat(complete.data()).isSameAs(vio);
		assertThat(complete.ndone()).isEqualTo(1000);
		assertThat(vio.ndone()).isEqualTo(1000);
		assertThat(vio.ntodo()).isZero();
		assertThat(vio.isActive()).isFalse();
		assertThat(log.<Long>lockedGet(sink.reader::avail)).as("bytes in the buffer").isEqualTo(1000);
		assertThat(log.lockedGet(sink::drain)).isEqualTo(1000);
		assertThat(sink.bytes()).isEqualTo(Arrays.copyOf(sent, 1000));
		List<VConnEvent> types = log.types();
		assertThat(types.get(types.size() - 1)).isEqualTo(VCONN_READ_COMPLETE);
		assertThat(types.subList(0, types.size() - 1)).containsOnly(VCONN_READ_READY);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void bytesBeyondNBytesStayForTheNextRead() throws Exception {
		Connection c = open();
		ReadSink first = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog firstLog = newLog("first reader");
		c.vconn().read(firstLog, first.buffer, 1000);
		byte[] sent = random(1500, 3);

		c.peer().send(sent);
		firstLog.await(VCONN_READ_COMPLETE);
		assertThat(firstLog.lockedGet(first::drain)).isEqualTo(1000);

		ReadSink second = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog secondLog = newLog("second reader").onEvent(draining(second));
		c.vconn().read(secondLog, second.buffer, Long.MAX_VALUE);
		byte[] more = random(300, 4);
		c.peer().send(more);
		c.peer().shutdownOutput();
		secondLog.await(VCONN_EOS);

		assertThat(first.bytes()).isEqualTo(Arrays.copyOf(sent, 1000));
		byte[] rest = Arrays.copyOfRange(sent, 1000, 1500);
		byte[] expected = Arrays.copyOf(rest, rest.length + more.length);
		System.arraycopy(more, 0, expected, rest.length, more.length);
		assertThat(second.bytes()).isEqualTo(expected);
		assertThat(firstLog.count(VCONN_READ_COMPLETE)).isEqualTo(1);
		assertThat(firstLog.types()).isSubsetOf(VCONN_READ_READY, VCONN_READ_COMPLETE);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void readCompleteNeverFiresForAnUnboundedRead() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("reader").onEvent(draining(sink));
		VIO vio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);

		c.peer().send(random(256 * KiB, 5));
		c.peer().shutdownOutput();
		log.await(VCONN_EOS);

		assertThat(log.count(VCONN_READ_COMPLETE)).isZero();
		assertThat(vio.ndone()).isEqualTo(256 * KiB);
		assertThat(vio.nbytes()).isEqualTo(Long.MAX_VALUE);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void readSetNBytesRaisedMidFlightCompletesAtTheNewTarget() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("reader").onEvent((event, data) -> {
			if (event == VCONN_READ_READY && ((VIO) data).nbytes() == 10) {
				((VIO) data).setNBytes(20);
			}
		});
		VIO vio = c.vconn().read(log, sink.buffer, 10);

		c.peer().send(random(4, 6));
		log.await(VCONN_READ_READY);
		c.peer().send(random(20, 7));
		Event complete = log.await(VCONN_READ_COMPLETE);

		assertThat(complete.ndone()).isEqualTo(20);
		assertThat(vio.nbytes()).isEqualTo(20);
		assertThat(log.<Long>lockedGet(sink.reader::avail)).isEqualTo(20);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void readSetNBytesToNDoneCompletesTheRead() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("reader").onEvent((event, data) -> {
			if (event == VCONN_READ_READY) {
				VIO vio = (VIO) data;
				sink.drain();
				vio.setNBytes(vio.ndone());
			}
		});
		VIO vio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);

		c.peer().send(ascii("0123456789"));
		Event complete = log.await(VCONN_READ_COMPLETE);

		assertThat(complete.ndone()).isEqualTo(10);
		assertThat(vio.isActive()).isFalse();
		assertThat(sink.bytes()).isEqualTo(ascii("0123456789"));
		assertThat(log.types()).containsExactly(VCONN_READ_READY, VCONN_READ_COMPLETE);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void readOfZeroBytesDisablesReadingWithoutLosingData() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog disabled = newLog("disabled reader");
		VIO none = c.vconn().read(disabled, sink.buffer, 0);
		assertThat(none.isActive()).isFalse();

		c.peer().send(ascii("hello"));
		assertThat(c.peer().receivesNothingWithin(Duration.ofMillis(200))).isTrue();
		EventLog log = newLog("reader").onEvent(draining(sink));
		c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		log.until(() -> (sink.consumed() == 5) ? true : null);

		assertThat(disabled.size()).isZero();
		assertThat(sink.bytes()).isEqualTo(ascii("hello"));
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void replacedReadVioGetsNoFurtherEvents() throws Exception {
		Connection c = open();
		ReadSink firstSink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog first = newLog("first reader").onEvent(draining(firstSink));
		VIO firstVio = c.vconn().read(first, firstSink.buffer, Long.MAX_VALUE);
		c.peer().send(ascii("one"));
		first.until(() -> (firstSink.consumed() == 3) ? true : null);
		int eventsBefore = first.size();

		ReadSink secondSink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog second = newLog("second reader").onEvent(draining(secondSink));
		first.locked(() -> c.vconn().read(second, secondSink.buffer, Long.MAX_VALUE));
		c.peer().send(ascii("two"));
		c.peer().shutdownOutput();
		second.await(VCONN_EOS);

		assertThat(firstVio.isActive()).isFalse();
		assertThat(first.size()).isEqualTo(eventsBefore);
		assertThat(firstSink.bytes()).isEqualTo(ascii("one"));
		assertThat(secondSink.bytes()).isEqualTo(ascii("two"));
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void eosFollowsThePeersFinWithEveryByteDeliveredAndStillReadable() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(MiB);
		EventLog log = newLog("reader");
		VIO vio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		byte[] sent = random(100 * KiB, 8);

		c.peer().send(sent);
		c.peer().shutdownOutput();
		Event eos = log.await(VCONN_EOS);

		assertThat(eos.data()).isSameAs(vio);
		assertThat(eos.ndone()).isEqualTo(sent.length);
		assertThat(vio.isActive()).isFalse();
		List<VConnEvent> types = log.types();
		assertThat(types.get(types.size() - 1)).isEqualTo(VCONN_EOS);
		assertThat(types).containsOnlyOnce(VCONN_EOS).doesNotContain(VCONN_READ_COMPLETE, ERROR);
		log.locked(sink::drain);
		assertThat(sink.bytes()).as("bytes left in the buffer after EOS").isEqualTo(sent);

		// half-closed by the peer: this side can still write, and ends as EOS
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader outReader = out.allocReader();
		out.write(ascii("bye"));
		EventLog writer = newLog("writer");
		c.vconn().write(writer, outReader, 3);
		writer.await(VCONN_WRITE_COMPLETE);
		assertThat(c.peer().readExactly(3)).isEqualTo(ascii("bye"));
		writer.locked(c.vconn()::close);
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.EOS);
		assertThat(c.peer().readToEnd()).isEmpty();
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void eosThatArrivedBeforeAnyReadIsDeliveredAfterTheBytesOnceReadingStarts() throws Exception {
		Connection c = open();
		c.peer().send(ascii("early"));
		c.peer().shutdownOutput();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("late reader").onEvent(draining(sink));

		c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		log.await(VCONN_EOS);

		assertThat(sink.bytes()).isEqualTo(ascii("early"));
		assertThat(log.types()).endsWith(VCONN_EOS).containsOnlyOnce(VCONN_EOS);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void eosWaitsForBytesHeldBackByTheWaterMark() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(4 * KiB);
		EventLog log = newLog("slow reader");
		VIO vio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		byte[] sent = random(256 * KiB, 24);
		c.peer().send(sent);
		c.peer().shutdownOutput();

		log.await(VCONN_READ_READY);
		int reenables = 0;
		while (log.count(VCONN_EOS) == 0) {
			int seen = log.lockedGet(() -> {
				sink.drain();
				vio.reenable();
				return log.size();
			});
			reenables++;
			log.until(() -> (log.size() > seen) ? true : null);
		}

		assertThat(log.types()).as("EOS comes after the last byte").containsOnlyOnce(VCONN_EOS).endsWith(VCONN_EOS);
		log.locked(sink::drain);
		assertThat(sink.bytes()).isEqualTo(sent);
		assertThat(reenables).as("reads resumed by reenable()").isGreaterThan(1);
		assertThat(log.events(VCONN_EOS).get(0).ndone()).isEqualTo(sent.length);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void successiveReadViosFrameAStreamWithoutLosingOrReorderingBytes() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		List<byte[]> messages = new ArrayList<>();
		List<byte[]> parsed = new CopyOnWriteArrayList<>();
		AtomicBoolean header = new AtomicBoolean(true);
		EventLog log = newLog("framer");
		log.onEvent((event, data) -> {
			if (event == VCONN_READ_COMPLETE) {
				VIO vio = (VIO) data;
				byte[] bytes = new byte[(int) vio.nbytes()];
				assertThat(sink.reader.read(bytes, 0, bytes.length)).isEqualTo(bytes.length);
				assertThat(sink.reader.avail()).as("bytes beyond nbytes left in the buffer").isZero();
				if (header.get()) {
					int length = ByteBuffer.wrap(bytes).getInt();
					header.set(false);
					vio.vconn().read(log, sink.buffer, length);
				}
				else {
					parsed.add(bytes);
					header.set(true);
					vio.vconn().read(log, sink.buffer, 4);
				}
			}
		});
		ByteArrayOutputStream stream = new ByteArrayOutputStream();
		Random random = new Random(25);
		for (int i = 0; i < 100; i++) {
			byte[] message = random(1 + random.nextInt(20_000), i);
			messages.add(message);
			stream.write(ByteBuffer.allocate(4).putInt(message.length).array());
			stream.write(message);
		}

		c.vconn().read(log, sink.buffer, 4);
		c.peer().send(stream.toByteArray());
		log.until(() -> (parsed.size() == messages.size()) ? true : null);

		for (int i = 0; i < messages.size(); i++) {
			assertThat(parsed.get(i)).as("message %d", i).isEqualTo(messages.get(i));
		}
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void peerResetGivesErrorNotEos() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("reader").onEvent(draining(sink));
		VIO vio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);

		c.peer().send(ascii("hello"));
		log.until(() -> (sink.consumed() == 5) ? true : null);
		c.peer().reset();
		Event error = log.await(ERROR);

		assertThat(error.data()).isSameAs(vio);
		assertThat(vio.isActive()).isFalse();
		assertThat(log.types()).doesNotContain(VCONN_EOS).containsOnlyOnce(ERROR);
		List<VConnEvent> types = log.types();
		assertThat(types.get(types.size() - 1)).isEqualTo(ERROR);
		log.locked(c.vconn()::close);
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.PEER);
		assertThat(this.listener.abortOf(c.vconn())).as("a peer reset is recorded")
			.isEqualTo(new CountingListener.Aborted(c.vconn(), CloseKind.PEER, 0));
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void peerResetWhileTheReaderIsStalledGivesErrorOnceItResumes() throws Exception {
		Connection c = open();
		ReadSink sink = newChecksumSink(4 * KiB);
		EventLog log = newLog("stalled reader");
		VIO vio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		c.peer().send(random(64 * KiB, 29));
		log.until(() -> log.lockedGet(sink.buffer::isHighWater) ? true : null);

		c.peer().reset();
		while (true) {
			assertThat(log.types()).doesNotContain(VCONN_EOS);
			// checked holding the mutex: the ERROR may arrive at any time, not only after a reenable()
			int seen = log.lockedGet(() -> {
				if (log.count(ERROR) > 0) {
					return -1;
				}
				sink.drain();
				vio.reenable();
				return log.size();
			});
			if (seen < 0) {
				break;
			}
			log.until(() -> (log.size() > seen) ? true : null);
		}

		assertThat(log.types()).endsWith(ERROR).containsOnlyOnce(ERROR).doesNotContain(VCONN_EOS);
		log.locked(c.vconn()::close);
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.PEER);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void shutdownReadEndsTheReadVioWhileWritingGoesOn() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("reader").onEvent(draining(sink));
		VIO readVio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);

		log.locked(() -> c.vconn().shutdown(true, false));
		assertThat(readVio.isActive()).isFalse();
		assertThat(c.vconn().state()).isEqualTo(VConnState.READ_SHUT_DOWN);
		VIO refused = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		assertThat(refused.isActive()).as("a read after shutdown(read)").isFalse();
		if (this.fixture.hasSocket()) {
			c.peer().send(ascii("ignored"));
		}
		else {
			// docs/pairs.md: shutdown(true, false) gives the other end's write ERROR (a socket peer's
			// send goes on unnoticed); the bytes it still sends are dropped
			await("the peer's write ends").atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThatThrownBy(() -> c.peer().send(ascii("ignored")))
					.isInstanceOf(IOException.class));
		}

		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader outReader = out.allocReader();
		out.write(ascii("pong"));
		EventLog writer = newLog("writer");
		c.vconn().write(writer, outReader, 4);
		writer.await(VCONN_WRITE_COMPLETE);
		assertThat(c.peer().readExactly(4)).isEqualTo(ascii("pong"));
		// the write reached the loop after the peer's bytes reached the socket, and the loop handles
		// ready I/O before queued tasks: a read event for those bytes would be in the log by now
		assertThat(log.types()).as("events to the reader after shutdown(read)").isEmpty();
	}

	// ---- writing ----

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void writeReadyAsksForDataWhileTheReaderIsShortAndWriteCompleteEndsTheWrite() throws Exception {
		Connection c = open();
		long total = 256 * KiB;
		WriteSource source = new WriteSource(newBuffer(IOBuffer.DEFAULT_WATER_MARK), total, 9);
		EventLog log = newLog("writer").onEvent((event, data) -> {
			if (event == VCONN_WRITE_READY) {
				source.fill((int) Math.min(source.reader.avail() + 16 * KiB, total));
				((VIO) data).reenable();
			}
		});
		VIO vio = c.vconn().write(log, source.reader, total);

		long received = c.peer().receive(total);
		Event complete = log.await(VCONN_WRITE_COMPLETE);

		assertThat(received).as("CRC32 of what the peer received").isEqualTo(source.crc());
		assertThat(log.events().get(0).type()).as("first event for an empty reader").isEqualTo(VCONN_WRITE_READY);
		assertThat(log.events().get(0).ndone()).isZero();
		assertThat(complete.data()).isSameAs(vio);
		assertThat(complete.ndone()).isEqualTo(total);
		assertThat(vio.ntodo()).isZero();
		assertThat(vio.isActive()).isFalse();
		List<VConnEvent> types = log.types();
		assertThat(types.get(types.size() - 1)).isEqualTo(VCONN_WRITE_COMPLETE);
		assertThat(types).containsOnlyOnce(VCONN_WRITE_COMPLETE);
		assertThat(c.vconn().bytesOut()).isEqualTo(total);
		assertThat(vio.op()).isEqualTo(VIO.Op.WRITE);
		assertThat(vio.vconn()).isSameAs(c.vconn());
		assertThat(vio.continuation()).isSameAs(log);
		assertThat(vio.reader()).isSameAs(source.reader);
		assertThat(vio.buffer()).isNull();
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void writeCompleteFiresAtNBytesAndThePeerReceivesEveryByteButNoMore() throws Exception {
		Connection c = open();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader reader = out.allocReader();
		byte[] payload = random(MiB + 100, 10);
		out.write(payload);
		EventLog log = newLog("writer");
		VIO vio = c.vconn().write(log, reader, MiB);

		byte[] received = c.peer().readExactly(MiB);
		Event complete = log.await(VCONN_WRITE_COMPLETE);

		assertThat(received).isEqualTo(Arrays.copyOf(payload, MiB));
		assertThat(complete.ndone()).isEqualTo(MiB);
		assertThat(vio.ndone()).isEqualTo(MiB);
		assertThat(log.<Long>lockedGet(reader::avail)).as("bytes beyond nbytes stay in the reader").isEqualTo(100);
		log.locked(c.vconn()::close);
		assertThat(c.peer().readToEnd()).as("sent after nbytes").isEmpty();
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.CLOSE);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void writeCompleteNeverFiresForAnUnboundedWrite() throws Exception {
		Connection c = open();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader reader = out.allocReader();
		byte[] payload = random(200 * KiB, 11);
		out.write(payload);
		EventLog log = newLog("writer");
		VIO vio = c.vconn().write(log, reader, Long.MAX_VALUE);

		assertThat(c.peer().readExactly(payload.length)).isEqualTo(payload);
		log.until(() -> (vio.ndone() == payload.length && log.count(VCONN_WRITE_READY) > 0) ? true : null);
		log.locked(c.vconn()::close);

		assertThat(c.peer().readToEnd()).isEmpty();
		assertThat(log.types()).containsOnly(VCONN_WRITE_READY);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void writeOfBytesAlreadyBufferedCompletesWithoutAskingForMore() throws Exception {
		Connection c = open();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader reader = out.allocReader();
		byte[] payload = random(1000, 22);
		out.write(payload);
		EventLog log = newLog("writer");

		c.vconn().write(log, reader, payload.length);

		assertThat(c.peer().readExactly(payload.length)).isEqualTo(payload);
		log.await(VCONN_WRITE_COMPLETE);
		assertThat(log.types()).containsExactly(VCONN_WRITE_COMPLETE);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void closeWhileABatchIsStuckInFlightDeliversItThenEof() throws Exception {
		Connection c = open();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader reader = out.allocReader();
		byte[] payload = random(32 * MiB, 23);
		out.write(payload);
		EventLog log = newLog("writer");
		VIO vio = c.vconn().write(log, reader, payload.length);
		AtomicLong lastDone = new AtomicLong(-1);
		await("the write stalls on a peer that does not read").during(Duration.ofMillis(300))
			.atMost(Duration.ofSeconds(10))
			.until(() -> {
				long done = vio.ndone();
				return done > 0 && done < payload.length && lastDone.getAndSet(done) == done;
			});

		log.locked(c.vconn()::close);
		byte[] received = c.peer().readToEnd();

		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.CLOSE);
		assertThat((long) received.length).as("bytes the peer got").isEqualTo(c.vconn().bytesOut())
			.isGreaterThanOrEqualTo(lastDone.get());
		assertThat(received).isEqualTo(Arrays.copyOf(payload, received.length));
		assertThat(log.types()).doesNotContain(VCONN_WRITE_COMPLETE, ERROR);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void writeAboveTheWaterMarkSendsBeforeAskingForMore() throws Exception {
		Connection c = open();
		IOBuffer out = newBuffer(KiB);
		IOBufferReader reader = out.allocReader();
		byte[] payload = random(10 * KiB, 26);
		out.write(payload, 0, 2 * KiB);
		EventLog log = newLog("writer").onEvent((event, data) -> {
			if (event == VCONN_WRITE_READY && reader.avail() == 0) {
				VIO vio = (VIO) data;
				out.write(payload, (int) vio.ndone(), (int) Math.min(2 * KiB, vio.ntodo()));
				vio.reenable();
			}
		});

		c.vconn().write(log, reader, payload.length);

		assertThat(c.peer().readExactly(payload.length)).isEqualTo(payload);
		log.await(VCONN_WRITE_COMPLETE);
		assertThat(log.events(VCONN_WRITE_READY)).as("WRITE_READY only after progress, never a solicit at high water")
			.allMatch((e) -> e.ndone() > 0);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void successiveWriteViosSendEverythingInOrder() throws Exception {
		Connection c = open();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader reader = out.allocReader();
		byte[] payload = random(300 * KiB, 27);
		out.write(payload);
		AtomicInteger completed = new AtomicInteger();
		EventLog log = newLog("writer");
		log.onEvent((event, data) -> {
			if (event == VCONN_WRITE_COMPLETE && completed.incrementAndGet() < 3) {
				((VIO) data).vconn().write(log, reader, 100 * KiB);
			}
		});

		c.vconn().write(log, reader, 100 * KiB);

		assertThat(c.peer().readExactly(payload.length)).isEqualTo(payload);
		log.awaitNth(VCONN_WRITE_COMPLETE, 3);
		assertThat(log.events(VCONN_WRITE_COMPLETE)).extracting(Event::ndone).containsOnly((long) 100 * KiB);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void writeStalledOnAnEmptyReaderResumesOnlyOnReenable() throws Exception {
		Connection c = open();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader reader = out.allocReader();
		EventLog log = newLog("writer");
		VIO vio = c.vconn().write(log, reader, 1000);
		log.await(VCONN_WRITE_READY);
		byte[] payload = random(1000, 12);

		log.locked(() -> out.write(payload));
		assertThat(c.peer().receivesNothingWithin(Duration.ofMillis(300))).as("nothing sent before reenable()").isTrue();
		vio.reenable();

		assertThat(c.peer().readExactly(1000)).isEqualTo(payload);
		assertThat(log.await(VCONN_WRITE_COMPLETE).ndone()).isEqualTo(1000);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void writeSetNBytesToNDoneCompletesAStalledWrite() throws Exception {
		Connection c = open();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader reader = out.allocReader();
		out.write(ascii("partial"));
		EventLog log = newLog("writer");
		VIO vio = c.vconn().write(log, reader, 1000);
		assertThat(c.peer().readExactly(7)).isEqualTo(ascii("partial"));
		log.until(() -> (vio.ndone() == 7 && log.count(VCONN_WRITE_READY) > 0) ? true : null);

		vio.setNBytes(vio.ndone());

		assertThat(log.await(VCONN_WRITE_COMPLETE).ndone()).isEqualTo(7);
		assertThat(vio.isActive()).isFalse();
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void peerResetDuringAWriteGivesError() throws Exception {
		Connection c = open();
		WriteSource source = new WriteSource(newBuffer(IOBuffer.DEFAULT_WATER_MARK), Long.MAX_VALUE, 13);
		EventLog log = newLog("writer").onEvent((event, data) -> {
			if (event == VCONN_WRITE_READY) {
				source.fill(256 * KiB);
				((VIO) data).reenable();
			}
		});
		VIO vio = c.vconn().write(log, source.reader, Long.MAX_VALUE);

		c.peer().readExactly(64 * KiB);
		c.peer().reset();
		Event error = log.await(ERROR);

		assertThat(error.data()).isSameAs(vio);
		assertThat(vio.isActive()).isFalse();
		assertThat(log.types()).containsOnlyOnce(ERROR).doesNotContain(VCONN_WRITE_COMPLETE);
		log.locked(c.vconn()::close);
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.PEER);
	}

	// ---- bulk and backpressure ----

	@Test
	@Timeout(value = 120, unit = TimeUnit.SECONDS)
	void transfers64MiBEachWayConcurrentlyWithMatchingChecksums() throws Exception {
		Connection c = open();
		long total = 64L * MiB;
		ReadSink sink = newChecksumSink(IOBuffer.DEFAULT_WATER_MARK);
		WriteSource source = new WriteSource(newBuffer(IOBuffer.DEFAULT_WATER_MARK), total, 14);
		EventLog log = newLog("duplex").onEvent((event, data) -> {
			if (event == VCONN_READ_READY) {
				sink.drain();
				((VIO) data).reenable();
			}
			else if (event == VCONN_WRITE_READY) {
				source.fill(256 * KiB);
				((VIO) data).reenable();
			}
		});
		VIO writeVio = c.vconn().write(log, source.reader, total);
		VIO readVio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);

		CompletableFuture<Long> peerSent = async(() -> {
			long crc = c.peer().sendRandom(total, 15);
			c.peer().shutdownOutput();
			return crc;
		});
		CompletableFuture<Long> peerReceived = async(() -> c.peer().receive(total));

		assertThat(peerReceived).succeedsWithin(Duration.ofSeconds(90)).isEqualTo(source.crc());
		assertThat(peerSent).succeedsWithin(Duration.ofSeconds(90));
		await().atMost(Duration.ofSeconds(30)).until(() -> log.count(VCONN_EOS) == 1 && log.count(VCONN_WRITE_COMPLETE) == 1);
		log.assertNoViolations();
		assertThat(sink.consumed()).isEqualTo(total);
		assertThat(sink.crc()).as("CRC32 of what the VConn received").isEqualTo(peerSent.join());
		assertThat(readVio.ndone()).isEqualTo(total);
		assertThat(writeVio.ndone()).isEqualTo(total);
		assertThat(c.vconn().bytesIn()).isEqualTo(total);
		assertThat(c.vconn().bytesOut()).isEqualTo(total);
		assertThat(this.listener.receivedBy(c.vconn().id())).as("received bytes reported to the listener").isEqualTo(total);
		assertThat(this.listener.sentBy(c.vconn().id())).as("sent bytes reported to the listener").isEqualTo(total);
	}

	@Test
	@Timeout(value = 60, unit = TimeUnit.SECONDS)
	void readerThatNeverConsumesKeepsTheBufferBoundedAndResumesOnReenable() throws Exception {
		Connection c = open();
		int waterMark = 64 * KiB;
		long total = 16L * MiB;
		ReadSink sink = newChecksumSink(waterMark);
		AtomicBoolean consuming = new AtomicBoolean();
		AtomicLong mostHeld = new AtomicLong();
		EventLog log = newLog("reader").onEvent((event, data) -> {
			if (event == VCONN_READ_READY) {
				mostHeld.accumulateAndGet(sink.buffer.maxReadAvail(), Math::max);
				if (consuming.get()) {
					sink.drain();
					((VIO) data).reenable();
				}
			}
		});
		VIO vio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		CompletableFuture<Long> sending = async(() -> c.peer().sendRandom(total, 16));

		log.until(() -> log.lockedGet(sink.buffer::isHighWater) ? true : null);
		int readyEvents = log.count(VCONN_READ_READY);
		TimerFence.arm(this.runtime, Duration.ofMillis(500)).await();
		assertThat(sending).as("the peer stalls").isNotDone();
		assertThat(c.vconn().bytesIn()).as("bytes the VConn read without a consumer").isLessThan(4 * MiB);
		assertThat(log.count(VCONN_READ_READY)).as("read events without a reenable").isEqualTo(readyEvents);
		assertThat(mostHeld.get()).as("most bytes held in the buffer").isLessThan(waterMark + 256 * KiB);

		log.locked(() -> {
			consuming.set(true);
			sink.drain();
			vio.reenable();
		});
		assertThat(sending).succeedsWithin(Duration.ofSeconds(40));
		log.until(() -> (sink.consumed() == total) ? true : null);

		assertThat(sink.crc()).isEqualTo(sending.join());
		assertThat(mostHeld.get()).as("most bytes held in the buffer").isLessThan(waterMark + 256 * KiB);
	}

	// ---- close, abort, shutdown ----

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void closeInsideAHandlerEndsAllEventsAndThePeerReadsEof() throws Exception {
		Connection c = open();
		VConn vconn = c.vconn();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader outReader = out.allocReader();
		AtomicBoolean closed = new AtomicBoolean();
		AtomicInteger eventsAfterClose = new AtomicInteger();
		AtomicReference<VIO> lateRead = new AtomicReference<>();
		CompletableFuture<TimerFence> fence = new CompletableFuture<>();
		EventLog log = newLog("closer").onEvent((event, data) -> {
			if (closed.get()) {
				eventsAfterClose.incrementAndGet();
			}
			else if (event == VCONN_READ_READY) {
				sink.drain();
				vconn.close();
				closed.set(true);
				// calls on a closed VConn are harmless and start nothing
				((VIO) data).reenable();
				vconn.close();
				lateRead.set(vconn.read((ev, d) -> eventsAfterClose.incrementAndGet(), sink.buffer, 10));
				vconn.setInactivityTimeout(Duration.ofMillis(50));
				// on the VConn's loop, after the one-second timeouts were armed: fires after them
				fence.complete(TimerFence.arm(this.runtime, Duration.ofMillis(1500)));
			}
		});
		vconn.setInactivityTimeout(Duration.ofSeconds(1));
		vconn.setActiveTimeout(Duration.ofSeconds(1));
		vconn.write(log, outReader, Long.MAX_VALUE);
		vconn.read(log, sink.buffer, Long.MAX_VALUE);

		c.peer().send(ascii("ping"));

		assertThat(c.peer().awaitEnd()).isEqualTo(End.EOF);
		assertThat(this.listener.awaitClosed(vconn)).isEqualTo(CloseKind.CLOSE);
		assertThat(vconn.isClosed()).isTrue();
		assertThat(vconn.state()).isEqualTo(VConnState.CLOSED);
		assertThat(sink.bytes()).isEqualTo(ascii("ping"));
		assertThat(lateRead.get().isActive()).as("a read on a closed VConn").isFalse();
		// the timeouts armed before the close must not fire either
		fence.get(10, TimeUnit.SECONDS).await();
		assertThat(eventsAfterClose.get()).as("events after close").isZero();
		assertThat(this.listener.abortOf(vconn)).isNull();
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void closeAfterWriteCompleteDeliversEveryByteThenEof() throws Exception {
		Connection c = open();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader reader = out.allocReader();
		byte[] payload = random(4 * MiB, 17);
		out.write(payload);
		EventLog log = newLog("writer").onEvent((event, data) -> {
			if (event == VCONN_WRITE_COMPLETE) {
				((VIO) data).vconn().close();
			}
		});
		c.vconn().write(log, reader, payload.length);

		assertThat(c.peer().readToEnd()).isEqualTo(payload);
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.CLOSE);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void abortGivesThePeerAConnectionReset() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("reader").onEvent(draining(sink));
		c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		c.peer().send(ascii("hi"));
		log.until(() -> (sink.consumed() == 2) ? true : null);

		log.locked(() -> c.vconn().abort(0));

		assertThatThrownBy(c.peer()::readToEnd).isInstanceOf(SocketException.class)
			.hasMessageContaining("Connection reset");
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.API);
		assertThat(this.listener.abortOf(c.vconn())).isEqualTo(new CountingListener.Aborted(c.vconn(), CloseKind.API, 0));
		assertThat(c.vconn().isClosed()).isTrue();
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void abortInsideAHandlerResetsThePeerAndEndsAllEvents() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		AtomicInteger eventsAfterAbort = new AtomicInteger();
		EventLog log = newLog("aborter").onEvent((event, data) -> {
			if (((VIO) data).vconn().isClosed()) {
				eventsAfterAbort.incrementAndGet();
			}
			else if (event == VCONN_READ_READY) {
				sink.drain();
				((VIO) data).vconn().abort(42);
				((VIO) data).vconn().close();
			}
		});
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		c.vconn().write(log, out.allocReader(), Long.MAX_VALUE);
		c.vconn().read(log, sink.buffer, Long.MAX_VALUE);

		c.peer().send(ascii("abort me"));

		assertThat(c.peer().awaitEnd()).isEqualTo(End.RESET);
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.API);
		assertThat(this.listener.abortOf(c.vconn())).isEqualTo(new CountingListener.Aborted(c.vconn(), CloseKind.API, 42));
		assertThat(eventsAfterAbort).hasValue(0);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void shutdownWriteAfterWriteCompleteLetsThePeerReadEverythingThenEofWhileReadingGoesOn() throws Exception {
		Connection c = open();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader outReader = out.allocReader();
		byte[] payload = random(MiB, 18);
		out.write(payload);
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("duplex").onEvent((event, data) -> {
			if (event == VCONN_WRITE_COMPLETE) {
				((VIO) data).vconn().shutdown(false, true);
			}
			else if (event == VCONN_READ_READY) {
				sink.drain();
				((VIO) data).reenable();
			}
		});
		VIO writeVio = c.vconn().write(log, outReader, payload.length);
		c.vconn().read(log, sink.buffer, Long.MAX_VALUE);

		assertThat(c.peer().readToEnd()).isEqualTo(payload);
		assertThat(c.vconn().state()).isEqualTo(VConnState.WRITE_SHUT_DOWN);
		assertThat(writeVio.isActive()).isFalse();
		c.peer().send(ascii("after the half-close"));
		c.peer().shutdownOutput();
		log.await(VCONN_EOS);

		assertThat(sink.bytes()).isEqualTo(ascii("after the half-close"));
		VIO refused = c.vconn().write(log, outReader, 1);
		assertThat(refused.isActive()).as("a write after shutdown(write)").isFalse();
		List<VConnEvent> types = log.types();
		assertThat(types.subList(types.indexOf(VCONN_WRITE_COMPLETE) + 1, types.size()))
			.doesNotContain(VCONN_WRITE_READY, VCONN_WRITE_COMPLETE, ERROR);
		log.locked(c.vconn()::close);
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.EOS);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void shutdownWriteWhileABatchIsInFlightDeliversItThenEofAndReadingGoesOn() throws Exception {
		Connection c = open();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader outReader = out.allocReader();
		byte[] payload = random(32 * MiB, 28);
		out.write(payload);
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("duplex").onEvent(draining(sink));
		VIO writeVio = c.vconn().write(log, outReader, payload.length);
		c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		AtomicLong lastDone = new AtomicLong(-1);
		await("the write stalls on a peer that does not read").during(Duration.ofMillis(300))
			.atMost(Duration.ofSeconds(10))
			.until(() -> {
				long done = writeVio.ndone();
				return done > 0 && done < payload.length && lastDone.getAndSet(done) == done;
			});

		log.locked(() -> c.vconn().shutdown(false, true));
		byte[] received = c.peer().readToEnd();

		assertThat(writeVio.isActive()).isFalse();
		assertThat((long) received.length).as("bytes the peer got").isGreaterThanOrEqualTo(lastDone.get())
			.isLessThan(payload.length);
		assertThat(received).isEqualTo(Arrays.copyOf(payload, received.length));
		await().atMost(Duration.ofSeconds(5)).until(() -> c.vconn().bytesOut() == received.length);
		c.peer().send(ascii("still reading"));
		log.until(() -> (sink.consumed() == 13) ? true : null);
		assertThat(log.types()).doesNotContain(VCONN_WRITE_COMPLETE, ERROR);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void shutdownBothWaysKeepsTheVConnUntilClose() throws Exception {
		Connection c = open();
		EventLog log = newLog("reader");
		VIO vio = c.vconn().read(log, newBuffer(IOBuffer.DEFAULT_WATER_MARK), Long.MAX_VALUE);

		log.locked(() -> c.vconn().shutdown(true, true));

		assertThat(c.peer().readToEnd()).isEmpty();
		assertThat(c.vconn().state()).isEqualTo(VConnState.SHUT_DOWN);
		assertThat(c.vconn().isClosed()).isFalse();
		assertThat(vio.isActive()).isFalse();
		assertThat(this.runtime.activeCount()).as("shut down, still owned").isEqualTo(vconnsOf(1));
		log.locked(c.vconn()::close);
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.CLOSE);
		assertThat(log.size()).isZero();
	}

	// ---- timeouts ----

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void inactivityTimeoutIgnoredByTheHandlerAbortsTheVConn() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("idle reader");
		VIO vio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		long start = System.nanoTime();
		c.vconn().setInactivityTimeout(Duration.ofMillis(200));

		Event timeout = log.await(VCONN_INACTIVITY_TIMEOUT);

		assertThat(timeout.data()).isSameAs(vio);
		assertThat(Duration.ofNanos(timeout.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(190));
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.TIMEOUT);
		assertThat(this.listener.abortOf(c.vconn())).isEqualTo(new CountingListener.Aborted(c.vconn(), CloseKind.TIMEOUT, 0));
		assertThat(c.vconn().isClosed()).isTrue();
		assertThat(c.peer().awaitEnd()).isIn(End.RESET, End.EOF);
		assertThat(log.types()).containsExactly(VCONN_INACTIVITY_TIMEOUT);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void inactivityTimeoutReArmedByTheHandlerKeepsTheVConnOpen() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		AtomicInteger timeouts = new AtomicInteger();
		EventLog log = newLog("patient reader").onEvent((event, data) -> {
			VConn vconn = ((VIO) data).vconn();
			if (event == VCONN_INACTIVITY_TIMEOUT) {
				if (timeouts.incrementAndGet() == 1) {
					vconn.setInactivityTimeout(Duration.ofMillis(200));
				}
				else {
					vconn.close();
				}
			}
			else if (event == VCONN_READ_READY) {
				sink.drain();
				((VIO) data).reenable();
			}
		});
		c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		c.vconn().setInactivityTimeout(Duration.ofMillis(200));

		log.await(VCONN_INACTIVITY_TIMEOUT);
		assertThat(c.vconn().isClosed()).isFalse();
		c.peer().send(ascii("still here"));
		log.until(() -> (sink.consumed() == 10) ? true : null);
		log.awaitNth(VCONN_INACTIVITY_TIMEOUT, 2);

		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.CLOSE);
		assertThat(this.listener.abortOf(c.vconn())).isNull();
		assertThat(c.peer().awaitEnd()).isEqualTo(End.EOF);
		assertThat(sink.bytes()).isEqualTo(ascii("still here"));
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void inactivityTimeoutIsPostponedByTraffic() throws Exception {
		Connection c = open();
		IOBuffer in = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader inReader = in.allocReader();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		AtomicReference<VIO> writeVio = new AtomicReference<>();
		EventLog log = newLog("echo").onEvent((event, data) -> {
			if (event == VCONN_READ_READY) {
				long n = inReader.avail();
				out.write(inReader, n);
				inReader.consume(n);
				((VIO) data).reenable();
				writeVio.get().reenable();
			}
		});
		writeVio.set(c.vconn().write(log, out.allocReader(), Long.MAX_VALUE));
		c.vconn().read(log, in, Long.MAX_VALUE);
		Duration inactivity = Duration.ofMillis(500);
		c.vconn().setInactivityTimeout(inactivity);

		long start = System.nanoTime();
		long rounds = 0;
		while (System.nanoTime() - start < 2 * inactivity.toNanos()) {
			c.peer().send(new byte[] { (byte) rounds });
			assertThat(c.peer().readExactly(1)[0]).isEqualTo((byte) rounds);
			rounds++;
		}
		assertThat(log.types()).as("after %d round trips over 2 inactivity periods", rounds)
			.doesNotContain(VCONN_INACTIVITY_TIMEOUT);
		long quietSince = System.nanoTime();
		Event timeout = log.await(VCONN_INACTIVITY_TIMEOUT);

		assertThat(Duration.ofNanos(timeout.nanoTime() - quietSince)).isLessThan(inactivity.multipliedBy(3));
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.TIMEOUT);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void timeoutGoesToTheReadContinuationThenToADifferentWriteContinuation() throws Exception {
		Connection c = open();
		EventLog reader = newLog("reader ignoring the timeout");
		EventLog writer = newLog("writer closing on the timeout").onEvent((event, data) -> {
			if (event == VCONN_ACTIVE_TIMEOUT) {
				((VIO) data).vconn().close();
			}
		});
		VIO readVio = c.vconn().read(reader, newBuffer(IOBuffer.DEFAULT_WATER_MARK), Long.MAX_VALUE);
		VIO writeVio = c.vconn().write(writer, newBuffer(IOBuffer.DEFAULT_WATER_MARK).allocReader(), Long.MAX_VALUE);
		writer.await(VCONN_WRITE_READY);

		c.vconn().setActiveTimeout(Duration.ofMillis(100));

		Event atWriter = writer.await(VCONN_ACTIVE_TIMEOUT);
		Event atReader = reader.await(VCONN_ACTIVE_TIMEOUT);
		assertThat(atReader.data()).isSameAs(readVio);
		assertThat(atWriter.data()).isSameAs(writeVio);
		assertThat(atReader.seq()).as("the read continuation first").isLessThan(atWriter.seq());
		assertThat(this.listener.awaitClosed(c.vconn())).as("closed by the write continuation").isEqualTo(CloseKind.CLOSE);
		assertThat(c.peer().awaitEnd()).isEqualTo(End.EOF);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void timeoutWaitingForABusyWriteContinuationIsDeliveredOnceToEachContinuation() throws Exception {
		Connection c = open();
		CompletableFuture<TimerFence> fence = new CompletableFuture<>();
		EventLog reader = newLog("reader ignoring the timeout").onEvent((event, data) -> {
			if (event == VCONN_ACTIVE_TIMEOUT) {
				// on the VConn's loop, which now retries the delivery to the busy writer
				fence.complete(TimerFence.arm(this.runtime, Duration.ofMillis(300)));
			}
		});
		EventLog writer = newLog("busy writer ignoring the timeout");
		c.vconn().read(reader, newBuffer(IOBuffer.DEFAULT_WATER_MARK), Long.MAX_VALUE);
		c.vconn().write(writer, newBuffer(IOBuffer.DEFAULT_WATER_MARK).allocReader(), Long.MAX_VALUE);
		writer.await(VCONN_WRITE_READY);

		writer.locked(() -> {
			c.vconn().setActiveTimeout(Duration.ofMillis(50));
			reader.await(VCONN_ACTIVE_TIMEOUT);
			fence.join().await();
			assertThat(c.vconn().isClosed()).as("closed while the write continuation's mutex is busy").isFalse();
			assertThat(writer.count(VCONN_ACTIVE_TIMEOUT)).as("delivered without the writer's mutex").isZero();
		});

		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.TIMEOUT);
		assertThat(writer.count(VCONN_ACTIVE_TIMEOUT)).isEqualTo(1);
		assertThat(reader.count(VCONN_ACTIVE_TIMEOUT)).as("timeouts delivered to the read continuation").isEqualTo(1);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void timeoutReArmedByTheReadContinuationIsNotPassedToTheWriteContinuation() throws Exception {
		Connection c = open();
		AtomicInteger timeouts = new AtomicInteger();
		EventLog reader = newLog("reader re-arming").onEvent((event, data) -> {
			if (event == VCONN_INACTIVITY_TIMEOUT) {
				VConn vconn = ((VIO) data).vconn();
				if (timeouts.incrementAndGet() == 1) {
					vconn.setInactivityTimeout(Duration.ofMillis(150));
				}
				else {
					vconn.close();
				}
			}
		});
		EventLog writer = newLog("writer");
		c.vconn().read(reader, newBuffer(IOBuffer.DEFAULT_WATER_MARK), Long.MAX_VALUE);
		c.vconn().write(writer, newBuffer(IOBuffer.DEFAULT_WATER_MARK).allocReader(), Long.MAX_VALUE);
		writer.await(VCONN_WRITE_READY);

		c.vconn().setInactivityTimeout(Duration.ofMillis(150));

		reader.awaitNth(VCONN_INACTIVITY_TIMEOUT, 2);
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.CLOSE);
		assertThat(writer.types()).doesNotContain(VCONN_INACTIVITY_TIMEOUT);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void timeoutDueWhileTheMutexIsHeldElsewhereIsDeliveredOnceItIsReleased() throws Exception {
		Connection c = open();
		EventLog log = newLog("reader closing on timeout").onEvent((event, data) -> {
			if (event == VCONN_INACTIVITY_TIMEOUT) {
				((VIO) data).vconn().close();
			}
		});
		c.vconn().read(log, newBuffer(IOBuffer.DEFAULT_WATER_MARK), Long.MAX_VALUE);

		log.locked(() -> {
			c.vconn().setInactivityTimeout(Duration.ofMillis(50));
			TimerFence.arm(this.runtime, Duration.ofMillis(400)).await();
			assertThat(log.types()).as("delivered while the mutex is held").isEmpty();
			assertThat(c.vconn().isClosed()).as("closed while the mutex is held").isFalse();
		});

		log.await(VCONN_INACTIVITY_TIMEOUT);
		assertThat(this.listener.awaitClosed(c.vconn())).as("closed by the handler, not aborted")
			.isEqualTo(CloseKind.CLOSE);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void inactivityTimeoutWithoutAnyVioAbortsTheVConn() throws Exception {
		Connection c = open();

		c.vconn().setInactivityTimeout(Duration.ofMillis(100));

		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.TIMEOUT);
		assertThat(this.listener.abortOf(c.vconn())).isEqualTo(new CountingListener.Aborted(c.vconn(), CloseKind.TIMEOUT, 0));
		assertThat(c.peer().awaitEnd()).isIn(End.RESET, End.EOF);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void runtimeDefaultInactivityTimeoutAppliesToEveryNewVConn() throws Exception {
		VConnRuntime other = this.fixture.runtimeBuilder().eventThreads(1).inactivityTimeout(Duration.ofMillis(200))
			.addListener(this.listener).build();
		try {
			Connection c = open(other);
			EventLog log = newLog("idle reader");
			VIO vio = c.vconn().read(log, newBuffer(IOBuffer.DEFAULT_WATER_MARK), Long.MAX_VALUE);

			assertThat(log.await(VCONN_INACTIVITY_TIMEOUT).data()).isSameAs(vio);
			assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.TIMEOUT);
		}
		finally {
			other.close(Duration.ofSeconds(1));
		}
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void timeoutSetToZeroIsCancelled() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("reader");
		c.vconn().read(log, sink.buffer, Long.MAX_VALUE);

		c.vconn().setInactivityTimeout(Duration.ofMillis(150));
		c.vconn().setActiveTimeout(Duration.ofMillis(150));
		c.vconn().setInactivityTimeout(Duration.ZERO);
		c.vconn().setActiveTimeout(Duration.ZERO);

		TimerFence.arm(this.runtime, Duration.ofMillis(600)).await();
		assertThat(log.types()).as("events of cancelled timeouts").isEmpty();
		assertThat(c.vconn().isClosed()).isFalse();
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void activeTimeoutFiresDespiteTraffic() throws Exception {
		Connection c = open();
		ReadSink sink = newChecksumSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("busy reader").onEvent(draining(sink));
		VIO vio = c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		AtomicBoolean stop = new AtomicBoolean();
		CompletableFuture<Long> traffic = async(() -> {
			byte[] chunk = new byte[8 * KiB];
			long sent = 0;
			try {
				while (!stop.get()) {
					c.peer().send(chunk);
					sent += chunk.length;
				}
			}
			catch (IOException ex) {
				// the VConn was aborted under us
			}
			return sent;
		});
		log.await(VCONN_READ_READY);
		long start = System.nanoTime();
		Duration active = Duration.ofMillis(400);

		c.vconn().setInactivityTimeout(Duration.ofSeconds(5));
		c.vconn().setActiveTimeout(active);
		Event timeout = log.await(VCONN_ACTIVE_TIMEOUT);
		stop.set(true);

		assertThat(timeout.data()).isSameAs(vio);
		assertThat(Duration.ofNanos(timeout.nanoTime() - start)).isGreaterThanOrEqualTo(active.minusMillis(10));
		long secondHalf = start + active.toNanos() / 2;
		assertThat(log.events(VCONN_READ_READY)).as("reads in the second half of the active period")
			.anyMatch((e) -> e.nanoTime() > secondHalf && e.nanoTime() < timeout.nanoTime());
		assertThat(log.types()).doesNotContain(VCONN_INACTIVITY_TIMEOUT);
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.TIMEOUT);
		assertThat(this.listener.abortOf(c.vconn())).isEqualTo(new CountingListener.Aborted(c.vconn(), CloseKind.TIMEOUT, 0));
		assertThat(traffic).succeedsWithin(Duration.ofSeconds(10));
	}

	// ---- threads ----

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void everyEventArrivesOnTheVConnsEventThreadHoldingTheContinuationMutex() throws Exception {
		Connection c = open();
		IOBuffer in = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader inReader = in.allocReader();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader outReader = out.allocReader();
		AtomicReference<VIO> writeVio = new AtomicReference<>();
		EventLog log = newLog("echo").onEvent((event, data) -> {
			if (event == VCONN_READ_READY) {
				long n = inReader.avail();
				out.write(inReader, n);
				inReader.consume(n);
				((VIO) data).reenable();
				writeVio.get().reenable();
			}
		});
		writeVio.set(c.vconn().write(log, outReader, Long.MAX_VALUE));
		c.vconn().read(log, in, Long.MAX_VALUE);

		for (int i = 0; i < 200; i++) {
			byte[] message = random(100, i);
			c.peer().send(message);
			assertThat(c.peer().readExactly(100)).isEqualTo(message);
		}

		List<Event> events = log.events();
		assertThat(events).extracting(Event::type).contains(VCONN_READ_READY, VCONN_WRITE_READY);
		assertThat(events).allMatch(Event::mutexHeld, "delivered holding the continuation's mutex");
		assertThat(events.stream().map(Event::thread).distinct()).hasSize(1)
			.allMatch((thread) -> thread != Thread.currentThread() && thread.getName().startsWith("vconn-"));
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void eventThreadKeepsServingOtherVConnsWhileAContinuationsMutexIsHeldElsewhere() throws Exception {
		Connection a = open();
		open();
		Connection c = open();
		ReadSink sinkA = newSink(IOBuffer.DEFAULT_WATER_MARK);
		ReadSink sinkC = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog logA = newLog("busy continuation").onEvent(draining(sinkA));
		EventLog logC = newLog("other continuation").onEvent(draining(sinkC));
		a.vconn().read(logA, sinkA.buffer, Long.MAX_VALUE);
		c.vconn().read(logC, sinkC.buffer, Long.MAX_VALUE);

		logA.locked(() -> {
			a.peer().send(ascii("for a"));
			c.peer().send(ascii("for c"));
			logC.until(() -> (sinkC.consumed() == 5) ? true : null);
			assertThat(logA.size()).as("no event while the mutex is held elsewhere").isZero();
		});
		logA.until(() -> (sinkA.consumed() == 5) ? true : null);

		assertThat(logA.events().get(0).thread()).as("precondition: both VConns on one event thread")
			.isSameAs(logC.events().get(0).thread());
		assertThat(sinkA.bytes()).isEqualTo(ascii("for a"));
	}

	@Test
	@Timeout(value = 60, unit = TimeUnit.SECONDS)
	void continuationSharedByVConnsOnDifferentLoopsNeverRunsConcurrently() throws Exception {
		Connection a = open();
		Connection b = open();
		long total = 8L * MiB;
		ReadSink sinkA = newChecksumSink(IOBuffer.DEFAULT_WATER_MARK);
		ReadSink sinkB = newChecksumSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog shared = newLog("shared").onEvent((event, data) -> {
			VIO vio = (VIO) data;
			if (event == VCONN_READ_READY) {
				((vio.vconn() == a.vconn()) ? sinkA : sinkB).drain();
				vio.reenable();
			}
		});
		a.vconn().read(shared, sinkA.buffer, Long.MAX_VALUE);
		b.vconn().read(shared, sinkB.buffer, Long.MAX_VALUE);

		CompletableFuture<Long> sentA = async(() -> {
			long crc = a.peer().sendRandom(total, 19);
			a.peer().shutdownOutput();
			return crc;
		});
		CompletableFuture<Long> sentB = async(() -> {
			long crc = b.peer().sendRandom(total, 20);
			b.peer().shutdownOutput();
			return crc;
		});
		assertThat(sentA).succeedsWithin(Duration.ofSeconds(40));
		assertThat(sentB).succeedsWithin(Duration.ofSeconds(40));
		shared.awaitNth(VCONN_EOS, 2);

		shared.assertNoViolations();
		assertThat(sinkA.crc()).isEqualTo(sentA.join());
		assertThat(sinkB.crc()).isEqualTo(sentB.join());
		Set<Thread> threadsA = shared.events().stream().filter((e) -> e.vconn() == a.vconn()).map(Event::thread)
			.collect(Collectors.toSet());
		Set<Thread> threadsB = shared.events().stream().filter((e) -> e.vconn() == b.vconn()).map(Event::thread)
			.collect(Collectors.toSet());
		assertThat(threadsA).as("precondition: the two VConns live on different event threads")
			.doesNotContainAnyElementsOf(threadsB);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void callsFromForeignThreadsAreSafe() throws Exception {
		Connection c = open();
		VConn vconn = c.vconn();
		int total = 2 * MiB;
		byte[] payload = random(total, 21);
		IOBuffer out = newBuffer(64 * KiB);
		IOBufferReader outReader = out.allocReader();
		Semaphore wantsData = new Semaphore(0);
		EventLog writer = newLog("writer").onEvent((event, data) -> {
			if (event == VCONN_WRITE_READY) {
				wantsData.release();
			}
		});
		VIO vio = async(() -> vconn.write(writer, outReader, total)).get(10, TimeUnit.SECONDS);
		AtomicBoolean producing = new AtomicBoolean(true);
		List<CompletableFuture<Long>> noise = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			noise.add(async(() -> {
				long calls = 0;
				while (producing.get() && calls < 5_000) {
					vio.reenable();
					vconn.setInactivityTimeout(Duration.ofSeconds(30));
					calls++;
				}
				return calls;
			}));
		}
		CompletableFuture<Integer> producer = async(() -> {
			int offset = 0;
			while (offset < total) {
				int at = offset;
				int added = writer.lockedGet(() -> {
					if (outReader.avail() >= 128 * KiB) {
						return 0;
					}
					int n = Math.min(32 * KiB, total - at);
					out.write(payload, at, n);
					return n;
				});
				offset += added;
				vio.reenable();
				if (added == 0) {
					wantsData.tryAcquire(100, TimeUnit.MILLISECONDS);
				}
			}
			return offset;
		});
		CompletableFuture<byte[]> received = async(() -> c.peer().readExactly(total));

		assertThat(received).succeedsWithin(Duration.ofSeconds(20)).isEqualTo(payload);
		assertThat(producer).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(total);
		writer.await(VCONN_WRITE_COMPLETE);
		producing.set(false);
		for (CompletableFuture<Long> calls : noise) {
			assertThat(calls).succeedsWithin(Duration.ofSeconds(5));
		}

		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog reader = newLog("reader").onEvent(draining(sink));
		async(() -> vconn.read(reader, sink.buffer, Long.MAX_VALUE)).get(10, TimeUnit.SECONDS);
		c.peer().send(ascii("from the peer"));
		reader.until(() -> (sink.consumed() == 13) ? true : null);

		List<CompletableFuture<Boolean>> closers = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			closers.add(async(() -> {
				writer.locked(() -> reader.locked(vconn::close));
				return vconn.isClosed();
			}));
		}
		for (CompletableFuture<Boolean> closer : closers) {
			assertThat(closer).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(true);
		}
		assertThat(c.peer().awaitEnd()).isEqualTo(End.EOF);
		assertThat(this.listener.awaitClosed(vconn)).isEqualTo(CloseKind.CLOSE);
		assertThat(sink.bytes()).isEqualTo(ascii("from the peer"));
	}

	// ---- runtime shutdown ----

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void runtimeCloseAbortsLiveVConnsAndRefusesNewOnes() throws Exception {
		Connection a = open();
		Connection b = open();
		EventLog log = newLog("idle readers");
		a.vconn().read(log, newBuffer(IOBuffer.DEFAULT_WATER_MARK), Long.MAX_VALUE);
		b.vconn().read(log, newBuffer(IOBuffer.DEFAULT_WATER_MARK), Long.MAX_VALUE);

		int aborted = this.runtime.close(Duration.ofMillis(200));

		assertThat(aborted).isEqualTo(vconnsOf(2));
		assertThat(this.runtime.isRunning()).isFalse();
		assertThat(this.runtime.activeCount()).isZero();
		for (Connection c : List.of(a, b)) {
			assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.SHUTDOWN);
			assertThat(this.listener.abortOf(c.vconn())).isEqualTo(new CountingListener.Aborted(c.vconn(), CloseKind.SHUTDOWN, 0));
			assertThat(c.vconn().isClosed()).isTrue();
			assertThat(c.peer().awaitEnd()).isIn(End.RESET, End.EOF);
		}
		assertThat(log.events()).as("events delivered to the readers of VConns runtime.close() aborted").isEmpty();

		assertThat(this.runtime.factory().connect(this.serverAddress)).failsWithin(Duration.ofSeconds(5))
			.withThrowableThat()
			.havingCause()
			.isInstanceOfSatisfying(AdoptionException.class,
					(ex) -> assertThat(ex.reason()).isEqualTo(AdoptionFailureReason.SHUTTING_DOWN));
		try (SocketChannel channel = SocketChannel.open(this.serverAddress)) {
			Adoption adoption = this.runtime.factory().adopt(channel);
			assertThat(adoption.failureReason()).isEqualTo(AdoptionFailureReason.SHUTTING_DOWN);
			assertThat(channel.isOpen()).isTrue();
			assertThat(channel.isBlocking()).isTrue();
		}
		if (NativeFds.isSupported()) {
			try (NativeFds fds = new NativeFds()) {
				int fd = fds.connectedTo(this.serverAddress);
				assertThat(this.runtime.factory().adopt(fd).failureReason()).isEqualTo(AdoptionFailureReason.SHUTTING_DOWN);
			}
		}
		// the API of an aborted VConn stays harmless once the event threads are gone
		a.vconn().close();
		b.vconn().abort(0);
		assertThat(a.vconn().read(log, newBuffer(IOBuffer.DEFAULT_WATER_MARK), 10).isActive()).isFalse();
		assertThat(this.runtime.close(Duration.ofMillis(200))).as("a second close").isEqualTo(vconnsOf(2));
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void runtimeCloseAbortsAVConnWhoseCloseWaitsOnAPeerThatDoesNotRead() throws Exception {
		assumeTrue(this.fixture.hasSocket(), "socket only: a pair end's close() ends it at once, the bytes already in "
				+ "the pair stay for the other end (docs/pairs.md), so no closing VConn lingers for runtime.close() to abort");
		Connection c = open();
		IOBuffer out = newBuffer(IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader reader = out.allocReader();
		out.write(random(32 * MiB, 30));
		EventLog log = newLog("writer");
		VIO vio = c.vconn().write(log, reader, 32 * MiB);
		AtomicLong lastDone = new AtomicLong(-1);
		await("the write stalls on a peer that does not read").during(Duration.ofMillis(300))
			.atMost(Duration.ofSeconds(10))
			.until(() -> {
				long done = vio.ndone();
				return done > 0 && lastDone.getAndSet(done) == done;
			});
		log.locked(c.vconn()::close);
		assertThat(this.runtime.activeCount()).as("closing, bytes taken for sending still on their way").isEqualTo(1);

		long start = System.nanoTime();
		int aborted = this.runtime.close(Duration.ofMillis(200));

		assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time runtime.close() took")
			.isLessThan(Duration.ofSeconds(3));
		assertThat(aborted).isEqualTo(1);
		assertThat(this.runtime.activeCount()).isZero();
		assertThat(this.listener.abortOf(c.vconn())).isEqualTo(new CountingListener.Aborted(c.vconn(), CloseKind.SHUTDOWN, 0));
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.SHUTDOWN);
		assertThat(c.peer().awaitEnd()).isEqualTo(End.RESET);
	}

	// ---- the event thread as an executor ----

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void eventThreadRunsTasksOnTheThreadThatDeliversTheEventsInSubmissionOrder() throws Exception {
		Connection c = open();
		Executor executor = c.vconn().eventThread();
		List<Integer> order = new CopyOnWriteArrayList<>();
		Set<Thread> ranOn = ConcurrentHashMap.newKeySet();
		CompletableFuture<Void> last = new CompletableFuture<>();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("reader").onEvent(draining(sink));
		c.vconn().read(log, sink.buffer, Long.MAX_VALUE);
		c.peer().send(ascii("wake"));
		Thread eventThread = log.await(VCONN_READ_READY).thread();

		for (int i = 0; i < 1000; i++) {
			int n = i;
			executor.execute(() -> {
				ranOn.add(Thread.currentThread());
				order.add(n);
			});
		}
		executor.execute(() -> last.complete(null));

		assertThat(last).succeedsWithin(Duration.ofSeconds(10));
		assertThat(ranOn).containsExactly(eventThread);
		assertThat(order).hasSize(1000).isSorted();
		assertThat(c.vconn().eventThread()).isSameAs(executor);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void eventThreadQueuesATaskSubmittedOnItselfBehindTheRunningOne() throws Exception {
		Connection c = open();
		List<String> steps = new CopyOnWriteArrayList<>();
		CompletableFuture<Void> inner = new CompletableFuture<>();

		c.vconn().eventThread().execute(() -> {
			c.vconn().eventThread().execute(() -> {
				steps.add("inner");
				inner.complete(null);
			});
			steps.add("outer done");
		});

		assertThat(inner).succeedsWithin(Duration.ofSeconds(10));
		assertThat(steps).containsExactly("outer done", "inner");
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void eventThreadStillRunsTasksAfterTheVConnClosed() throws Exception {
		Connection c = open();
		c.vconn().close();

		CompletableFuture<Boolean> sawClosed = new CompletableFuture<>();
		c.vconn().eventThread().execute(() -> sawClosed.complete(c.vconn().isClosed()));

		assertThat(sawClosed).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(true);
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void eventThreadRejectsTasksOnceTheRuntimeClosed() throws Exception {
		VConnRuntime other = this.fixture.runtimeBuilder().eventThreads(1).addListener(this.listener).build();
		Executor executor;
		try {
			Connection c = open(other);
			executor = c.vconn().eventThread();
			CompletableFuture<Void> ran = new CompletableFuture<>();
			executor.execute(() -> ran.complete(null));
			assertThat(ran).succeedsWithin(Duration.ofSeconds(10));
		}
		finally {
			other.close(Duration.ofSeconds(1));
		}
		AtomicBoolean ranAfterClose = new AtomicBoolean();

		assertThatThrownBy(() -> executor.execute(() -> ranAfterClose.set(true)))
			.isInstanceOf(RejectedExecutionException.class);
		assertThat(ranAfterClose).isFalse();
	}

	@Test
	@Timeout(value = 30, unit = TimeUnit.SECONDS)
	void runtimeCloseWaitsForVConnsThatEndInTime() throws Exception {
		Connection c = open();
		ReadSink sink = newSink(IOBuffer.DEFAULT_WATER_MARK);
		EventLog log = newLog("reader").onEvent((event, data) -> {
			if (event == VCONN_READ_READY) {
				sink.drain();
				((VIO) data).reenable();
			}
			else if (event == VCONN_EOS) {
				((VIO) data).vconn().close();
			}
		});
		c.vconn().read(log, sink.buffer, Long.MAX_VALUE);

		CompletableFuture<Integer> closing = async(() -> this.runtime.close(Duration.ofSeconds(20)));
		await().atMost(Duration.ofSeconds(5)).until(() -> !this.runtime.isRunning());
		assertThat(closing).isNotDone();
		c.peer().send(ascii("last words"));
		c.peer().shutdownOutput();

		assertThat(closing).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(0);
		assertThat(this.listener.awaitClosed(c.vconn())).isEqualTo(CloseKind.EOS);
		assertThat(this.listener.abortOf(c.vconn())).isNull();
		assertThat(c.peer().awaitEnd()).isEqualTo(End.EOF);
		assertThat(sink.bytes()).isEqualTo(ascii("last words"));
	}

}
