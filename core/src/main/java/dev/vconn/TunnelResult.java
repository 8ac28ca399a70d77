package dev.vconn;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Tunnel} ended: the bytes moved each way, which side ended first and how.
 *
 * @since 0.1.0
 */
public final class TunnelResult {

	/** One of the two VConns of a tunnel, in the order they were given. */
	public enum Side {

		/** The first VConn given to the tunnel. */
		A,

		/** The second VConn given to the tunnel. */
		B

	}

	/** How the tunnel ended. */
	public enum End {

		/** Both sides finished sending (end of stream) and everything was delivered. */
		EOS,

		/** A side was reset or failed; the other side was aborted. */
		RESET,

		/** A timeout fired on a side; both were aborted. */
		TIMEOUT,

		/** A side was closed or aborted from outside the tunnel (for example by runtime shutdown). */
		ABORTED,

		/**
		 * The tunnel went on in another process, which took both sockets and the bytes in flight
		 * over (a takeover, {@code VConnHandoff}); this process closed its copies.
		 */
		HANDED_OVER

	}

	private final long bytesAToB;

	private final long bytesBToA;

	private final Side firstEnded;

	private final End end;

	private final boolean spliced;

	private final Duration duration;

	/**
	 * Creates a result.
	 * @param bytesAToB bytes delivered from A to B
	 * @param bytesBToA bytes delivered from B to A
	 * @param firstEnded the side that ended first
	 * @param end how the tunnel ended
	 * @param spliced whether bytes moved by zero-copy {@code splice(2)} rather than through buffers
	 * @param duration how long the tunnel ran
	 */
	public TunnelResult(long bytesAToB, long bytesBToA, Side firstEnded, End end, boolean spliced, Duration duration) {
		this.bytesAToB = bytesAToB;
		this.bytesBToA = bytesBToA;
		this.firstEnded = Objects.requireNonNull(firstEnded, "firstEnded");
		this.end = Objects.requireNonNull(end, "end");
		this.spliced = spliced;
		this.duration = Objects.requireNonNull(duration, "duration");
	}

	/**
	 * Bytes delivered from A to B (handed to B's kernel).
	 * @return the count
	 */
	public long bytesAToB() {
		return this.bytesAToB;
	}

	/**
	 * Bytes delivered from B to A (handed to A's kernel).
	 * @return the count
	 */
	public long bytesBToA() {
		return this.bytesBToA;
	}

	/**
	 * The side whose end (end of stream, reset, timeout, close) ended the first direction.
	 * @return A or B
	 */
	public Side firstEnded() {
		return this.firstEnded;
	}

	/**
	 * How the tunnel ended.
	 * @return the end
	 */
	public End end() {
		return this.end;
	}

	/**
	 * Whether the bytes moved with zero-copy {@code splice(2)} between two epoll sockets.
	 * @return {@code true} when spliced
	 */
	public boolean spliced() {
		return this.spliced;
	}

	/**
	 * How long the tunnel ran.
	 * @return the duration
	 */
	public Duration duration() {
		return this.duration;
	}

	@Override
	public String toString() {
		return "TunnelResult[aToB=" + this.bytesAToB + ", bToA=" + this.bytesBToA + ", firstEnded=" + this.firstEnded
				+ ", end=" + this.end + ", spliced=" + this.spliced + ", duration=" + this.duration + "]";
	}

}
