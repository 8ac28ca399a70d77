package dev.vconn.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.TunnelResult;
import dev.vconn.VConn;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.entry;

/**
 * The counting itself, callback by callback; {@code VConnStatisticsRuntimeTests} counts a real
 * runtime and listener. The VConn passed to the callbacks is a real one, an end of a pair.
 */
class VConnStatisticsTests {

	private static VConnRuntime runtime;

	private static VConn end;

	@BeforeAll
	static void startRuntime() {
		runtime = VConnRuntime.builder().eventThreads(1).build();
		end = VConnPair.create(runtime).active();
	}

	@AfterAll
	static void stopRuntime() {
		runtime.close(Duration.ofSeconds(5));
	}

	@Test
	void startsAtZeroWithAnEntryForEveryConstant() {
		VConnStatistics statistics = new VConnStatistics();
		assertThat(statistics.adoptions()).isZero();
		assertThat(statistics.adoptionFailures()).isZero();
		assertThat(statistics.aborts()).isZero();
		assertThat(statistics.closed()).isZero();
		assertThat(statistics.adoptionsBySource()).hasSize(AdoptionSource.values().length).containsValue(0L);
		assertThat(statistics.adoptionFailuresByReason()).hasSize(AdoptionFailureReason.values().length);
		assertThat(statistics.abortsByCause()).containsOnlyKeys(CloseKind.PEER, CloseKind.API, CloseKind.TIMEOUT,
				CloseKind.SHUTDOWN, CloseKind.INTERCEPT);
		assertThat(statistics.closedByKind()).hasSize(CloseKind.values().length);
	}

	@Test
	void countsEveryCallbackByItsEnum() {
		VConnStatistics statistics = new VConnStatistics();
		statistics.onAdopted(end, AdoptionSource.FD, Duration.ZERO);
		statistics.onAdopted(end, AdoptionSource.CHANNEL, Duration.ZERO);
		statistics.onAdopted(end, AdoptionSource.CHANNEL, Duration.ZERO);
		statistics.onAdoptionFailed(AdoptionSource.FD, AdoptionFailureReason.NOT_A_SOCKET, Duration.ZERO);
		statistics.onAborted(end, CloseKind.SHUTDOWN, 0);
		statistics.onClosed(end, CloseKind.SHUTDOWN);
		statistics.onClosed(end, CloseKind.EOS);
		statistics.onBytes(end, 10, 0);
		statistics.onBytes(end, 5, 7);
		assertThat(statistics.adoptions()).isEqualTo(3);
		assertThat(statistics.adoptionsBySource()).containsEntry(AdoptionSource.FD, 1L)
			.containsEntry(AdoptionSource.CHANNEL, 2L)
			.containsEntry(AdoptionSource.CONNECT, 0L);
		assertThat(statistics.adoptionFailures()).isEqualTo(1);
		assertThat(statistics.adoptionFailuresByReason()).containsEntry(AdoptionFailureReason.NOT_A_SOCKET, 1L);
		assertThat(statistics.aborts()).isEqualTo(1);
		assertThat(statistics.abortsByCause()).containsEntry(CloseKind.SHUTDOWN, 1L);
		assertThat(statistics.closed()).isEqualTo(2);
		assertThat(statistics.closedByKind()).containsEntry(CloseKind.SHUTDOWN, 1L).containsEntry(CloseKind.EOS, 1L);
		assertThat(statistics.aborts(CloseKind.SHUTDOWN)).isEqualTo(statistics.closed(CloseKind.SHUTDOWN));
		assertThat(statistics.bytesIn()).isEqualTo(15);
		assertThat(statistics.bytesOut()).isEqualTo(7);
	}

	@Test
	void mapsAreUnmodifiable() {
		VConnStatistics statistics = new VConnStatistics();
		assertThatExceptionOfType(UnsupportedOperationException.class)
			.isThrownBy(() -> statistics.abortsByCause().put(CloseKind.API, 1L));
	}

	@Test
	void countsTunnelsByEndAndSpliced() {
		VConnStatistics statistics = new VConnStatistics();
		statistics.onTunnelStarted(end, end);
		statistics.onTunnelStarted(end, end);
		statistics.onTunnelStarted(end, end);
		assertThat(statistics.activeTunnels()).isEqualTo(3);
		statistics.onTunnelEnded(result(TunnelResult.End.EOS, true));
		statistics.onTunnelEnded(result(TunnelResult.End.ABORTED, false));
		assertThat(statistics.tunnels()).isEqualTo(3);
		assertThat(statistics.activeTunnels()).isEqualTo(1);
		assertThat(statistics.tunnelsByEnd()).hasSize(TunnelResult.End.values().length)
			.containsEntry(TunnelResult.End.EOS, 1L)
			.containsEntry(TunnelResult.End.ABORTED, 1L)
			.containsEntry(TunnelResult.End.RESET, 0L);
		assertThat(statistics.splicedTunnels()).isEqualTo(1);
	}

