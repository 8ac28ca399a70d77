package dev.vconn;

import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import org.jspecify.annotations.Nullable;

/**
 * A virtual connection: a bidirectional byte stream driven by one event thread (Traffic Server's
 * {@code TSVConn}).
 *
 * <p><b>Operations:</b> at most one read and one write are in progress at a time; a new
 * {@link #read} or {@link #write} replaces the previous operation of that direction, which then
 * gets no further event. Progress is reported to the operation's {@link Continuation} as
 * {@link VConnEvent}s.
 *
 * <p><b>Threads:</b> a VConn lives on one event thread for its whole life, and all of its events
 * are delivered there. Every method is safe to call from any thread; calls made elsewhere are
 * carried out on the event thread shortly after. A handler may call {@link #close()} or
 * {@link #abort(int)} from inside an event and receives no event for this VConn afterwards. To be
 * sure that no event is being delivered while you close from another thread, hold the
 * continuation's {@link Continuation#mutex()} while calling {@code close()}.
 *
 * <p><b>Ownership:</b> a VConn owns its socket from creation until it is closed or aborted; the
 * caller must end every VConn with exactly one of {@link #close()} or {@link #abort(int)}
 * (further calls are no-ops). Buffers passed to {@code read}/{@code write} stay the caller's and
 * must stay open while their operation is live.
 *
 * <p><b>Timeouts</b> fire {@link VConnEvent#VCONN_INACTIVITY_TIMEOUT} or
 * {@link VConnEvent#VCONN_ACTIVE_TIMEOUT}. Unlike Traffic Server, a timeout whose handler neither
 * closes, aborts nor re-arms a timeout aborts the VConn, so an ignored timeout never leaks a
 * connection.
 *
 * @since 0.1.0
 */
public interface VConn {

	/**
	 * A process-unique identifier, stable for the VConn's life.
	 * @return the id, at least 1
	 */
	long id();

	/**
	 * The file descriptor this VConn owns.
	 * @return the descriptor number passed to {@link VConnFactory#fdCreate(int)}, or -1 for VConns
	 * that are not built on a raw descriptor (JDK channels, connects on NIO, in-memory pairs)
	 */
	int fd();

	/**
	 * The peer's address, read when the VConn was created.
	 * @return the remote address, or {@code null} for in-memory VConns
	 */
	@Nullable SocketAddress remoteAddress();

	/**
	 * The local address, read when the VConn was created.
	 * @return the local address, or {@code null} for in-memory VConns
	 */
	@Nullable SocketAddress localAddress();

	/**
	 * The event thread that drives this VConn, as an executor: the port of Traffic Server's
	 * {@code TSContScheduleOnThread}. Work that touches this VConn and others runs cheapest on
	 * this thread: {@link VConnFactory#fdCreate(int)}, {@link VConnFactory#adopt(int)} and
	 * {@link VConnFactory#connect(SocketAddress)} called here put the new VConn on the same thread,
	 * so the events of both arrive on one thread and a continuation serving both never waits for
	 * its mutex across threads. (An adopted JDK {@code SocketChannel} goes to a NIO thread when the
	 * runtime runs epoll, wherever it is adopted.)
	 * <p><b>Contract:</b> {@code execute(task)} queues {@code task} and returns; it never runs the
	 * task inline, even when called on the event thread. Tasks run one at a time, in the order
	 * they were submitted (from one submitting thread, in that thread's order). A task runs
	 * without any continuation's mutex; one that throws is logged and does not stop the thread
	 * or later tasks.
	 * <p><b>Threads:</b> {@code execute} is callable from any thread; tasks run on this VConn's
	 * event thread, the thread that delivers its events.
	 * <p><b>Lifecycle:</b> the thread is shared with other VConns and outlives this one: tasks
	 * submitted after this VConn closed or was aborted still run on that thread as long as the
	 * runtime lives (check {@link #isClosed()} in the task; on the event thread its answer stays
	 * true once true). Once {@link VConnRuntime#close()} has returned, {@code execute} throws
	 * {@link RejectedExecutionException} and the task never runs. While {@code close()} runs, a
	 * task submitted runs or is rejected so, except in the last moments of the event thread: a
	 * task queued just as it stops is dropped, with a warning logged. A task that owns a resource
	 * (say, a descriptor to hand to {@code fdCreate}) must release it itself when rejected.
	 * @return the executor of this VConn's event thread; the same object on every call
	 * @since 0.1.0
	 */
	Executor eventThread();

