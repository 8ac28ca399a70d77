package dev.vconn;

import java.util.Objects;
import java.util.concurrent.locks.Lock;

import dev.vconn.internal.runtime.ContinuationMutexes;
import org.jspecify.annotations.Nullable;

/**
 * Receives the events of the VIOs and connections it is given: the counterpart of Traffic
 * Server's {@code TSCont}.
 *
 * <p><b>Threads:</b> events are delivered on the event thread of the VConn concerned while
 * holding this continuation's {@link #mutex()}; a continuation is therefore never called
 * concurrently with itself, even when it handles VConns on different event threads. The event
 * thread only try-locks: if the mutex is held elsewhere the delivery is retried shortly after, so
 * holding the mutex never blocks an event thread, but holding it for long delays delivery.
 *
 * <p><b>Handlers must not block:</b> no blocking I/O, {@code join()}, or waiting on another
 * VConn's events inside {@link #handleEvent}. Offload such work and come back with
 * {@link VIO#reenable()} or a new {@code read}/{@code write}.
 *
 * <p><b>Buffers:</b> code that touches an {@link IOBuffer} attached to a live VIO from outside
 * {@link #handleEvent} must hold {@link #mutex()} while doing so.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface Continuation {

	/**
	 * Handles one event.
	 * <p><b>Threads:</b> called on the event thread of the VConn concerned, holding {@link #mutex()}.
	 * The handler may call any VConn or VIO method, including {@link VConn#close()}, after which
	 * it receives no further event for that VConn.
	 * @param event what happened
	 * @param data the event's argument: see {@link VConnEvent} for what each event carries
	 */
	void handleEvent(VConnEvent event, @Nullable Object data);

	/**
	 * The lock that serialises calls to this continuation (Traffic Server's continuation mutex).
	 * <p>The default gives every continuation instance its own lock, kept for as long as the
	 * instance is reachable. Override it, or use {@link #withMutex}, to share one lock among
	 * several continuations.
	 * @return the lock, always the same instance for a given continuation
	 */
	default Lock mutex() {
		return ContinuationMutexes.mutexOf(this);
	}

	/**
	 * Wraps a handler so that it is serialised by the given lock.
	 * @param mutex the lock to hold while the handler runs
	 * @param handler the handler
	 * @return a continuation whose {@link #mutex()} is {@code mutex}
	 */
	static Continuation withMutex(Lock mutex, Continuation handler) {
		Objects.requireNonNull(mutex, "mutex");
		Objects.requireNonNull(handler, "handler");
		return new Continuation() {
			@Override
			public void handleEvent(VConnEvent event, @Nullable Object data) {
				handler.handleEvent(event, data);
			}

			@Override
			public Lock mutex() {
				return mutex;
			}
		};
	}

}
