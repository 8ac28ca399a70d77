package dev.vconn.internal.net;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

/**
 * The pipes splicing tunnels borrow while a direction moves bytes (HAProxy's {@code maxpipes}):
 * at most {@code max} exist at once in a runtime; a direction that goes idle gives its pipe back,
 * and up to {@link #KEEP_IDLE} empty pipes are kept open for the next one. With none left, a
 * direction copies instead. Thread-safe: every event loop of the runtime shares the pool.
 */
final class PipePool {

	/** Empty pipes kept open for reuse; the rest are closed when given back. */
	static final int KEEP_IDLE = 16;

	/** The kernel's capacity of a new pipe, used when it cannot say. */
	private static final int DEFAULT_CAPACITY = 64 * 1024;

	/** A pipe's two ends, held in {@link HeldFds} while open. */
	static final class Pipe {

		final int readFd;

		final int writeFd;

		/** Bytes the pipe holds when full: what one {@code splice(2)} into it may move. */
		final int capacity;

		private final HeldFds.Hold readHold;

		private final HeldFds.Hold writeHold;

		private Pipe(int readFd, int writeFd, int capacity) {
			this.capacity = capacity;
			this.readFd = readFd;
			this.writeFd = writeFd;
			this.readHold = HeldFds.take(readFd);
			this.writeHold = HeldFds.take(writeFd);
		}

		private void close() {
			closeEnd(this.readFd, this.readHold);
			closeEnd(this.writeFd, this.writeHold);
		}

		private static void closeEnd(int fd, HeldFds.Hold hold) {
			hold.closing();
			LibC.close(fd);
			hold.release();
		}

	}

	private final int max;

	private final int size;

	private final AtomicInteger open = new AtomicInteger();

	private final AtomicInteger borrowed = new AtomicInteger();

	private final ConcurrentLinkedDeque<Pipe> idle = new ConcurrentLinkedDeque<>();

	private volatile boolean closed;

	/**
	 * @param max the most pipes open at once; 0 means never splice
	 * @param size the capacity to ask for each pipe; 0 keeps the kernel's default
	 */
	PipePool(int max, int size) {
		this.max = max;
		this.size = size;
	}

	/**
	 * Borrows an empty pipe.
	 * @return the pipe, or null if the pool is exhausted (or a pipe could not be made): copy instead
	 */
	@Nullable Pipe acquire() {
		Pipe pipe = this.idle.pollFirst();
		if (pipe == null) {
			pipe = create();
		}
		if (pipe != null) {
			this.borrowed.incrementAndGet();
		}
		return pipe;
	}

	private @Nullable Pipe create() {
		while (true) {
			int current = this.open.get();
			if (current >= this.max) {
				return null;
			}
			if (this.open.compareAndSet(current, current + 1)) {
				break;
			}
		}
		int[] fds = new int[2];
		if (LibC.pipe2(fds, LibC.O_CLOEXEC | LibC.O_NONBLOCK) == -1) {
			this.open.decrementAndGet();
			return null;
		}
		int capacity = (this.size > 0) ? LibC.fcntl(fds[1], LibC.F_SETPIPE_SZ, this.size) : -1;
		if (capacity <= 0) {
			// refused or not asked: the pipe has what the kernel gave it (less than the default when
			// the user's pipe allowance is spent)
			capacity = LibC.fcntl(fds[1], LibC.F_GETPIPE_SZ, 0);
		}
		return new Pipe(fds[0], fds[1], (capacity > 0) ? capacity : DEFAULT_CAPACITY);
	}

	/**
	 * Gives a pipe back.
	 * @param pipe the pipe
	 * @param empty whether it holds no bytes (a pipe with bytes left is closed, never reused)
	 */
	void release(Pipe pipe, boolean empty) {
		this.borrowed.decrementAndGet();
		if (empty && !this.closed && this.idle.size() < KEEP_IDLE) {
			this.idle.addFirst(pipe);
			if (!this.closed || !this.idle.remove(pipe)) {
				return; // kept, or closed meanwhile by close()
			}
		}
		pipe.close();
		this.open.decrementAndGet();
	}

	/**
	 * Whether splicing may borrow pipes at all.
	 * @return false if the limit is 0
	 */
	boolean isEnabled() {
		return this.max > 0;
	}

	/**
	 * Pipes borrowed by directions moving bytes right now.
	 * @return the count
	 */
	int borrowed() {
		return this.borrowed.get();
	}

	/**
	 * Pipes open now, borrowed or idle.
	 * @return the count
	 */
	int open() {
		return this.open.get();
	}

	/**
	 * Empty pipes kept for reuse now: held by design while the runtime runs.
	 * @return the count
	 */
	int idle() {
		return this.idle.size();
	}

	/**
	 * Closes the idle pipes, on runtime shutdown once every VConn is gone; a pipe given back later
	 * is closed, not kept.
	 */
	void close() {
		this.closed = true;
		Pipe pipe;
		while ((pipe = this.idle.pollFirst()) != null) {
			pipe.close();
			this.open.decrementAndGet();
		}
	}

}
