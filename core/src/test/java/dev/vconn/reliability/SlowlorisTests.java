package dev.vconn.reliability;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.reliability.Reliability.Baseline;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.NettyLeakCheck;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.Responses;
import dev.vconn.testing.TestOrigin;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Slowloris: many clients each send their request head one byte per interval, never finishing it.
 * Every one of them gets 408 once the listener's header timeout has passed (never earlier) and is
 * closed, while ordinary requests on other connections keep being served; then the counters
 * reconcile and descriptors and threads return to their baseline. Both listener modes. Sizes:
 * {@code vconn.reliability.slowloris.connections} (default 500, full 2,000), header timeout
 * {@code vconn.reliability.slowloris.header-timeout} seconds (default 3, full 10) and drip interval
 * {@code vconn.reliability.slowloris.drip-millis} (default 200, full 1,000: one byte a second).
 */
@EnabledOnOs(OS.LINUX)
@ExtendWith(NettyLeakCheck.class)
@Timeout(600)
class SlowlorisTests {

	@RegisterExtension
	static final Figures figures = new Figures();

	private static final int SLOW = Reliability.size("slowloris.connections", 500, 2_000);

	private static final Duration HEADER_TIMEOUT = Reliability.seconds("slowloris.header-timeout", 3, 10);

	private static final Duration DRIP = Duration.ofMillis(Reliability.size("slowloris.drip-millis", 200, 1_000));

	/** Ordinary requests that must be served while every slow connection is still dripping. */
	private static final int SERVED_DURING_SIEGE = 3;

	@ParameterizedTest(name = "{0}")
	@EnumSource(ListenerMode.class)
	void everySlowClientGets408AtTheHeaderTimeoutWhileOthersAreServed(ListenerMode mode) throws Exception {
		Reliability.assumeFdsFor(2L * SLOW + 100, SLOW + " slow connections");
		siege(mode, 10, null); // loads what is loaded once per process
		Baseline outside = Baseline.take();
		siege(mode, SLOW, figures);
		outside.awaitReturn("the siege, with the runtime, listener, origin and clients closed");
	}

	private static void siege(ListenerMode mode, int slowCount, @Nullable Figures figures) throws Exception {
		Tally tally = new Tally();
		TestOrigin origin = new TestOrigin();
		EventLoopGroup slowLoop = NettyLoops.group(1, "slowloris");
		try (VConnRuntime runtime = VConnRuntime.builder()
			.eventThreads(2)
			.addListener(tally)
			.shutdownTimeout(Duration.ofSeconds(10))
			.build();
				InterceptListener listener = mode
					.configure(InterceptListener.builder(runtime, new InterceptHookRegistry())
						.addObserver(tally)
						.port(0)
						.headerTimeout(HEADER_TIMEOUT)
						.origin(origin.address()))
					.start()) {
			List<SlowClient> slow = SlowClient.open(slowLoop, listener.address(), slowCount);
			CompletableFuture<Void> allEnded = CompletableFuture
				.allOf(slow.stream().map((c) -> c.ended).toArray(CompletableFuture[]::new));
			CompletableFuture<Void> firstEnded = CompletableFuture
				.anyOf(slow.stream().map((c) -> c.ended).toArray(CompletableFuture[]::new))
				.thenApply((ignored) -> null);
			int servedDuringSiege = 0;
			int served = 0;
			long slowestNormal = 0;
			while (!allEnded.isDone()) {
				String target = "/pt/cl/100/normal-" + served;
				long start = System.nanoTime();
				try (RawClient client = new RawClient(listener.address())) {
					Message response = client.exchange(HttpWire.get(target), "GET");
					assertThat(response.status()).as("ordinary request %d during the siege", served).isEqualTo(200);
					assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
				}
				slowestNormal = Math.max(slowestNormal, System.nanoTime() - start);
				served++;
				if (!firstEnded.isDone()) {
					servedDuringSiege++;
				}
			}
			assertThat(servedDuringSiege).as("ordinary requests served while every slow client was still dripping")
				.isGreaterThanOrEqualTo(Math.min(SERVED_DURING_SIEGE, slowCount));
			for (SlowClient client : slow) {
				Ending ending = client.ended.join();
				assertThat(ending.received()).as("answer to slow client %d", client.index).startsWith("HTTP/1.1 408 ");
				assertThat(ending.after()).as("time before slow client %d was answered", client.index)
					.isGreaterThanOrEqualTo(HEADER_TIMEOUT);
			}
			Reliability.within(Duration.ofSeconds(30)).until(() -> runtime.activeCount() == 0);
			int normal = served;
			Reliability.within(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(tally.snapshot().get("rejected.408")).as("408 answers").isEqualTo(slowCount));
			Tally.Counts counted = tally.snapshot();
			assertThat(counted.sum("rejected.")).as("error answers, all of them 408").isEqualTo(slowCount);
			assertThat(counted.sum("adopted.")).as("adoptions = closes").isEqualTo(counted.sum("closed."));
			if (mode == ListenerMode.PER_TRANSACTION) {
				assertThat(counted.get("completed.PASS_THROUGH.200")).as("ordinary transactions").isEqualTo(normal);
			}
			else {
				assertThat(counted.get("tunnels.started")).as("ordinary connections tunnelled").isEqualTo(normal);
			}
			if (figures != null) {
				String scope = mode.key();
				figures.record(scope + ".slow-connections", slowCount);
				figures.record(scope + ".header-timeout-ms", HEADER_TIMEOUT.toMillis());
				figures.record(scope + ".drip-interval-ms", DRIP.toMillis());
				figures.record(scope + ".slow-answered-408", slow.stream().filter((c) -> c.ended.join().received().startsWith("HTTP/1.1 408 ")).count());
				figures.record(scope + ".earliest-408-ms", slow.stream().mapToLong((c) -> c.ended.join().after().toMillis()).min().orElse(0));
				figures.record(scope + ".latest-408-ms", slow.stream().mapToLong((c) -> c.ended.join().after().toMillis()).max().orElse(0));
				figures.record(scope + ".bytes-dripped-per-slow-client-max", slow.stream().mapToInt((c) -> c.dripped.get()).max().orElse(0));
				figures.record(scope + ".ordinary-requests-served", normal);
				figures.record(scope + ".ordinary-served-before-first-408", servedDuringSiege);
				figures.record(scope + ".slowest-ordinary-request-ms", TimeUnit.NANOSECONDS.toMillis(slowestNormal));
				counted.recordInto(figures, scope);
			}
		}
		finally {
			slowLoop.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
			origin.close();
		}
	}

