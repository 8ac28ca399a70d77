package dev.vconn;

import java.util.Objects;

import dev.vconn.internal.pair.PairCore;
import dev.vconn.internal.runtime.RuntimeAccess;

/**
 * Two connected in-memory {@link VConn}s: bytes written to one end are read from the other, with
 * the same events, backpressure, close, abort, shutdown and timeout rules as a socket VConn, and no
 * socket underneath (Traffic Server's {@code PluginVC}, allocated by {@code PluginVCCore::alloc}).
 * A server intercept gives the {@link #passive()} end to the plugin, which acts as the origin,
 * while the proxy speaks to it through the {@link #active()} end.
 *
 * <p><b>A test double for continuations:</b> a pair is also the simplest way to drive code written
 * against {@link VConn}: give one end to the continuation under test and play the other side of
 * the conversation on the other end, with real events and real backpressure, no network and no
 * mocks.
 * <pre>{@code
 * try (VConnRuntime runtime = VConnRuntime.create()) {
 *     VConnPair pair = VConnPair.create(runtime);
 *     myHandler.start(pair.passive());                   // the code under test
 *     IOBuffer request = IOBuffer.create();
 *     IOBufferReader toSend = request.allocReader();
 *     request.write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
 *     pair.active().write(client, toSend, toSend.avail());         // the handler reads the request
 *     pair.active().read(client, response, Long.MAX_VALUE);         // client sees the response, then EOS
 *     ...                                                           // close the active end and the buffers
 * }
 * }</pre>
 *
 * <p><b>Data path:</b> a write moves bytes from its {@link IOBufferReader} into the pair, at most
 * {@code bufferWaterMark} bytes per direction at a time (the pair's counterpart of a socket's send
 * buffer), and WRITE_COMPLETE means every byte was moved into the pair. A read on the other end
 * moves them on into its {@link IOBuffer}, and pauses while that buffer holds at least its
 * {@link IOBuffer#waterMark()} readable bytes, until {@link VIO#reenable()}. A writer facing a
 * reader that does not consume therefore stalls once the pair is full: memory per direction is
 * bounded by the reader buffer's water mark plus {@code bufferWaterMark}. Bytes are never copied:
 * both moves hand over the blocks of the writer's buffer by reference
 * ({@link IOBuffer#write(IOBufferReader, long)}).
 *
 * <p><b>Events:</b> as for socket VConns (see {@link VConn#read} and {@link VConn#write}):
 * READ_READY / READ_COMPLETE after each move into a read buffer, WRITE_READY / WRITE_COMPLETE after
 * each move into the pair and when a write asks for more data; no event for a direction after its
 * VIO completed, was replaced or was shut down, and no event at all for an end after its close or
 * abort. How one end's end of life shows on the other:
 * <table>
 * <caption>Effect on the other end</caption>
 * <tr><th>this end</th><th>other end's read</th><th>other end's write</th></tr>
 * <tr><td>{@link VConn#close()}</td><td>the bytes already moved into the pair, then EOS</td>
 * <td>ERROR</td></tr>
 * <tr><td>{@link VConn#abort(int)}, or a timeout it ignored</td><td>ERROR; bytes in the pair are
 * dropped</td><td>ERROR</td></tr>
 * <tr><td>{@code shutdown(false, true)}</td><td>the bytes already moved, then EOS</td>
 * <td>unaffected</td></tr>
 * <tr><td>{@code shutdown(true, false)}</td><td>unaffected</td><td>ERROR; bytes in the pair are
 * dropped</td></tr>
 * </table>
 * Bytes still in a closing or shutting-down end's write reader were never moved and are not
 * delivered; close or shut down only after WRITE_COMPLETE (or a WRITE_READY with an empty reader)
 * to lose nothing.
 *
 * <p><b>Timeouts:</b> each end has its own inactivity and active timeouts
 * ({@link VConn#setInactivityTimeout}, {@link VConn#setActiveTimeout}), starting with the runtime's
 * defaults; activity is a move into or out of that end. As for socket VConns, a timeout whose
 * handler neither closes, aborts nor re-arms a timeout aborts that end (cause
 * {@link AbortCause#TIMEOUT}), which the other end sees as an abort.
 *
 * <p><b>Threads:</b> both ends live on one event loop of the runtime (the caller's own loop when
 * {@link #create} is called on one of the runtime's event threads), and every event of both ends
 * is delivered there, holding the continuation's {@link Continuation#mutex()}, taken with
 * {@code tryLock} and retried shortly after when busy, so a busy continuation never blocks the
 * loop. Every method of either end is safe from any thread; calls off the loop take effect on it
 * shortly after. A handler may close or abort either end from inside an event.
 *
 * <p><b>Ownership:</b> the creator owns both ends and must end each one with exactly one
 * {@link VConn#close()} or {@link VConn#abort(int)} (further calls are no-ops), or hand an end on
 * to someone who will (a server intercept hands the passive end to the plugin). Buffers given to
 * {@code read}/{@code write} stay the caller's, as for any VConn; the pair releases every block it
 * holds once both ends have ended.
 *
 * <p><b>Accounting:</b> each end is a live VConn of the runtime from creation until it ends: it
 * counts in {@link VConnRuntime#activeCount()}, {@link VConnRuntime#vconns()} and
 * {@link VConnRuntime#find(long)}, is reported to the {@link VConnListener}s with
 * {@link AdoptionSource#INTERCEPT} when created, {@link VConnListener#onBytes} for each move and
 * {@link VConnListener#onClosed} once when it ends. An end that is still open when the other end
 * aborts is reported with {@link VConnListener#onAborted} cause {@link AbortCause#PEER} and ends as
 * {@link CloseKind#ERROR}, as a socket VConn whose peer reset the connection. The ends hold no
 * descriptor ({@link VConn#fd()} is -1, both addresses are {@code null}) and do not count toward
 * {@link VConnRuntime#maxConnections()}. {@link VConnRuntime#close()} waits for them like any
 * VConn and aborts those still open with {@link AbortCause#SHUTDOWN}.
 *
 * @since 0.1.0
 */
