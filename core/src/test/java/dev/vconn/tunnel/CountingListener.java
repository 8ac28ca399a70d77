package dev.vconn.tunnel;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.TunnelResult;
import dev.vconn.VConn;
import dev.vconn.VConnListener;
import dev.vconn.intercept.InterceptObserver;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;

/**
 * Records every callback of a runtime and of its intercept listeners, for assertions: adoptions,
 * closes, aborts, bytes per VConn, tunnels, intercepts and listener rejections.
 */
public final class CountingListener implements VConnListener, InterceptObserver {

	public final AtomicLong adoptions = new AtomicLong();

	public final AtomicLong closed = new AtomicLong();

	public final AtomicLong adoptionFailures = new AtomicLong();

	public final Map<Long, AdoptionSource> sources = new ConcurrentHashMap<>();

	public final Map<Long, CloseKind> closeKinds = new ConcurrentHashMap<>();

	public final Map<Long, CloseKind> abortCauses = new ConcurrentHashMap<>();

	public final Map<Long, AtomicLong> received = new ConcurrentHashMap<>();

	public final Map<Long, AtomicLong> sent = new ConcurrentHashMap<>();

	public final List<long[]> tunnelsStarted = new CopyOnWriteArrayList<>();

	public final List<TunnelResult> tunnelsEnded = new CopyOnWriteArrayList<>();

	public final List<String> intercepts = new CopyOnWriteArrayList<>();

	public final List<InterceptType> interceptTypes = new CopyOnWriteArrayList<>();

	public final List<Integer> rejections = new CopyOnWriteArrayList<>();

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		this.adoptions.incrementAndGet();
		this.sources.put(vconn.id(), source);
	}

	@Override
	public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
		this.adoptionFailures.incrementAndGet();
	}

	@Override
	public void onAborted(VConn vconn, CloseKind cause, int error) {
		this.abortCauses.put(vconn.id(), cause);
	}

	@Override
	public void onClosed(VConn vconn, CloseKind how) {
		this.closeKinds.put(vconn.id(), how);
		this.closed.incrementAndGet();
	}

	@Override
	public void onBytes(VConn vconn, long received, long sent) {
		this.received.computeIfAbsent(vconn.id(), (id) -> new AtomicLong()).addAndGet(received);
		this.sent.computeIfAbsent(vconn.id(), (id) -> new AtomicLong()).addAndGet(sent);
	}

	@Override
	public void onTunnelStarted(VConn a, VConn b) {
		this.tunnelsStarted.add(new long[] { a.id(), b.id() });
	}

	@Override
	public void onTunnelEnded(TunnelResult result) {
		this.tunnelsEnded.add(result);
	}

	@Override
	public void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
		this.intercepts.add(hook + ":" + outcome);
		this.interceptTypes.add(type);
	}

	@Override
	public void onListenerRejection(int status) {
		this.rejections.add(status);
	}

	public long receivedBy(VConn vconn) {
		AtomicLong n = this.received.get(vconn.id());
		return (n != null) ? n.get() : 0;
	}

	public long sentBy(VConn vconn) {
		AtomicLong n = this.sent.get(vconn.id());
		return (n != null) ? n.get() : 0;
	}

	/** Whether every VConn created has been closed or is still alive: adoptions == closed + active. */
	public boolean reconciles(int active) {
		return this.adoptions.get() == this.closed.get() + active;
	}

}
