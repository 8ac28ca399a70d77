package dev.vconn.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.vconn.Continuation;
import dev.vconn.VConnEvent;
import org.jspecify.annotations.Nullable;

/**
 * A continuation that records every event it receives, with the thread it arrived on and whether
 * its mutex was held, then hands the event to an optional behaviour. Give it to
 * {@code VConn.read}/{@code write} (or to the code under test as its continuation) and wait for
 * the events a user of the VConn would see:
 * <pre>{@code
 * EventRecorder reader = EventRecorder.create();
 * pair.active().read(reader, IOBuffer.create(), Long.MAX_VALUE);
 * pair.passive().close();
 * reader.await(VConnEvent.VCONN_EOS, Duration.ofSeconds(5));
 * assertThat(reader.types()).containsExactly(VConnEvent.VCONN_EOS);
 * }</pre>
 *
 * <p><b>Threads:</b> safe from any thread. Events are recorded on the thread that delivers them
 * (an event thread, holding {@link #mutex()}); the behaviour runs there too, after recording.
 *
 * <p><b>Ownership:</b> event data (the {@code VConn} of {@code NET_ACCEPT}, a {@code VIO}) is
 * recorded by reference and stays owned as the event's contract says.
 *
 * @since 0.1.0
 */
public final class EventRecorder implements Continuation {

	private final ReentrantLock mutex = new ReentrantLock();

	private final Condition recorded = this.mutex.newCondition();

	private final List<Event> events = new ArrayList<>();

	private final Continuation behaviour;

	private EventRecorder(Continuation behaviour) {
		this.behaviour = behaviour;
	}

	/**
	 * Creates a recorder that only records.
	 * @return a new recorder
	 */
	public static EventRecorder create() {
		return new EventRecorder((event, data) -> {
		});
	}

	/**
	 * Creates a recorder that records each event, then hands it to {@code behaviour}, with this
	 * recorder's mutex held.
	 * @param behaviour what to do with each event, such as closing the VConn on EOS
	 * @return a new recorder
	 */
	public static EventRecorder create(Continuation behaviour) {
		return new EventRecorder(Objects.requireNonNull(behaviour, "behaviour"));
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		this.mutex.lock();
		try {
			// held once already when the runtime delivers the event; more than once means re-entered by the caller
			this.events.add(new Event(event, data, Thread.currentThread().getName(), this.mutex.getHoldCount() > 1));
			this.recorded.signalAll();
		}
		finally {
			this.mutex.unlock();
		}
		this.behaviour.handleEvent(event, data);
	}

	/**
	 * The recorder's own mutex, which the runtime holds while it delivers an event.
	 * @return the mutex
	 */
	@Override
	public Lock mutex() {
		return this.mutex;
	}

	/**
	 * Every event so far, oldest first.
	 * @return a snapshot
	 */
	public List<Event> events() {
		this.mutex.lock();
		try {
			return List.copyOf(this.events);
		}
		finally {
			this.mutex.unlock();
		}
	}

	/**
	 * The types of every event so far, oldest first.
	 * @return a snapshot
	 */
	public List<VConnEvent> types() {
		return events().stream().map(Event::type).toList();
	}

	/**
	 * How many events of a type arrived so far.
	 * @param type the event type
	 * @return the count
	 */
	public int count(VConnEvent type) {
		return (int) events().stream().filter((event) -> event.type() == type).count();
	}

	/**
	 * Waits until an event of the type has arrived, and returns the first one.
	 * <p><b>Threads:</b> blocks the caller; never call it on an event thread.
	 * @param type the event type
	 * @param timeout how long to wait
	 * @return the first event of that type
	 * @throws AssertionError if none arrived within the timeout; the message lists what did
	 */
	public Event await(VConnEvent type, Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		this.mutex.lock();
		try {
			while (true) {
				for (Event event : this.events) {
					if (event.type() == type) {
						return event;
					}
				}
				long left = deadline - System.nanoTime();
				if (left <= 0) {
					throw new AssertionError("No " + type + " within " + timeout + "; events so far: "
							+ this.events.stream().map(Event::type).toList());
				}
				this.recorded.awaitNanos(left);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("Interrupted while waiting for " + type, ex);
		}
		finally {
			this.mutex.unlock();
		}
	}

	/**
	 * One recorded event.
	 *
	 * @param type the event
	 * @param data its data, as the continuation received it
	 * @param thread the name of the thread it arrived on
	 * @param mutexHeld whether the recorder's mutex was already held when it arrived, as the
	 * runtime holds it for every event it delivers
	 */
	public record Event(VConnEvent type, @Nullable Object data, String thread, boolean mutexHeld) {

	}

}
