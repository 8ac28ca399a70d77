package dev.vconn.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

import dev.vconn.testing.NativeFds;
import org.awaitility.core.ConditionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Sizes of the reliability suite and the process-wide checks its tests share.
 *
 * <p>Every size is a system property under {@code vconn.reliability.}; each has a default that
 * keeps the suite within the CI budget and a larger one used when
 * {@code -Dvconn.reliability.full=true} (the {@code reliability-full} profile of core's pom).
 * A size given explicitly wins over both.
 */
final class Reliability {

	/** Whether the heavier sizes apply. */
	static final boolean FULL = Boolean.getBoolean("vconn.reliability.full");

	private Reliability() {
	}

	/** The size {@code vconn.reliability.<name>}: {@code normal} by default, {@code full} in full mode. */
	static int size(String name, int normal, int full) {
		return Integer.getInteger("vconn.reliability." + name, FULL ? full : normal);
	}

	/** The duration {@code vconn.reliability.<name>} in seconds: as {@link #size}. */
	static Duration seconds(String name, int normal, int full) {
		return Duration.ofSeconds(size(name, normal, full));
	}

	/** The descriptors this process holds now. */
	static long openFds() {
		try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
			return fds.count() - 1; // the directory stream's own
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * The live threads of this process, except JUnit's timeout watcher, which JUnit starts with the
	 * first {@code @Timeout} test method and keeps.
	 */
	static int liveThreads() {
		return liveThreadNames().size();
	}

	/** The names of the threads {@link #liveThreads} counts, sorted, with repeats. */
	static List<String> liveThreadNames() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.map(Thread::getName)
			.filter((name) -> !name.equals("junit-jupiter-timeout-watcher"))
			.sorted()
			.toList();
	}

	/** What each open descriptor refers to ({@code socket:[inode]}, a path...), sorted. */
	static List<String> openFdTargets() {
		try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
			return fds.map((fd) -> {
				try {
					return Files.readSymbolicLink(fd).toString();
				}
				catch (IOException ex) {
					return "closed meanwhile";
				}
			}).sorted().toList();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Every TCP socket of this network namespace by its descriptor target ({@code socket:[inode]}),
	 * described as {@code " local->remote STATE"} from {@code /proc/net/tcp} and {@code tcp6}.
	 */
	static Map<String, String> tcpSockets() {
		Map<String, String> sockets = new HashMap<>();
		for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
			try (Stream<String> lines = Files.lines(Path.of(table))) {
				lines.skip(1).map(String::trim).map((line) -> line.split("\\s+")).forEach((fields) -> sockets
					.put("socket:[" + fields[9] + "]", " " + address(fields[1]) + "->" + address(fields[2]) + " "
							+ TCP_STATES.getOrDefault(fields[3], fields[3])));
			}
			catch (IOException ex) {
				// no such table here (no IPv6): nothing to describe from it
			}
		}
		return sockets;
	}

	private static final Map<String, String> TCP_STATES = Map.ofEntries(Map.entry("01", "ESTABLISHED"),
			Map.entry("02", "SYN_SENT"), Map.entry("03", "SYN_RECV"), Map.entry("04", "FIN_WAIT1"),
			Map.entry("05", "FIN_WAIT2"), Map.entry("06", "TIME_WAIT"), Map.entry("07", "CLOSE"),
			Map.entry("08", "CLOSE_WAIT"), Map.entry("09", "LAST_ACK"), Map.entry("0A", "LISTEN"),
			Map.entry("0B", "CLOSING"));

	/** {@code :port} of a {@code /proc/net/tcp} address ({@code hex-ip:hex-port}). */
	private static String address(String hex) {
		return ":" + Integer.parseInt(hex.substring(hex.indexOf(':') + 1), 16);
	}

	/** The soft {@code RLIMIT_NOFILE}: the most descriptors this process may hold. */
	static long fdLimit() {
		return NativeFds.openFileLimit()[0];
	}

	/**
	 * Skips the calling test, saying why, unless the process may hold {@code needed} more
	 * descriptors than it does now (with 10% headroom).
	 */
	static void assumeFdsFor(long needed, String what) {
		long available = fdLimit() - openFds();
		assumeTrue(needed + needed / 10 <= available, () -> what + " needs about " + needed
				+ " descriptors, but the soft open-file limit (ulimit -n) is " + fdLimit() + " (hard limit "
				+ NativeFds.openFileLimit()[1] + ") with " + openFds()
				+ " in use: raise it (.ci/run raises the soft limit up to the hard one) or lower the size");
	}

	/** Waiting for an outcome, never longer than {@code atMost}. */
	static ConditionFactory within(Duration atMost) {
		// polled on the test thread: a poller thread of its own would count against the thread baseline
		return await().atMost(atMost).pollInterval(Duration.ofMillis(10)).pollInSameThread();
	}

	/**
	 * What the process held at one moment, to return to after the work. Descriptors that are held
	 * by design and counted elsewhere (idle pooled origin connections, with both of their ends in
	 * this process) are left out on both sides of the comparison.
	 */
	record Baseline(long fds, List<String> fdTargets, int threads, List<String> threadNames,
			LongSupplier heldByDesign) {

		static Baseline take() {
			return take(() -> 0);
		}

		static Baseline take(LongSupplier heldByDesign) {
			return new Baseline(openFds() - heldByDesign.getAsLong(), openFdTargets(), liveThreads(), liveThreadNames(),
					heldByDesign);
		}

		/**
		 * The descriptors open now that were not at the baseline, by what they refer to; a TCP
		 * socket also by its addresses and state.
		 */
		List<String> newFds() {
			List<String> now = new ArrayList<>(openFdTargets());
			this.fdTargets.forEach(now::remove);
			Map<String, String> tcp = tcpSockets();
			return now.stream().map((target) -> target + tcp.getOrDefault(target, "")).toList();
		}

		/** The threads alive now that were not at the baseline, by name. */
		List<String> newThreads() {
			List<String> now = new ArrayList<>(liveThreadNames());
			this.threadNames.forEach(now::remove);
			return now;
		}

		/** Waits until the process holds no more descriptors and threads than at the baseline. */
		void awaitReturn(String after) {
			within(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(openFds() - this.heldByDesign.getAsLong())
				.as("open descriptors after %s (baseline %d, not counting %d held by design; new: %s)", after,
						this.fds, this.heldByDesign.getAsLong(), newFds())
				.isLessThanOrEqualTo(this.fds));
			within(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(liveThreads())
				.as("live threads after %s (baseline %d; new: %s)", after, this.threads, newThreads())
				.isLessThanOrEqualTo(this.threads));
		}

	}

}
