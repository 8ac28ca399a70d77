package dev.vconn.internal.net;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * The descriptor numbers VConn runtimes hold in this process, so that adopting one of them fails
 * instead of giving a socket a second owner. Descriptor numbers are process-wide, so this is one
 * registry for every runtime: listener sockets, the connections they accept, origin connections,
 * VConn descriptors and their duplicates, splice pipes, and each event loop's epoll, event and
 * timer descriptors.
 *
 * <p>The runtime takes a number as soon as the kernel hands it out ({@link #take}), and gives it
 * back only after {@code close(2)} returned ({@link Hold#closing()} then {@link Hold#release()}):
 * the number is never open and free at once. An adoption claims the number first
 * ({@link #claim}); a claim that meets a close in progress waits for it (a system call) so that a
 * number being reused right now is not refused. A number the runtime takes while an adoption holds
 * its claim supersedes the claim, which the adoption checks before it changes anything.
 */
final class HeldFds {

	/** How long a claim waits for a close in progress before refusing the number. */
	private static final long CLOSE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	private static final ConcurrentHashMap<Integer, Hold> HELD = new ConcurrentHashMap<>();

	private HeldFds() {
	}

	/**
	 * Takes a number the kernel just gave the runtime, superseding anything recorded for it (a claim
	 * in progress, or a holder that has not yet given back a number it closed).
	 * @param fd the descriptor
	 * @return the hold, to release once the descriptor is closed
	 */
	static Hold take(int fd) {
		Hold hold = new Hold(fd);
		Hold previous = HELD.put(fd, hold);
		if (previous != null) {
			previous.superseded = true;
		}
		return hold;
	}

	/**
	 * Claims a number for an adoption.
	 * @param fd the descriptor the caller offers
	 * @return the claim, or null if a runtime holds the number (or another adoption claimed it)
	 */
	static @Nullable Hold claim(int fd) {
		Hold claim = new Hold(fd);
		long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
		while (true) {
			Hold current = HELD.putIfAbsent(fd, claim);
			if (current == null) {
				return claim;
			}
			if (!current.closing || System.nanoTime() - deadline > 0) {
				return null;
			}
			Thread.onSpinWait();
		}
	}

	/**
	 * Marks the current holder of {@code fd} as closing it (see {@link Hold#closing()}).
	 * @param fd the descriptor about to be closed by its holder
	 */
	static void closing(int fd) {
		Hold hold = HELD.get(fd);
		if (hold != null) {
			hold.closing();
		}
	}

	/**
	 * Whether some runtime holds {@code fd} now.
	 * @param fd the descriptor
	 * @return whether it is held
	 */
	static boolean isHeld(int fd) {
		return HELD.containsKey(fd);
	}

	/** One holder of one descriptor number. */
	static final class Hold {

		private final int fd;

		private volatile boolean closing;

		private volatile boolean superseded;

		private Hold(int fd) {
			this.fd = fd;
		}

		/**
		 * The number held.
		 * @return the descriptor
		 */
		int fd() {
			return this.fd;
		}

		/** The descriptor is being closed: a claim waits instead of refusing. Call just before {@code close(2)}. */
		void closing() {
			this.closing = true;
		}

		/** Gives the number back; idempotent, and a no-op once another holder took it. */
		void release() {
			HELD.remove(this.fd, this);
		}

		/** Whether this is still the holder: false once released or superseded by the runtime. */
		boolean isCurrent() {
			return !this.superseded && HELD.get(this.fd) == this;
		}

	}

}
