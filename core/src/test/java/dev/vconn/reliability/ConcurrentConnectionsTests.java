package dev.vconn.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.internal.net.NetVConnFactory;
import dev.vconn.internal.runtime.RuntimeAccess;
import dev.vconn.reliability.LoadClients.Connection;
import dev.vconn.reliability.LoadClients.Reply;
import dev.vconn.reliability.Reliability.Baseline;
import dev.vconn.testing.CountsProcessFds;
import dev.vconn.testing.NettyLeakCheck;
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
 * Thousands of client connections held open at once, in both listener modes: every connection
 * gets a correct answer to two requests while all of them are open, and once the clients leave,
 * the runtime's accounting reconciles and the process holds no more descriptors or threads than
 * before (counting as held by design, while the runtime runs, the pooled origin connections and the
 * empty pipes the splice pool keeps; after it closed, nothing). Size:
 * {@code vconn.reliability.connections} (default 1,000; 10,000 in full mode); skipped with the
 * reason when the open-file limit cannot hold that many.
 */
@EnabledOnOs(OS.LINUX)
@CountsProcessFds
@ExtendWith(NettyLeakCheck.class)
@Timeout(900)
class ConcurrentConnectionsTests {

	@RegisterExtension
	static final Figures figures = new Figures();

	private static final int CONNECTIONS = Reliability.size("connections", 1_000, 10_000);

	@ParameterizedTest(name = "{0}")
	@EnumSource(ListenerMode.class)
	void everyConnectionHeldAtOnceIsServedAndLeavesNothingBehind(ListenerMode mode) throws InterruptedException {
		Reliability.assumeFdsFor((long) CONNECTIONS * fdsPerConnection(mode), CONNECTIONS + " connections in "
				+ mode.key() + " mode");
		exercise(mode, 50, null); // loads what is loaded once per process
		Baseline outside = Baseline.take();
		exercise(mode, CONNECTIONS, figures);
		outside.awaitReturn("the runtime, listener, origin and clients closed");
	}

