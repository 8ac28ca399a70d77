package dev.vconn.pair;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.VConn;
import dev.vconn.VConnListener;

/** Records what a runtime reports. */
final class RecordingListener implements VConnListener {

	record Adopted(VConn vconn, AdoptionSource source) {
	}

	record Failed(AdoptionSource source, AdoptionFailureReason reason) {
	}

	record Aborted(VConn vconn, CloseKind cause, int error) {
	}

	record Closed(VConn vconn, CloseKind how) {
	}

	final List<Adopted> adopted = new CopyOnWriteArrayList<>();

	final List<Failed> failed = new CopyOnWriteArrayList<>();

	final List<Aborted> aborted = new CopyOnWriteArrayList<>();

	final List<Closed> closed = new CopyOnWriteArrayList<>();

	final AtomicLong received = new AtomicLong();

	final AtomicLong sent = new AtomicLong();

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		this.adopted.add(new Adopted(vconn, source));
	}

	@Override
	public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
		this.failed.add(new Failed(source, reason));
	}

	@Override
	public void onAborted(VConn vconn, CloseKind cause, int error) {
		this.aborted.add(new Aborted(vconn, cause, error));
	}

	@Override
	public void onClosed(VConn vconn, CloseKind how) {
		this.closed.add(new Closed(vconn, how));
	}

	@Override
	public void onBytes(VConn vconn, long received, long sent) {
		this.received.addAndGet(received);
		this.sent.addAndGet(sent);
	}

	List<Closed> closedOf(VConn vconn) {
		return this.closed.stream().filter((c) -> c.vconn() == vconn).toList();
	}

	List<Aborted> abortedOf(VConn vconn) {
		return this.aborted.stream().filter((a) -> a.vconn() == vconn).toList();
	}

}
