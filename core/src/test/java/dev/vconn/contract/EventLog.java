package dev.vconn.contract;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

import dev.vconn.Continuation;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;


/**
 * A continuation that records every event it receives, with the thread it ran on and whether the
 * continuation's own (default) mutex was held, and checks the delivery rules on every event:
 * never called concurrently with itself, always holding its mutex, never for a VConn that was
 * already closed. Violations are collected (throwing from a handler would make the engine abort
 * the VConn) and surface from the {@code await} methods and from {@link #assertNoViolations()}.
 *
 * <p>What the test wants done on each event goes in {@link #onEvent(Handler)}.
 */
final class EventLog implements Continuation {

	static final Duration AWAIT = Duration.ofSeconds(15);

	/** The test's reaction to an event; runs on the event thread, holding the mutex. */
	@FunctionalInterface
	interface Handler {

		void handle(VConnEvent event, @Nullable Object data) throws Exception;

	}

	/** Orders events across logs. */
	private static final AtomicLong SEQUENCE = new AtomicLong();

	/** One delivered event; {@code seq} orders events across all logs. */
	record Event(VConnEvent type, @Nullable Object data, @Nullable VConn vconn, Thread thread, boolean mutexHeld,
			long ndone, long nanoTime, long seq) {

		VIO vio() {
			return (VIO) Objects.requireNonNull(this.data, "data");
		}

	}

	private final String name;

	private final List<Event> events = new CopyOnWriteArrayList<>();

	private final List<Throwable> violations = new CopyOnWriteArrayList<>();

	private final AtomicInteger inside = new AtomicInteger();

	private volatile Handler handler = (event, data) -> {
	};

	private volatile boolean sealed;

	EventLog(String name) {
		this.name = name;
	}

	EventLog onEvent(Handler handler) {
		this.handler = handler;
		return this;
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		if (this.inside.incrementAndGet() != 1) {
			violation("called concurrently with itself on " + event);
		}
		try {
			VConn vconn = (data instanceof VIO) ? ((VIO) data).vconn() : (data instanceof VConn) ? (VConn) data : null;
			boolean held = ((ReentrantLock) mutex()).isHeldByCurrentThread();
			long ndone = (data instanceof VIO) ? ((VIO) data).ndone() : -1;
			if (this.sealed) {
				return;
			}
			if (vconn != null && vconn.isClosed()) {
				violation(event + " delivered after the VConn was closed: " + vconn);
			}
			if (!held) {
				violation(event + " delivered without holding the continuation's mutex");
			}
			this.events.add(new Event(event, data, vconn, Thread.currentThread(), held, ndone, System.nanoTime(),
					SEQUENCE.incrementAndGet()));
			this.handler.handle(event, data);
		}
		catch (Throwable ex) {
			this.violations.add(ex);
		}
		finally {
			this.inside.decrementAndGet();
		}
	}

	/** Stops checking and reacting: used before teardown closes VConns from the test thread. */
	void seal() {
		this.sealed = true;
	}

	private void violation(String message) {
		this.violations.add(new AssertionError(this.name + ": " + message));
	}

	// ---- reading the log ----

	List<Event> events() {
		return List.copyOf(this.events);
	}

	List<VConnEvent> types() {
		return this.events.stream().map(Event::type).collect(Collectors.toList());
	}

	List<Event> events(VConnEvent type) {
		return this.events.stream().filter((e) -> e.type() == type).collect(Collectors.toList());
	}

	int count(VConnEvent type) {
		return events(type).size();
	}

	int size() {
		return this.events.size();
	}

	/** Waits for the first event of a type. */
	Event await(VConnEvent type) {
		return awaitNth(type, 1);
	}

	/** Waits for the {@code n}th event of a type. */
	Event awaitNth(VConnEvent type, int n) {
		return until(() -> {
			List<Event> matching = events(type);
			return (matching.size() >= n) ? matching.get(n - 1) : null;
		});
	}

	/** Waits until {@code condition} returns non-null, failing early on a violation. */
	<T> T until(Callable<@Nullable T> condition) {
		return Awaitility.await().atMost(AWAIT).until(() -> {
			throwIfViolated();
			return condition.call();
		}, Objects::nonNull);
	}

	/** Runs {@code action} holding this continuation's mutex, as code outside a handler must. */
	void locked(ThrowingRunnable action) throws Exception {
		Lock mutex = mutex();
		mutex.lock();
		try {
			action.run();
		}
		finally {
			mutex.unlock();
		}
	}

	/** Like {@link #locked(ThrowingRunnable)}, returning a value. */
	<T> T lockedGet(Callable<T> action) throws Exception {
		Lock mutex = mutex();
		mutex.lock();
		try {
			return action.call();
		}
		finally {
			mutex.unlock();
		}
	}

	void throwIfViolated() {
		if (!this.violations.isEmpty()) {
			AssertionError error = new AssertionError(this.name + ": " + this.violations.size() + " violation(s), first: "
					+ this.violations.get(0), this.violations.get(0));
			for (Throwable other : new ArrayList<>(this.violations).subList(1, this.violations.size())) {
				error.addSuppressed(other);
			}
			throw error;
		}
	}

	void assertNoViolations() {
		throwIfViolated();
	}

	@Override
	public String toString() {
		return "EventLog[" + this.name + ", " + types() + "]";
	}

	@FunctionalInterface
	interface ThrowingRunnable {

		void run() throws Exception;

	}

}
