package dev.vconn.autoconfigure;

import java.time.Duration;

import dev.vconn.AbortCause;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.VConn;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.mockito.Mockito.mock;

class VConnStatisticsTests {

	private final VConn vconn = mock(VConn.class);

	@Test
	void startsAtZeroWithAnEntryForEveryConstant() {
		VConnStatistics statistics = new VConnStatistics();
		assertThat(statistics.adoptions()).isZero();
		assertThat(statistics.adoptionFailures()).isZero();
		assertThat(statistics.aborts()).isZero();
		assertThat(statistics.closed()).isZero();
		assertThat(statistics.adoptionsBySource()).hasSize(AdoptionSource.values().length).containsValue(0L);
		assertThat(statistics.adoptionFailuresByReason()).hasSize(AdoptionFailureReason.values().length);
		assertThat(statistics.abortsByCause()).hasSize(AbortCause.values().length);
		assertThat(statistics.closedByKind()).hasSize(CloseKind.values().length);
	}

	@Test
	void countsEveryCallbackByItsEnum() {
		VConnStatistics statistics = new VConnStatistics();
		statistics.onAdopted(this.vconn, AdoptionSource.FD, Duration.ZERO);
		statistics.onAdopted(this.vconn, AdoptionSource.CHANNEL, Duration.ZERO);
		statistics.onAdopted(this.vconn, AdoptionSource.CHANNEL, Duration.ZERO);
		statistics.onAdoptionFailed(AdoptionSource.FD, AdoptionFailureReason.NOT_A_SOCKET, Duration.ZERO);
		statistics.onAborted(this.vconn, AbortCause.SHUTDOWN, 0);
		statistics.onClosed(this.vconn, CloseKind.ABORT);
		statistics.onClosed(this.vconn, CloseKind.EOS);
		statistics.onBytes(this.vconn, 10, 0);
		statistics.onBytes(this.vconn, 5, 7);
		assertThat(statistics.adoptions()).isEqualTo(3);
		assertThat(statistics.adoptionsBySource()).containsEntry(AdoptionSource.FD, 1L)
			.containsEntry(AdoptionSource.CHANNEL, 2L)
			.containsEntry(AdoptionSource.CONNECT, 0L);
		assertThat(statistics.adoptionFailures()).isEqualTo(1);
		assertThat(statistics.adoptionFailuresByReason()).containsEntry(AdoptionFailureReason.NOT_A_SOCKET, 1L);
		assertThat(statistics.aborts()).isEqualTo(1);
		assertThat(statistics.abortsByCause()).containsEntry(AbortCause.SHUTDOWN, 1L);
		assertThat(statistics.closed()).isEqualTo(2);
		assertThat(statistics.closedByKind()).containsEntry(CloseKind.ABORT, 1L).containsEntry(CloseKind.EOS, 1L);
		assertThat(statistics.bytesIn()).isEqualTo(15);
		assertThat(statistics.bytesOut()).isEqualTo(7);
	}

	@Test
	void mapsAreUnmodifiable() {
		VConnStatistics statistics = new VConnStatistics();
		assertThatExceptionOfType(UnsupportedOperationException.class)
			.isThrownBy(() -> statistics.abortsByCause().put(AbortCause.API, 1L));
	}

}
