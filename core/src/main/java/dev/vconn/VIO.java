package dev.vconn;

import org.jspecify.annotations.Nullable;

/**
 * One read or write operation in progress on a {@link VConn} (Traffic Server's {@code TSVIO}).
 *
 * <p>A VIO moves up to {@link #nbytes()} bytes between the VConn and an {@link IOBuffer};
 * {@link #ndone()} counts what has moved. {@link Long#MAX_VALUE} means "until end of stream" for
 * a read and "until the VConn is closed" for a write.
 *
 * <p><b>Lifecycle:</b> a VIO is live from {@code read}/{@code write} until it completes, is
 * replaced by a new operation in the same direction, is shut down, or its VConn closes. After
 * that its methods still answer but change nothing and no event is delivered for it.
 *
 * <p><b>Threads:</b> all methods are safe from any thread; {@link #reenable()} and
 * {@link #setNBytes(long)} called off the event thread take effect on it shortly after.
 *
 * @since 0.1.0
 */
public interface VIO {

	/** The direction of a VIO. */
	enum Op {
		/** Reads from the VConn into an {@link IOBuffer}. */
		READ,
		/** Writes from an {@link IOBufferReader} to the VConn. */
		WRITE
	}

	/**
	 * The direction of this operation.
	 * @return READ or WRITE
	 */
	Op op();

	/**
	 * The total number of bytes this operation should move.
	 * @return the target, {@link Long#MAX_VALUE} for an unbounded operation
	 */
	long nbytes();

	/**
	 * Changes the target, for example once a length becomes known. A target at or below
	 * {@link #ndone()} completes the operation.
	 * @param nbytes the new target, at least 0
	 */
	void setNBytes(long nbytes);

	/**
	 * The number of bytes moved so far: for a read, bytes added to the buffer; for a write, bytes
	 * handed to the kernel.
	 * @return bytes done
	 */
	long ndone();

	/**
	 * {@code nbytes() - ndone()}.
	 * @return bytes still to move
	 */
	long ntodo();

	/**
	 * Tells the VConn that the buffer changed: resumes a read stalled on a full buffer or a write
	 * stalled on an empty one. Idempotent; does nothing on a finished VIO. This is the only way a
	 * stalled VIO resumes.
	 */
	void reenable();

	/**
	 * The VConn this operation belongs to.
	 * @return the VConn
	 */
	VConn vconn();

	/**
	 * The continuation that receives this operation's events.
	 * @return the continuation
	 */
	Continuation continuation();

	/**
	 * The buffer a read fills.
	 * @return the buffer, or {@code null} for a write
	 */
	@Nullable IOBuffer buffer();

	/**
	 * The reader a write drains.
	 * @return the reader, or {@code null} for a read
	 */
	@Nullable IOBufferReader reader();

	/**
	 * Whether this operation can still deliver events: not completed, replaced, shut down or
	 * closed.
	 * @return {@code true} while live
	 */
	boolean isActive();

}