	/** What a slow client got before its connection ended, and when, counted from the start of its connect. */
	record Ending(String received, Duration after) {
	}

	/**
	 * A client that sends a request head one byte per {@link #DRIP}, paced by its event loop, and
	 * never finishes it.
	 */
	static final class SlowClient extends ChannelInboundHandlerAdapter {

		private static final byte[] HEAD = HttpWire.ascii("GET /slow HTTP/1.1\r\nHost: origin.test\r\nX-Slow: ");

		final int index;

		final CompletableFuture<Ending> ended = new CompletableFuture<>();

		final AtomicInteger dripped = new AtomicInteger();

		private final ByteArrayOutputStream received = new ByteArrayOutputStream();

		/** When the connect started: the listener cannot have accepted, nor started its timer, before. */
		private final long connectingSince = System.nanoTime();

		private @Nullable ScheduledFuture<?> drip;

		SlowClient(int index) {
			this.index = index;
		}

		/** Connects {@code count} slow clients, at most 256 connecting at once. */
		static List<SlowClient> open(EventLoopGroup loop, InetSocketAddress address, int count)
				throws InterruptedException {
			Semaphore inFlight = new Semaphore(256);
			List<SlowClient> clients = new ArrayList<>(count);
			List<ChannelFuture> connects = new ArrayList<>(count);
			for (int i = 0; i < count; i++) {
				inFlight.acquire();
				SlowClient client = new SlowClient(i);
				clients.add(client);
				connects.add(new Bootstrap().group(loop)
					.channel(NettyLoops.channel())
					.option(ChannelOption.TCP_NODELAY, true)
					.handler(client)
					.connect(address)
					.addListener((f) -> inFlight.release()));
			}
			for (ChannelFuture connect : connects) {
				connect.sync();
			}
			return clients;
		}

		@Override
		public void channelActive(ChannelHandlerContext ctx) {
			Channel channel = ctx.channel();
			this.drip = ctx.executor().scheduleAtFixedRate(() -> {
				int at = this.dripped.getAndIncrement();
				byte next = (at < HEAD.length) ? HEAD[at] : (byte) 'x';
				channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[] { next }));
			}, 0, DRIP.toMillis(), TimeUnit.MILLISECONDS);
			ctx.fireChannelActive();
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			ByteBuf bytes = (ByteBuf) msg;
			try {
				byte[] copy = new byte[bytes.readableBytes()];
				bytes.readBytes(copy);
				this.received.writeBytes(copy);
			}
			finally {
				bytes.release();
			}
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			if (this.drip != null) {
				this.drip.cancel(false);
			}
			this.ended.complete(new Ending(this.received.toString(StandardCharsets.ISO_8859_1),
					Duration.ofNanos(System.nanoTime() - this.connectingSince)));
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			ctx.close(); // a reset after the answer ends it as well
		}

	}

}
