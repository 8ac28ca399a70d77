package dev.vconn.pair;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

import dev.vconn.Continuation;
import dev.vconn.VConnEvent;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;

/**
 * A continuation that records every event with the thread it arrived on and whether its mutex was
 * held, then runs an optional behaviour.
 */
final class Recorder implements Continuation {

	record Event(VConnEvent type, @Nullable Object data, Thread thread, boolean mutexHeld) {
	}

	private final ReentrantLock lock = new ReentrantLock();

	private final List<Event> events = new CopyOnWriteArrayList<>();

	private final Continuation behaviour;

	Recorder() {
		this((event, data) -> {
		});
	}

	Recorder(Continuation behaviour) {
		this.behaviour = behaviour;
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		this.events.add(new Event(event, data, Thread.currentThread(), this.lock.isHeldByCurrentThread()));
		this.behaviour.handleEvent(event, data);
	}

	@Override
	public Lock mutex() {
		return this.lock;
	}

	ReentrantLock lock() {
		return this.lock;
	}

	List<Event> events() {
		return List.copyOf(this.events);
	}

	List<VConnEvent> types() {
		return this.events.stream().map(Event::type).collect(Collectors.toList());
	}

	boolean saw(VConnEvent type) {
		return types().contains(type);
	}

	int count(VConnEvent type) {
		return (int) this.events.stream().filter((e) -> e.type() == type).count();
	}

	Event last() {
		return this.events.get(this.events.size() - 1);
	}

	/** Waits for the first event of that type. */
	Event await(VConnEvent type) {
		Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2)).until(() -> saw(type));
		return this.events.stream().filter((e) -> e.type() == type).findFirst().orElseThrow();
	}

	@Override
	public String toString() {
		return "Recorder" + types();
	}

}
