package dev.vconn.internal.net;

import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.channel.Channel;
import org.jspecify.annotations.Nullable;

/**
 * The descriptor a caller handed to {@code adopt(int)}, and the close-on-exec duplicate Netty works
 * on. The caller's descriptor is claimed in {@link HeldFds} from the first check on, and closed
 * exactly once: by {@link #close()} when the VConn is released, never on a failed adoption (then
 * {@link #rollback()} gives the claim back and leaves the descriptor open). The duplicate belongs
 * to this object until {@link #wrap} hands it to a channel, which closes it with the channel;
 * before that, {@link #rollback()} closes it.
 */
final class AdoptedFd {

	private final HeldFds.Hold claim;

	private final AtomicBoolean closed = new AtomicBoolean();

	private int duplicate = -1;

	private boolean duplicateHandedOver;

	private AdoptedFd(HeldFds.Hold claim) {
		this.claim = claim;
	}

	/**
	 * Claims {@code fd} for an adoption.
	 * @param fd the caller's descriptor
	 * @return the claim, or null if a runtime holds the descriptor or another adoption claimed it
	 */
	static @Nullable AdoptedFd claim(int fd) {
		HeldFds.Hold claim = HeldFds.claim(fd);
		return (claim != null) ? new AdoptedFd(claim) : null;
	}

	int fd() {
		return this.claim.fd();
	}

	/** Whether the claim still stands: false if a runtime took the number since (it was closed and reused). */
	boolean isClaimed() {
		return this.claim.isCurrent();
	}

	/**
	 * Duplicates the caller's descriptor (close-on-exec, never 0, 1 or 2).
	 * @return the duplicate, or -1 with {@code errno} set
	 */
	int duplicate() {
		this.duplicate = LibC.fcntl(fd(), LibC.F_DUPFD_CLOEXEC, 3);
		return this.duplicate;
	}

	/**
	 * Wraps the duplicate in a channel, which owns it from then on.
	 * @param unix whether the socket is AF_UNIX
	 * @return the unregistered channel
	 * @throws RuntimeException if Netty refuses the descriptor (the duplicate stays with this object)
	 */
	Channel wrap(boolean unix) {
		Channel channel = HeldChannels.wrap(this.duplicate, unix);
		this.duplicateHandedOver = true;
		return channel;
	}

	/** The adoption failed: closes a duplicate no channel took, and leaves the caller's descriptor open and unclaimed. */
	void rollback() {
		if (this.duplicate >= 0 && !this.duplicateHandedOver) {
			LibC.close(this.duplicate);
		}
		this.claim.release();
	}

	/**
	 * Closes the caller's descriptor, once, after its channel closed the duplicate.
	 * @return 0, or the {@code errno} of a failed {@code close(2)}
	 */
	int close() {
		if (!this.closed.compareAndSet(false, true)) {
			return 0;
		}
		this.claim.closing();
		int errno = (LibC.close(fd()) == -1) ? LibC.errno() : 0;
		this.claim.release();
		return errno;
	}

}