public final class VConnPair {

	private final VConn active;

	private final VConn passive;

	private VConnPair(PairCore core) {
		this.active = core.active();
		this.passive = core.passive();
	}

	/**
	 * Creates a connected pair that holds at most {@link IOBuffer#DEFAULT_WATER_MARK} bytes (32 KiB,
	 * Traffic Server's {@code PVC_DEFAULT_MAX_BYTES}) per direction between the ends.
	 * <p><b>Threads:</b> callable from any thread, never blocks.
	 * @param runtime the runtime whose event loop drives the pair and which counts its ends
	 * @return the pair, both ends open and owned by the caller
	 * @throws AdoptionException with {@link AdoptionFailureReason#SHUTTING_DOWN} once
	 * {@link VConnRuntime#close()} has started (also reported to the listeners as a failed
	 * adoption with {@link AdoptionSource#INTERCEPT})
	 */
	public static VConnPair create(VConnRuntime runtime) {
		return create(runtime, IOBuffer.DEFAULT_WATER_MARK);
	}

	/**
	 * Creates a connected pair that holds at most {@code bufferWaterMark} bytes per direction
	 * between the ends: a write moves bytes into the pair only while the bytes it moved earlier and
	 * the other end has not read yet are fewer than this. Larger values mean fewer, larger moves;
	 * smaller values bound memory more tightly.
	 * <p><b>Threads:</b> callable from any thread, never blocks.
	 * @param runtime the runtime whose event loop drives the pair and which counts its ends
	 * @param bufferWaterMark the most bytes held per direction, at least 1
	 * @return the pair, both ends open and owned by the caller
	 * @throws IllegalArgumentException if {@code bufferWaterMark} is below 1
	 * @throws AdoptionException with {@link AdoptionFailureReason#SHUTTING_DOWN} once
	 * {@link VConnRuntime#close()} has started
	 */
	public static VConnPair create(VConnRuntime runtime, int bufferWaterMark) {
		Objects.requireNonNull(runtime, "runtime");
		return new VConnPair(PairCore.create(RuntimeAccess.core(runtime), bufferWaterMark));
	}

	/**
	 * The active end: the one the proxy uses, as the server connection of a server intercept.
	 * @return the active end, the same instance on every call
	 */
	public VConn active() {
		return this.active;
	}

	/**
	 * The passive end: the one handed to the plugin, which plays the server.
	 * @return the passive end, the same instance on every call
	 */
	public VConn passive() {
		return this.passive;
	}

	@Override
	public String toString() {
		return "VConnPair[active=" + this.active.id() + ", passive=" + this.passive.id() + "]";
	}

}
