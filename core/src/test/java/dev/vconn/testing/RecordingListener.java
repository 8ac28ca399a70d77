package dev.vconn.testing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.VConn;
import dev.vconn.VConnListener;

/**
 * A {@link VConnListener} that records every callback, in order, for assertions, and sums the
 * bytes {@code onBytes} reports. Thread-safe.
 */
public final class RecordingListener implements VConnListener {

	private final List<Event> events = new CopyOnWriteArrayList<>();

	private final AtomicLong bytesReceived = new AtomicLong();

	private final AtomicLong bytesSent = new AtomicLong();

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		this.events.add(new Adopted(vconn, source));
	}

	@Override
	public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
		this.events.add(new Failed(source, reason));
	}

	@Override
	public void onAborted(VConn vconn, CloseKind cause, int error) {
		this.events.add(new Aborted(vconn, cause, error));
	}

	@Override
	public void onClosed(VConn vconn, CloseKind how) {
		this.events.add(new Closed(vconn, how));
	}

	@Override
	public void onBytes(VConn vconn, long received, long sent) {
		this.bytesReceived.addAndGet(received);
		this.bytesSent.addAndGet(sent);
	}

	/**
	 * Every callback so far except {@code onBytes}, in order.
	 * @return a snapshot
	 */
	public List<Event> events() {
		return List.copyOf(this.events);
	}

	/**
	 * The {@code onAdoptionFailed} callbacks so far.
	 * @return a snapshot
	 */
	public List<Failed> failures() {
		return this.events.stream().filter(Failed.class::isInstance).map(Failed.class::cast).toList();
	}

	/**
	 * The {@code onAdopted} callbacks so far.
	 * @return a snapshot
	 */
	public List<Adopted> adoptions() {
		return this.events.stream().filter(Adopted.class::isInstance).map(Adopted.class::cast).toList();
	}

	/**
	 * The {@code onClosed} callbacks so far.
	 * @return a snapshot
	 */
	public List<Closed> closes() {
		return this.events.stream().filter(Closed.class::isInstance).map(Closed.class::cast).toList();
	}

	/**
	 * The {@code onAborted} callbacks so far.
	 * @return a snapshot
	 */
	public List<Aborted> aborts() {
		return this.events.stream().filter(Aborted.class::isInstance).map(Aborted.class::cast).toList();
	}

	/**
	 * The {@code onClosed} callbacks about one VConn.
	 * @param vconn the VConn
	 * @return a snapshot
	 */
	public List<Closed> closedOf(VConn vconn) {
		return closes().stream().filter((c) -> c.vconn() == vconn).toList();
	}

	/**
	 * The {@code onAborted} callbacks about one VConn.
	 * @param vconn the VConn
	 * @return a snapshot
	 */
	public List<Aborted> abortedOf(VConn vconn) {
		return aborts().stream().filter((a) -> a.vconn() == vconn).toList();
	}

	/**
	 * The bytes every {@code onBytes} so far reported received, all VConns together.
	 * @return the sum
	 */
	public long bytesReceived() {
		return this.bytesReceived.get();
	}

	/**
	 * The bytes every {@code onBytes} so far reported sent, all VConns together.
	 * @return the sum
	 */
	public long bytesSent() {
		return this.bytesSent.get();
	}

	/**
	 * The callbacks about one VConn, in order.
	 * @param vconn the VConn
	 * @return a snapshot
	 */
	public List<Event> eventsOf(VConn vconn) {
		return this.events.stream().filter((e) -> e.vconn() == vconn).toList();
	}

	/**
	 * Forgets everything recorded so far.
	 */
	public void clear() {
		this.events.clear();
	}

	/** A recorded callback. */
	public sealed interface Event permits Adopted, Failed, Aborted, Closed {

		/**
		 * The VConn concerned.
		 * @return the VConn, or {@code null} for a failed adoption
		 */
		VConn vconn();

	}

	/**
	 * {@code onAdopted}.
	 * @param vconn the VConn
	 * @param source the source
	 */
	public record Adopted(VConn vconn, AdoptionSource source) implements Event {
	}

	/**
	 * {@code onAdoptionFailed}.
	 * @param source the source
	 * @param reason the reason
	 */
	public record Failed(AdoptionSource source, AdoptionFailureReason reason) implements Event {

		@Override
		public VConn vconn() {
			return null;
		}

	}

	/**
	 * {@code onAborted}.
	 * @param vconn the VConn
	 * @param cause the cause
	 * @param error the error code
	 */
	public record Aborted(VConn vconn, CloseKind cause, int error) implements Event {
	}

	/**
	 * {@code onClosed}.
	 * @param vconn the VConn
	 * @param how how it ended
	 */
	public record Closed(VConn vconn, CloseKind how) implements Event {
	}

}
