package dev.vconn;

/**
 * Follows one adoption or connect from its start to its end: what a {@link VConnListener} returns
 * from {@link VConnListener#onAdoptionStarted}, so that tracing (the Spring Boot starter's
 * Micrometer observations) can open a span when the attempt starts and close it when it ends,
 * with state kept in the observer instead of a lookup table.
 *
 * <p><b>Contract:</b> exactly one of {@link #onAdopted} and {@link #onFailed} is called, once, and
 * after the runtime-wide {@link VConnListener#onAdopted} or {@link VConnListener#onAdoptionFailed}
 * of the same attempt. Both methods have no-op defaults.
 *
 * <p><b>Threads:</b> an adoption ({@link VConnFactory#adopt(int)},
 * {@link VConnFactory#adopt(java.nio.channels.SocketChannel)}) ends on the thread that started it;
 * a connect usually ends on the new VConn's event thread, or on the calling thread when it is
 * refused at once. The end may therefore run on another thread than the start: an observer hands
 * its state over safely (the runtime's hand-over happens-before the end callback) but must not rely
 * on thread-local state set at the start. Callbacks must be fast and must not block; what they throw
 * is caught and logged.
 *
 * @since 0.1.0
 */
public interface AdoptionObserver {

	/**
	 * An observer that ignores both callbacks.
	 * @return the shared no-op observer
	 */
	static AdoptionObserver noop() {
		return NoopAdoptionObserver.INSTANCE;
	}

	/**
	 * The attempt produced a VConn.
	 * @param vconn the new VConn, already live; the observer must not close it
	 */
	default void onAdopted(VConn vconn) {
	}

	/**
	 * The attempt failed; the socket was left as it was.
	 * @param reason why it failed
	 */
	default void onFailed(AdoptionFailureReason reason) {
	}

}

/** The observer {@link AdoptionObserver#noop()} returns; compared by identity to skip work. */
final class NoopAdoptionObserver implements AdoptionObserver {

	static final AdoptionObserver INSTANCE = new NoopAdoptionObserver();

	private NoopAdoptionObserver() {
	}

}