	/**
	 * Starts an origin, a runtime and a listener, holds {@code connections} client connections and
	 * sends two requests on each, checks every answer, the counters and the return to the baseline,
	 * and closes everything.
	 */
	private static void exercise(ListenerMode mode, int connections, @Nullable Figures figures) throws InterruptedException {
		Tally tally = new Tally();
		try (LoadOrigin origin = new LoadOrigin();
				VConnRuntime runtime = VConnRuntime.builder()
					.eventThreads(2)
					.addListener(tally)
					.shutdownTimeout(Duration.ofSeconds(10))
					.build();
				InterceptListener listener = mode
					.configure(InterceptListener.builder(runtime, new InterceptHookRegistry())
						.addObserver(tally)
						.port(0)
						// under load a held connection may wait long for its next request: not a timeout test
						.headerTimeout(Duration.ofMinutes(5))
						.origin(origin.address()))
					.start();
				LoadClients clients = new LoadClients(listener.address())) {
			// every thread of the clients, the listener and the runtime started before the baseline
			List<Connection> warm = clients.open(4);
			await(warm, "warm");
			warm.stream().map(Connection::close).toList().forEach(CompletableFuture::join);
			Reliability.within(Duration.ofSeconds(30)).until(() -> runtime.activeCount() == 0);
			// held by design while the runtime runs: both ends of every pooled origin connection (all
			// in this process) and the two ends of every empty splice pipe the pool keeps for reuse
			NetVConnFactory factory = NetVConnFactory.of(RuntimeAccess.core(runtime));
			LongSupplier heldByDesign = () -> 2L * origin.open() + 2L * factory.idlePipes();
			Baseline inside = Baseline.take(heldByDesign);
			Tally.Counts before = tally.snapshot();
			long start = System.nanoTime();
			List<Connection> held = clients.open(connections);
			Duration connectTook = Duration.ofNanos(System.nanoTime() - start);
			List<Reply> first = await(held, "first");
			assertThat(held.stream().filter((c) -> !c.isOpen()).count()).as("connections closed after the first answers, which were %s",
					first.stream().filter((r) -> r.status() != 200 || r.closeAsked()).limit(3).toList()).isZero();
			long fdsAtPeak = Reliability.openFds();
			List<Reply> second = await(held, "second");
			Duration servedTook = Duration.ofNanos(System.nanoTime() - start);
			for (int i = 0; i < connections; i++) {
				assertThat(first.get(i).status()).as("status of the first answer on connection %d", i).isEqualTo(200);
				assertThat(first.get(i).body()).isEqualTo(LoadOrigin.bodyFor("/c/" + i + "/first", 0));
				assertThat(second.get(i).status()).as("status of the second answer on connection %d", i).isEqualTo(200);
				assertThat(second.get(i).body()).isEqualTo(LoadOrigin.bodyFor("/c/" + i + "/second", 0));
			}
			held.stream().map(Connection::close).toList().forEach(CompletableFuture::join);
			Reliability.within(Duration.ofSeconds(60)).until(() -> runtime.activeCount() == 0);
			inside.awaitReturn(connections + " client connections closed");
			Tally.Counts counted = tally.snapshot().since(before);
			assertThat(counted.sum("rejected.")).as("error answers").isZero();
			assertThat(counted.sum("aborted.")).as("aborts").isZero();
			assertThat(counted.sum("adopted.")).as("adoptions = closes").isEqualTo(counted.sum("closed."));
			if (mode == ListenerMode.PER_TRANSACTION) {
				assertThat(counted.get("completed.PASS_THROUGH.200")).as("transactions passed through")
					.isEqualTo(2L * connections);
				assertThat(origin.accepted()).as("origin connections: at most one per request")
					.isLessThanOrEqualTo(2 * connections + 4);
			}
			else {
				assertThat(counted.get("tunnels.started")).as("tunnels").isEqualTo(connections);
				assertThat(counted.sum("tunnels.ended.")).as("tunnels ended").isEqualTo(connections);
				assertThat(origin.accepted()).as("origin connections: one per tunnel").isEqualTo(connections + 4);
			}
			if (figures != null) {
				String scope = mode.key();
				figures.record(scope + ".connections-held-at-once", connections);
				figures.record(scope + ".responses-correct", 2 * connections);
				figures.record(scope + ".connect-seconds", seconds(connectTook));
				figures.record(scope + ".all-served-seconds", seconds(servedTook));
				figures.record(scope + ".fds-at-peak", fdsAtPeak);
				figures.record(scope + ".fds-baseline-inside", inside.fds());
				figures.record(scope + ".fds-after-clients-left", Reliability.openFds() - heldByDesign.getAsLong());
				figures.record(scope + ".threads-baseline", inside.threads());
				figures.record(scope + ".threads-after", Reliability.liveThreads());
				figures.record(scope + ".origin-connections", origin.accepted());
				figures.record(scope + ".idle-pipes-kept", factory.idlePipes());
				counted.recordInto(figures, scope);
			}
		}
	}

	/**
	 * The descriptors this process holds for each client connection: the client and the accepted
	 * socket, and in connection mode the tunnel's origin connection from both of its ends (origin
	 * connections of per-transaction mode are pooled).
	 */
	private static int fdsPerConnection(ListenerMode mode) {
		return (mode == ListenerMode.PER_TRANSACTION) ? 2 : 4;
	}

	/** Sends a request on every connection at once and waits for every answer. */
	private static List<Reply> await(List<Connection> held, String which) {
		List<CompletableFuture<Reply>> replies = new ArrayList<>(held.size());
		for (int i = 0; i < held.size(); i++) {
			replies.add(held.get(i).get("/c/" + i + "/" + which));
		}
		return replies.stream().map(CompletableFuture::join).toList();
	}

	private static String seconds(Duration duration) {
		return String.format(java.util.Locale.ROOT, "%.2f", duration.toMillis() / 1000.0);
	}

}
