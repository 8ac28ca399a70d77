package dev.vconn.internal.net;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
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

	private static final System.Logger logger = System.getLogger(PipePool.class.getName());

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

	/** Whether the kernel's refusal of {@link #size} was logged: once per pool, not per pipe. */
	private final AtomicBoolean refusalLogged = new AtomicBoolean();

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
		int refusedErrno = (this.size > 0 && capacity <= 0) ? LibC.errno() : 0;
		if (capacity <= 0) {
			// refused or not asked: the pipe has what the kernel gave it (less than the default when
			// the user's pipe allowance is spent)
			capacity = LibC.fcntl(fds[1], LibC.F_GETPIPE_SZ, 0);
		}
		capacity = (capacity > 0) ? capacity : DEFAULT_CAPACITY;
		if (refusedErrno != 0 && this.refusalLogged.compareAndSet(false, true)) {
			logger.log(System.Logger.Level.WARNING, "Splicing pipes have " + capacity + " bytes, not the " + this.size
					+ " asked (VConnRuntime.Builder.pipeSize, vconn.pipe-size): the kernel refused the size ("
					+ whyRefused(refusedErrno) + "); splicing goes on with the smaller pipes");
		}
		return new Pipe(fds[0], fds[1], capacity);
	}

	/** Why {@code F_SETPIPE_SZ} failed, with what an operator can do about it. */
	private static String whyRefused(int errno) {
		if (errno == LibC.EPERM) {
			return "above fs.pipe-max-size, " + pipeMaxSize() + " bytes, without CAP_SYS_RESOURCE, or past the user's "
					+ "hard pipe allowance, fs.pipe-user-pages-hard";
		}
		if (errno == LibC.ENOMEM) {
			return "no memory for the pipe's buffers";
		}
		return "errno " + errno;
	}

	private static String pipeMaxSize() {
		// a stream read to its end: Files.readAllBytes trusts the size procfs reports, and reads too little
		try (InputStream in = new FileInputStream("/proc/sys/fs/pipe-max-size")) {
			return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
		}
		catch (IOException | RuntimeException ex) {
			return "unknown";
		}
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
