package dev.vconn.transaction;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.VConn;
import dev.vconn.VConnListener;
import dev.vconn.intercept.InterceptObserver;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;

/**
 * Counts what a runtime reports: adoptions and closes (for the accounting invariant), and what its
 * intercept listeners report: the intercept, transaction and rejection callbacks that meters are
 * built from. Thread-safe.
 */
final class CountingListener implements VConnListener, InterceptObserver {

	record Intercept(String hook, InterceptType type, InterceptOutcome outcome) {
	}

	record Completed(TransactionPath path, int status) {
	}

	record Aborted(VConn vconn, CloseKind cause) {
	}

	record Closed(VConn vconn, CloseKind how) {
	}

	private final AtomicInteger adoptions = new AtomicInteger();

	private final AtomicInteger closes = new AtomicInteger();

	private final List<Aborted> aborted = new CopyOnWriteArrayList<>();

	private final List<Closed> closed = new CopyOnWriteArrayList<>();

	private final List<Intercept> intercepts = new CopyOnWriteArrayList<>();

	private final List<Completed> completed = new CopyOnWriteArrayList<>();

	private final List<Integer> rejections = new CopyOnWriteArrayList<>();

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		this.adoptions.incrementAndGet();
	}

	@Override
	public void onAborted(VConn vconn, CloseKind cause, int error) {
		this.aborted.add(new Aborted(vconn, cause));
	}

	@Override
	public void onClosed(VConn vconn, CloseKind how) {
		this.closed.add(new Closed(vconn, how));
		this.closes.incrementAndGet();
	}

	@Override
	public void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
		this.intercepts.add(new Intercept(hook, type, outcome));
	}

	@Override
	public void onTransactionCompleted(TransactionPath path, int status) {
		this.completed.add(new Completed(path, status));
	}

	@Override
	public void onListenerRejection(int status) {
		this.rejections.add(status);
	}

	int adoptions() {
		return this.adoptions.get();
	}

	int closes() {
		return this.closes.get();
	}

	List<Aborted> aborted() {
		return List.copyOf(this.aborted);
	}

	List<Closed> closed() {
		return List.copyOf(this.closed);
	}

	List<Intercept> intercepts() {
		return List.copyOf(this.intercepts);
	}

	List<Completed> completed() {
		return List.copyOf(this.completed);
	}

	List<Integer> rejections() {
		return List.copyOf(this.rejections);
	}

}