	@Test
	void countsInterceptsByHookTypeAndOutcome() {
		VConnStatistics statistics = new VConnStatistics();
		assertThat(statistics.interceptsOf("never")).hasSize(InterceptOutcome.values().length).containsValue(0L);
		statistics.onIntercept("auth", InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
		statistics.onIntercept("auth", InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPTED);
		statistics.onIntercept("auth", InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPT_FAILED);
		statistics.onIntercept("audit", InterceptType.INTERCEPT, InterceptOutcome.ERROR);
		assertThat(statistics.intercepts()).isEqualTo(4);
		assertThat(statistics.interceptsOf("auth")).containsEntry(InterceptOutcome.ACCEPTED, 2L)
			.containsEntry(InterceptOutcome.ACCEPT_FAILED, 1L)
			.containsEntry(InterceptOutcome.ERROR, 0L);
		assertThat(statistics.interceptsOf("auth", InterceptType.SERVER_INTERCEPT))
			.containsEntry(InterceptOutcome.ACCEPTED, 1L)
			.containsEntry(InterceptOutcome.ACCEPT_FAILED, 1L);
		assertThat(statistics.interceptsOf("auth", InterceptType.INTERCEPT)).containsEntry(InterceptOutcome.ACCEPTED, 1L)
			.containsEntry(InterceptOutcome.ACCEPT_FAILED, 0L);
		assertThat(statistics.interceptingHooks()).containsExactly("audit", "auth");
		assertThat(statistics.interceptsOf("audit", InterceptType.INTERCEPT)).containsEntry(InterceptOutcome.ERROR, 1L);
	}

	@Test
	void hookNamesPastTheLimitAreCountedAsOther() {
		VConnStatistics statistics = new VConnStatistics();
		for (int i = 0; i < VConnStatistics.MAX_HOOK_NAMES + 3; i++) {
			statistics.onIntercept("hook-" + i, InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
		}
		assertThat(statistics.interceptingHooks()).hasSize(VConnStatistics.MAX_HOOK_NAMES + 1);
		assertThat(statistics.interceptsOf(VConnStatistics.OTHER_HOOKS)).containsEntry(InterceptOutcome.ACCEPTED, 3L);
		assertThat(statistics.intercepts()).isEqualTo(VConnStatistics.MAX_HOOK_NAMES + 3);
	}

	@Test
	void countsTransactionsByPathAndStatusClass() {
		VConnStatistics statistics = new VConnStatistics();
		assertThat(statistics.transactionsByStatusClass()).containsExactly(entry("1xx", 0L), entry("2xx", 0L),
				entry("3xx", 0L), entry("4xx", 0L), entry("5xx", 0L), entry("none", 0L));
		statistics.onTransactionCompleted(TransactionPath.PASS_THROUGH, 200);
		statistics.onTransactionCompleted(TransactionPath.PASS_THROUGH, 204);
		statistics.onTransactionCompleted(TransactionPath.PASS_THROUGH, 503);
		statistics.onTransactionCompleted(TransactionPath.SERVER_INTERCEPTED, 404);
		statistics.onTransactionCompleted(TransactionPath.INTERCEPTED, 0);
		assertThat(statistics.transactions()).isEqualTo(5);
		assertThat(statistics.transactionsByPath()).containsEntry(TransactionPath.PASS_THROUGH, 3L)
			.containsEntry(TransactionPath.SERVER_INTERCEPTED, 1L)
			.containsEntry(TransactionPath.INTERCEPTED, 1L);
		assertThat(statistics.transactionsByStatusClass()).containsExactly(entry("1xx", 0L), entry("2xx", 2L),
				entry("3xx", 0L), entry("4xx", 1L), entry("5xx", 1L), entry("none", 1L));
		assertThat(VConnStatistics.statusClass(101)).isEqualTo("1xx");
		assertThat(VConnStatistics.statusClass(599)).isEqualTo("5xx");
		assertThat(VConnStatistics.statusClass(0)).isEqualTo("none");
	}

	@Test
	void countsListenerRejectionsByStatusWithAnEntryForEveryStatusTheListenerSends() {
		VConnStatistics statistics = new VConnStatistics();
		assertThat(statistics.listenerRejectionsByStatus()).containsExactly(entry(400, 0L), entry(408, 0L),
				entry(431, 0L), entry(502, 0L), entry(503, 0L));
		statistics.onListenerRejection(400);
		statistics.onListenerRejection(400);
		statistics.onListenerRejection(503);
		statistics.onListenerRejection(500);
		assertThat(statistics.listenerRejections()).isEqualTo(4);
		assertThat(statistics.listenerRejectionsByStatus()).containsExactly(entry(400, 2L), entry(408, 0L),
				entry(431, 0L), entry(500, 1L), entry(502, 0L), entry(503, 1L));
	}

	@Test
	void countsAdoptionFailuresBySourceAndReason() {
		VConnStatistics statistics = new VConnStatistics();
		statistics.onAdoptionFailed(AdoptionSource.FD, AdoptionFailureReason.NOT_A_SOCKET, Duration.ZERO);
		statistics.onAdoptionFailed(AdoptionSource.CONNECT, AdoptionFailureReason.CONNECT_FAILED, Duration.ZERO);
		statistics.onAdoptionFailed(AdoptionSource.CONNECT, AdoptionFailureReason.CONNECT_FAILED, Duration.ZERO);
		assertThat(statistics.adoptionFailures(AdoptionSource.FD, AdoptionFailureReason.NOT_A_SOCKET)).isEqualTo(1);
		assertThat(statistics.adoptionFailures(AdoptionSource.CONNECT, AdoptionFailureReason.CONNECT_FAILED))
			.isEqualTo(2);
		assertThat(statistics.adoptionFailures(AdoptionSource.FD, AdoptionFailureReason.CONNECT_FAILED)).isZero();
		assertThat(statistics.adoptionFailuresByReason()).containsEntry(AdoptionFailureReason.CONNECT_FAILED, 2L);
	}

	@Test
	void keyListenersLearnOfEachHookAndStatusOnceWhenItIsFirstCounted() {
		VConnStatistics statistics = new VConnStatistics();
		List<String> added = new ArrayList<>();
		statistics.addKeyListener(new VConnStatistics.KeyListener() {
			@Override
			public void hookAdded(String hook) {
				added.add("hook " + hook);
			}

			@Override
			public void rejectionStatusAdded(int status) {
				added.add("status " + status);
			}
		});
		statistics.registerHook("known");
		statistics.registerHook("known");
		statistics.onIntercept("known", InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
		statistics.onIntercept("late", InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
		statistics.onIntercept("late", InterceptType.INTERCEPT, InterceptOutcome.ERROR);
		statistics.onListenerRejection(400);
		statistics.onListenerRejection(505);
		statistics.onListenerRejection(505);
		assertThat(added).containsExactly("hook known", "hook late", "status 505");
		assertThat(statistics.intercepts("known", InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED)).isEqualTo(1);
		assertThat(statistics.listenerRejections(505)).isEqualTo(2);
		assertThat(statistics.listenerRejections(404)).isZero();
	}

	@Test
	void registeredHooksReadZeroAndCountTowardTheCap() {
		VConnStatistics statistics = new VConnStatistics();
		for (int i = 0; i < VConnStatistics.MAX_HOOK_NAMES + 1; i++) {
			statistics.registerHook("hook-" + i);
		}
		assertThat(statistics.interceptingHooks()).hasSize(VConnStatistics.MAX_HOOK_NAMES)
			.doesNotContain("hook-" + VConnStatistics.MAX_HOOK_NAMES);
		assertThat(statistics.interceptsOf("hook-0")).containsValue(0L).doesNotContainValue(1L);
		statistics.onIntercept("unregistered", InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPTED);
		assertThat(statistics.intercepts(VConnStatistics.OTHER_HOOKS, InterceptType.SERVER_INTERCEPT,
				InterceptOutcome.ACCEPTED)).isEqualTo(1);
	}

	@Test
	void transactionsOfAnUnknownStatusClassAreRefused() {
		VConnStatistics statistics = new VConnStatistics();
		assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> statistics.transactions(TransactionPath.PASS_THROUGH, "6xx"))
			.withMessageContaining("6xx");
	}

	private static TunnelResult result(TunnelResult.End end, boolean spliced) {
		return new TunnelResult(1, 2, TunnelResult.Side.A, end, spliced, Duration.ofMillis(5));
	}

}
