package dev.vconn;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Observes a runtime's connections: adoptions, failures, closes, aborts, bytes moved and tunnels.
 * This is how monitoring (the Spring Boot starter's Micrometer meters) learns what happens without
 * core depending on a metrics library. What an intercept listener does with the requests it reads
 * is reported one layer up, to its {@code dev.vconn.intercept.InterceptObserver}s.
 *
 * <p>Every method has a no-op default, so new callbacks can be added without breaking
 * implementations. Several listeners compose with {@link #composite(List)}.
 *
 * <p><b>Threads:</b> callbacks run on whichever thread produced the event: adoption callbacks on
 * the adopting thread, the others mostly on the VConn's event thread. They must be fast,
 * thread-safe and must not block. An exception thrown by a listener is caught and logged; it
 * never changes the outcome of the operation that reported it, nor keeps the other listeners from
 * being called.
 *
 * <p><b>Accounting:</b> for each VConn, {@link #onAdopted} is called once and {@link #onClosed}
 * once, so that at any quiet moment the number of adoptions equals the closed ones plus
 * {@link VConnRuntime#activeCount()}. {@link #onAborted} is called before {@link #onClosed} for
 * aborted VConns.
 *
 * <p><b>Tracing:</b> an adoption or connect requested through the {@link VConnFactory} is announced
 * by {@link #onAdoptionStarted} before it runs; the {@link AdoptionObserver} returned then hears how
 * that attempt ended, so a span can cover it.
 *
 * @since 0.1.0
 */
public interface VConnListener {

	/**
	 * An adoption ({@link VConnFactory#adopt(int)}, {@link VConnFactory#adopt(java.nio.channels.SocketChannel)}
	 * and the {@code fdCreate} variants) or a connect ({@link VConnFactory#connect(SocketAddress)}) is
	 * about to run. Connections an intercept listener takes over and the ends of a {@link VConnPair}
	 * are reported to {@link #onAdopted} only: they are part of a transaction, which the intercept
	 * layer reports.
	 * <p><b>Threads:</b> called on the thread that asked for the adoption or connect, before any
	 * check runs, so a tracer finds the caller's current span there.
	 * @param source {@link AdoptionSource#FD}, {@link AdoptionSource#CHANNEL} or {@link AdoptionSource#CONNECT}
	 * @param remote the address a connect goes to, {@code null} for an adoption (its peer is known
	 * from the VConn once adopted)
	 * @return the observer of this attempt, told exactly once how it ended;
	 * {@link AdoptionObserver#noop()} (the default) to follow nothing
	 * @since 0.1.0
	 */
	default AdoptionObserver onAdoptionStarted(AdoptionSource source, @Nullable SocketAddress remote) {
		return AdoptionObserver.noop();
	}

	/**
	 * A VConn was created.
	 * @param vconn the new VConn
	 * @param source where it came from
	 * @param duration how long the adoption took
	 */
	default void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
	}

	/**
	 * An adoption or connect failed; the descriptor or channel was left as it was.
	 * @param source what was being adopted
	 * @param reason why it failed
	 * @param duration how long the attempt took
	 */
	default void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
	}

	/**
	 * A VConn was aborted. Called before {@link #onClosed} for the same VConn, which reports the
	 * same {@code cause}.
	 * @param vconn the VConn
	 * @param cause why, one of the kinds whose {@link CloseKind#isAbort()} is {@code true}
	 * @param error the error code given to {@link VConn#abort(int)}, or 0
	 */
	default void onAborted(VConn vconn, CloseKind cause, int error) {
	}

	/**
	 * A VConn ended and released its descriptor. Called exactly once per VConn.
	 * @param vconn the VConn
	 * @param how why it ended; for an aborted VConn, the cause given to {@link #onAborted}
	 */
	default void onClosed(VConn vconn, CloseKind how) {
	}

	/**
	 * Bytes moved through a VConn's socket, or, for an end of a {@link VConnPair}, into or out of the
	 * pair.
	 * @param vconn the VConn
	 * @param received bytes read from the peer by this transfer
	 * @param sent bytes handed to the kernel for the peer by this transfer
	 */
	default void onBytes(VConn vconn, long received, long sent) {
	}

	/**
	 * A {@link Tunnel} started between two VConns.
	 * @param a the first side
	 * @param b the second side
	 */
	default void onTunnelStarted(VConn a, VConn b) {
	}

	/**
	 * A {@link Tunnel} ended; both of its VConns are closed.
	 * @param result what it moved and how it ended
	 */
	default void onTunnelEnded(TunnelResult result) {
	}

	/**
	 * Combines listeners; each callback is passed to each listener in order.
	 * @param listeners the listeners, copied
	 * @return a listener that notifies all of them
	 */
	static VConnListener composite(List<? extends VConnListener> listeners) {
		List<VConnListener> copy = List.copyOf(listeners);
		if (copy.size() == 1) {
			return copy.get(0);
		}
		return new VConnListener() {
			@Override
			public AdoptionObserver onAdoptionStarted(AdoptionSource source, @Nullable SocketAddress remote) {
				List<AdoptionObserver> observers = null;
				for (VConnListener listener : copy) {
					AdoptionObserver observer = listener.onAdoptionStarted(source, remote);
					if (observer != AdoptionObserver.noop()) {
						observers = (observers != null) ? observers : new ArrayList<>(copy.size());
						observers.add(observer);
					}
				}
				return (observers != null) ? new CompositeAdoptionObserver(observers) : AdoptionObserver.noop();
			}

			@Override
			public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
				copy.forEach((l) -> l.onAdopted(vconn, source, duration));
			}

			@Override
			public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
				copy.forEach((l) -> l.onAdoptionFailed(source, reason, duration));
			}

			@Override
			public void onAborted(VConn vconn, CloseKind cause, int error) {
				copy.forEach((l) -> l.onAborted(vconn, cause, error));
			}

			@Override
			public void onClosed(VConn vconn, CloseKind how) {
				copy.forEach((l) -> l.onClosed(vconn, how));
			}

			@Override
			public void onBytes(VConn vconn, long received, long sent) {
				copy.forEach((l) -> l.onBytes(vconn, received, sent));
			}

			@Override
			public void onTunnelStarted(VConn a, VConn b) {
				copy.forEach((l) -> l.onTunnelStarted(a, b));
			}

			@Override
			public void onTunnelEnded(TunnelResult result) {
				copy.forEach((l) -> l.onTunnelEnded(result));
			}
		};
	}

}

/** Tells each observer of one attempt, in order; made only when at least one listener follows it. */
final class CompositeAdoptionObserver implements AdoptionObserver {

	private final List<AdoptionObserver> observers;

	CompositeAdoptionObserver(List<AdoptionObserver> observers) {
		this.observers = observers;
	}

	@Override
	public void onAdopted(VConn vconn) {
		this.observers.forEach((o) -> o.onAdopted(vconn));
	}

	@Override
	public void onFailed(AdoptionFailureReason reason) {
		this.observers.forEach((o) -> o.onFailed(reason));
	}

}
