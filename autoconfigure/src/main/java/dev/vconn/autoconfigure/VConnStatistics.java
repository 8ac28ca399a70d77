package dev.vconn.autoconfigure;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import dev.vconn.AbortCause;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.VConn;
import dev.vconn.VConnListener;

/**
 * A {@link VConnListener} that keeps running totals of a runtime's adoptions, failures, aborts,
 * closes and bytes, for the {@code vconn} actuator endpoint. It works without Micrometer.
 *
 * <p><b>Accounting:</b> totals count from the moment the listener is added to a runtime's
 * builder, so {@link #adoptions()} equals the sum of {@link #closedByKind()} plus the runtime's
 * {@link dev.vconn.VConnRuntime#activeCount()} at any quiet moment.
 *
 * <p><b>Threads:</b> callbacks and getters are thread-safe and never block; getters read each
 * counter without a global snapshot, so totals read while connections come and go may be off by
 * the connections in flight.
 *
 * <p><b>Lifecycle:</b> the totals never reset; they outlive the runtime's close.
 *
 * @since 0.1.0
 */
public final class VConnStatistics implements VConnListener {

	private final LongAdder[] adoptions = adders(AdoptionSource.values().length);

	private final LongAdder[] failures = adders(AdoptionFailureReason.values().length);

	private final LongAdder[] aborts = adders(AbortCause.values().length);

	private final LongAdder[] closed = adders(CloseKind.values().length);

	private final LongAdder bytesIn = new LongAdder();

	private final LongAdder bytesOut = new LongAdder();

	/**
	 * Creates a listener with every total at zero. Add it to a runtime with
	 * {@link dev.vconn.VConnRuntime.Builder#addListener}.
	 */
	public VConnStatistics() {
	}

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		this.adoptions[source.ordinal()].increment();
	}

	@Override
	public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
		this.failures[reason.ordinal()].increment();
	}

	@Override
	public void onAborted(VConn vconn, AbortCause cause, int error) {
		this.aborts[cause.ordinal()].increment();
	}

	@Override
	public void onClosed(VConn vconn, CloseKind how) {
		this.closed[how.ordinal()].increment();
	}

	@Override
	public void onBytes(VConn vconn, long received, long sent) {
		if (received > 0) {
			this.bytesIn.add(received);
		}
		if (sent > 0) {
			this.bytesOut.add(sent);
		}
	}

	/**
	 * Successful adoptions and connects, whatever their source.
	 * @return the total
	 */
	public long adoptions() {
		return sum(this.adoptions);
	}

	/**
	 * Successful adoptions and connects by source.
	 * @return an unmodifiable map with an entry for every source
	 */
	public Map<AdoptionSource, Long> adoptionsBySource() {
		return totals(AdoptionSource.class, this.adoptions);
	}

	/**
	 * Failed adoptions and connects, whatever the reason.
	 * @return the total
	 */
	public long adoptionFailures() {
		return sum(this.failures);
	}

	/**
	 * Failed adoptions and connects by reason.
	 * @return an unmodifiable map with an entry for every reason
	 */
	public Map<AdoptionFailureReason, Long> adoptionFailuresByReason() {
		return totals(AdoptionFailureReason.class, this.failures);
	}

	/**
	 * Aborted VConns, whatever the cause.
	 * @return the total
	 */
	public long aborts() {
		return sum(this.aborts);
	}

	/**
	 * Aborted VConns by cause.
	 * @return an unmodifiable map with an entry for every cause
	 */
	public Map<AbortCause, Long> abortsByCause() {
		return totals(AbortCause.class, this.aborts);
	}

	/**
	 * VConns that ended, however they ended.
	 * @return the total
	 */
	public long closed() {
		return sum(this.closed);
	}

	/**
	 * VConns that ended, by how they ended.
	 * @return an unmodifiable map with an entry for every kind
	 */
	public Map<CloseKind, Long> closedByKind() {
		return totals(CloseKind.class, this.closed);
	}

	/**
	 * Bytes received from peers.
	 * @return the total
	 */
	public long bytesIn() {
		return this.bytesIn.sum();
	}

	/**
	 * Bytes handed to the kernel for peers.
	 * @return the total
	 */
	public long bytesOut() {
		return this.bytesOut.sum();
	}

	@Override
	public String toString() {
		return "VConnStatistics[adoptions=" + adoptions() + ", failures=" + adoptionFailures() + ", aborts=" + aborts()
				+ ", closed=" + closed() + "]";
	}

	private static LongAdder[] adders(int count) {
		LongAdder[] adders = new LongAdder[count];
		for (int i = 0; i < count; i++) {
			adders[i] = new LongAdder();
		}
		return adders;
	}

	private static long sum(LongAdder[] adders) {
		long sum = 0;
		for (LongAdder adder : adders) {
			sum += adder.sum();
		}
		return sum;
	}

	private static <E extends Enum<E>> Map<E, Long> totals(Class<E> type, LongAdder[] adders) {
		Map<E, Long> totals = new EnumMap<>(type);
		for (E constant : type.getEnumConstants()) {
			totals.put(constant, adders[constant.ordinal()].sum());
		}
		return Collections.unmodifiableMap(totals);
	}

}