	/**
	 * Starts reading up to {@code nbytes} bytes into {@code buffer}, replacing any read in
	 * progress. Bytes received and not yet delivered to a previous read are delivered to this one
	 * first. {@code nbytes == 0} disables reading.
	 * <p><b>Events</b> (to {@code cont}, data = the VIO): READ_READY after bytes were added and the
	 * read is not done; READ_COMPLETE when {@code nbytes} were added; EOS when the peer finished
	 * sending; ERROR on a reset or I/O error. Reading pauses while the buffer is at or above its
	 * water mark and resumes on {@link VIO#reenable()}.
	 * <p><b>Ownership:</b> the buffer stays the caller's; it must stay open while the VIO is live.
	 * @param cont receives the events
	 * @param buffer where bytes go
	 * @param nbytes how many bytes to read, {@link Long#MAX_VALUE} for "until end of stream"
	 * @return the operation; on a closed VConn, an inactive VIO that never delivers events
	 */
	VIO read(Continuation cont, IOBuffer buffer, long nbytes);

	/**
	 * Starts writing up to {@code nbytes} bytes taken from {@code reader}, replacing any write in
	 * progress. {@code nbytes == 0} disables writing.
	 * <p><b>Events</b> (to {@code cont}, data = the VIO): WRITE_READY when the reader has less
	 * than the rest of the operation (add more and {@link VIO#reenable()}) and after each transfer
	 * while not done; WRITE_COMPLETE when {@code nbytes} were handed to the kernel; ERROR on a
	 * reset or I/O error. A write stalled on an empty reader resumes on {@link VIO#reenable()}.
	 * <p><b>Ownership:</b> the reader stays the caller's; bytes are consumed from it as they are
	 * taken for sending.
	 * @param cont receives the events
	 * @param reader where bytes come from
	 * @param nbytes how many bytes to write, {@link Long#MAX_VALUE} for "until closed"
	 * @return the operation; on a closed VConn, an inactive VIO that never delivers events
	 */
	VIO write(Continuation cont, IOBufferReader reader, long nbytes);

	/**
	 * Closes the VConn: both operations end without further events and the socket is released.
	 * Bytes still in a write VIO's reader are not sent; bytes already taken for sending are
	 * delivered, then the peer sees end of stream. For a half-close that loses nothing, wait for
	 * WRITE_COMPLETE (or a WRITE_READY with an empty reader) before closing.
	 * Idempotent: later calls, and calls after {@link #abort(int)}, do nothing.
	 */
	void close();

	/**
	 * Aborts the VConn: like {@link #close()}, but everything pending is dropped and the peer sees
	 * a connection reset (TCP RST). Idempotent.
	 * @param error an application error code recorded with the abort (0 if none)
	 */
	void abort(int error);

	/**
	 * Shuts down one or both directions without closing. Shutting down reading ends the read
	 * VIO without further events; shutting down writing ends the write VIO, and the peer sees end
	 * of stream once the bytes already taken for sending are delivered. The socket stays owned
	 * until {@link #close()}.
	 * @param read shut down the read side
	 * @param write shut down the write side
	 */
	void shutdown(boolean read, boolean write);

	/**
	 * Whether {@link #close()} or {@link #abort(int)} was called.
	 * @return {@code true} once closed or aborted
	 */
	boolean isClosed();

	/**
	 * The lifecycle state.
	 * @return the state
	 */
	VConnState state();

	/**
	 * Sets the inactivity timeout: fired when no byte moves in either direction for this long.
	 * Each call re-arms it. {@link Duration#ZERO} cancels it.
	 * @param timeout the period, not negative
	 */
	void setInactivityTimeout(Duration timeout);

	/**
	 * Sets the active timeout: fired once this long after the call, whatever the traffic.
	 * {@link Duration#ZERO} cancels it.
	 * @param timeout the period, not negative
	 */
	void setActiveTimeout(Duration timeout);

	/**
	 * Bytes received from the peer so far.
	 * @return the count
	 */
	long bytesIn();

	/**
	 * Bytes handed to the kernel for the peer so far.
	 * @return the count
	 */
	long bytesOut();

	/**
	 * When the VConn was created.
	 * @return the creation time
	 */
	Instant createdAt();

}
