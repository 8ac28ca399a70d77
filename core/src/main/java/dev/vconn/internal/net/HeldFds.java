package dev.vconn.internal.net;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.netty.channel.unix.FileDescriptor;
import org.jspecify.annotations.Nullable;

/**
 * The descriptor numbers VConn runtimes hold in this process, so that adopting one of them fails
 * instead of giving a socket a second owner. Descriptor numbers are process-wide, so this is one
 * registry for every runtime: listener sockets, the connections they accept, origin connections,
 * VConn descriptors and their duplicates, splice pipes, and each event loop's epoll, event and
 * timer descriptors.
 *
 * <p>The runtime takes a number as soon as the kernel hands it out ({@link #take}), and gives it
 * back only after {@code close(2)} returned ({@link Hold#release()}): the number is never open and
 * free at once. An adoption claims the number first ({@link #claim}); a claim that meets a close in
 * progress waits for it, so that a number being reused right now is not refused. A close is in
 * progress once its holder said so ({@link Hold#closing()}) or, for a channel, once Netty marked the
 * channel's descriptor closed, which it does just before {@code close(2)} whoever closes the channel
 * (its owner, a peer's reset, a failed write). A channel gives its number back from a close
 * listener, which runs on its loop after the close: when that loop is slow to run it, the claim
 * takes the number over, since the descriptor Netty closed no longer holds it. A number the runtime
 * takes while an adoption holds its claim supersedes the claim, which the adoption checks before it
 * changes anything.
 */
final class HeldFds {

	/** How long a claim waits for a close in progress to give the number back. */
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
		return take(fd, null);
	}

	/**
	 * Takes the number of a channel's descriptor (see {@link #take(int)}); the hold's close is in
	 * progress as soon as Netty marks the descriptor closed, however the channel is closed.
	 * @param descriptor the channel's descriptor, open
	 * @return the hold, to release once the channel is closed
	 */
	static Hold take(FileDescriptor descriptor) {
		return take(descriptor.intValue(), descriptor);
	}

	private static Hold take(int fd, @Nullable FileDescriptor descriptor) {
		Hold hold = new Hold(fd, descriptor);
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
		Hold claim = new Hold(fd, null);
		long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
		while (true) {
			Hold current = HELD.putIfAbsent(fd, claim);
			if (current == null) {
				return claim;
			}
			if (!current.isClosing()) {
				return null;
			}
			if (System.nanoTime() - deadline > 0) {
				if (current.isDescriptorClosed() && HELD.replace(fd, current, claim)) {
					current.superseded = true;
					return claim;
				}
				return null;
			}
			// the holder's thread is between close(2) and giving the number back: let it run
			Thread.yield();
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

		/** The channel's descriptor, whose closed mark shows a close that no one announced; else null. */
		private final @Nullable FileDescriptor descriptor;

		private volatile boolean closing;

		private volatile boolean superseded;

		private Hold(int fd, @Nullable FileDescriptor descriptor) {
			this.fd = fd;
			this.descriptor = descriptor;
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

		private boolean isClosing() {
			return this.closing || isDescriptorClosed();
		}

		/** Whether Netty marked the channel's descriptor closed: it calls {@code close(2)} right after. */
		private boolean isDescriptorClosed() {
			return this.descriptor != null && !this.descriptor.isOpen();
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
