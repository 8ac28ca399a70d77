package dev.vconn.internal.runtime;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.vconn.Continuation;

/**
 * Gives each continuation instance its own lock for as long as the instance is reachable, keyed by
 * identity (a lambda or a class with its own {@code equals} still gets one lock per instance).
 * Looked up once per VIO, not per event.
 */
public final class ContinuationMutexes {

	private static final ConcurrentHashMap<Key, Lock> MUTEXES = new ConcurrentHashMap<>();

	private static final ReferenceQueue<Continuation> COLLECTED = new ReferenceQueue<>();

	private ContinuationMutexes() {
	}

	/**
	 * The lock of a continuation that does not choose its own.
	 * @param continuation the continuation
	 * @return its lock, the same instance on every call
	 */
	public static Lock mutexOf(Continuation continuation) {
		expungeCollected();
		return MUTEXES.computeIfAbsent(new Key(continuation, COLLECTED), (key) -> new ReentrantLock());
	}

	private static void expungeCollected() {
		Object key;
		while ((key = COLLECTED.poll()) != null) {
			MUTEXES.remove(key);
		}
	}

	private static final class Key extends WeakReference<Continuation> {

		private final int hash;

		Key(Continuation referent, ReferenceQueue<Continuation> queue) {
			super(referent, queue);
			this.hash = System.identityHashCode(referent);
		}

		@Override
		public boolean equals(Object other) {
			if (this == other) {
				return true;
			}
			if (!(other instanceof Key)) {
				return false;
			}
			Continuation referent = get();
			return referent != null && referent == ((Key) other).get();
		}

		@Override
		public int hashCode() {
			return this.hash;
		}

	}

}
