package dev.vconn.internal.pair;

import java.net.SocketAddress;
import java.util.Objects;

import dev.vconn.CloseKind;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VIO;
import dev.vconn.internal.runtime.RuntimeCore;
import dev.vconn.internal.vconn.AbstractVConn;
import dev.vconn.internal.vconn.NetVIO;
import io.netty.channel.EventLoop;
import org.jspecify.annotations.Nullable;

/**
 * One end of an in-memory pair of VConns (Traffic Server's {@code PluginVC}); {@link PairCore}
 * makes the two ends and connects them.
 *
 * <p><b>Data path:</b> each end has an outbound {@link IOBuffer} of at most {@code capacity} bytes,
 * the pair's counterpart of a socket's send buffer. A write pass moves bytes from the write VIO's
 * reader into this end's outbound buffer; the peer's read pass moves them on from there into its
 * read VIO's buffer, never past that buffer's water mark. Both moves share blocks
 * ({@link IOBuffer#write(IOBufferReader, long)}); no byte is copied. A write stalled on a full
 * outbound buffer resumes when the peer's read drains it; a read stalled at its water mark resumes
 * on {@link VIO#reenable()}.
 *
 * <p><b>Threads:</b> both ends live on one event loop. Every field that is not volatile or atomic is
 * confined to it, including both outbound buffers and the peer's loop-confined state. A pass over
 * one direction touches only that direction's user buffer, and never calls into the peer's
 * continuation: it queues the peer's pass on the loop instead. The event rules are
 * {@link AbstractVConn}'s.
 *
 * <p><b>Ends of the stream:</b> the peer's read sees EOS once it has taken every byte this end moved
 * before closing or shutting down its write side, and ERROR at once if this end aborts (its
 * outbound bytes are dropped). The peer's write sees ERROR once this end is closed or has shut down
 * its read side (this end's inbound bytes are then dropped).
 */
final class PairVConn extends AbstractVConn {

	private final String side;

	private final int capacity;

	/** Bytes this end wrote that the peer has not read yet. Loop-confined once published. */
	private final IOBuffer outbound;

	/** The peer's read position in {@link #outbound}. */
	private final IOBufferReader outboundReader;

	/** Set once by {@link #connect}, before either end is published. */
	private @Nullable PairVConn peer;

	// ---- loop-confined state ----

	/** The peer aborted while this end was open. */
	private boolean peerAborted;

	/** The write pass stopped on a full outbound buffer; the peer's read wakes it. */
	private boolean writeWaitsForRoom;

	PairVConn(RuntimeCore runtime, long id, String side, EventLoop loop, int capacity) {
		super(runtime, id, loop);
		this.side = side;
		this.capacity = capacity;
		this.outbound = IOBuffer.create(capacity);
		this.outboundReader = this.outbound.allocReader();
	}

	void connect(PairVConn peer) {
		this.peer = peer;
	}

	/** Releases what a pair that never started holds; on the creating thread, nothing else has seen it. */
	void discardUnstarted() {
		discard();
		this.outbound.close();
	}

	private PairVConn peer() {
		return Objects.requireNonNull(this.peer);
	}

	@Override
	public int fd() {
		return -1;
	}

	@Override
	public @Nullable SocketAddress remoteAddress() {
		return null;
	}

	@Override
	public @Nullable SocketAddress localAddress() {
		return null;
	}

	@Override
	public String toString() {
		return "VConn[id=" + id() + ", in-memory " + this.side + " end, peer=" + peer().id() + ", state=" + state()
				+ "]";
	}

	// ---- read side: the peer's outbound buffer into the read VIO's buffer ----

	@Override
	protected long fill(NetVIO vio, IOBuffer buffer) {
		PairVConn peer = peer();
		if (peer.isAborted()) {
			return FAILED;
		}
		long avail = peer.outboundReader.avail();
		if (avail > 0) {
			long room = buffer.waterMark() - buffer.maxReadAvail();
			if (room <= 0) {
				return WAIT; // at the water mark: wait for reenable()
			}
			long n = buffer.write(peer.outboundReader, Math.min(Math.min(avail, vio.ntodo()), room));
			peer.outboundReader.consume(n);
			vio.addDone(n);
			moved(n, 0);
			peer.outboundDrained();
			return n;
		}
		if (peer.isClosed() || peer.isWriteShutdown()) {
			return END_OF_STREAM;
		}
		return WAIT; // nothing to read yet: the peer's write wakes this pass
	}

	/** On the loop: what the peer wrote and this end has not read is dropped; the peer's write fails. */
	@Override
	protected void shutdownReadNow() {
		PairVConn peer = peer();
		peer.outbound.close();
		peer.requestWrite();
	}

	// ---- write side: the write VIO's reader into this end's outbound buffer ----

	@Override
	protected boolean writeFailed() {
		PairVConn peer = peer();
		return peer.isClosed() || peer.isReadShutdown() || this.outbound.isClosed();
	}

	@Override
	protected boolean drain(NetVIO vio, IOBufferReader reader, long max) {
		long room = this.capacity - this.outbound.maxReadAvail();
		if (room <= 0) {
			this.writeWaitsForRoom = true;
			return false; // the peer has not read what is in the pair yet: its read wakes this pass
		}
		this.writeWaitsForRoom = false;
		long n = this.outbound.write(reader, Math.min(max, room));
		reader.consume(n);
		vio.addDone(n);
		vio.transferReported = false;
		moved(0, n);
		peer().requestRead();
		return true;
	}

	@Override
	protected void shutdownWrite() {
		peer().requestRead();
	}

	/** On the loop: the peer took bytes out of {@link #outbound}. */
	private void outboundDrained() {
		if (this.writeWaitsForRoom) {
			this.writeWaitsForRoom = false;
			requestWrite();
		}
	}

	// ---- close ----

	/**
	 * Drops what can no longer be read, reports, and wakes the peer so that its read sees EOS (or
	 * ERROR after an abort) and its write sees ERROR.
	 */
	@Override
	protected void release(boolean aborting) {
		PairVConn peer = peer();
		// runtime shutdown aborts the peer too, with its own cause: it must not see this end go first
		boolean tellPeer = !(aborting && abortCause() == CloseKind.SHUTDOWN);
		if (aborting) {
			reportAbort();
			this.outbound.close(); // an abort drops what the peer has not read yet
			if (!peer.isClosed() && tellPeer) {
				peer.peerAborted = true;
			}
		}
		// the peer's bytes can no longer be read; after a close, the peer still reads this end's,
		// and this end's outbound buffer is released when the peer ends in turn
		peer.outbound.close();
		ended(aborting, this.peerAborted);
		if (!peer.isFreed() && tellPeer) {
			peer.requestRead();
			peer.requestWrite();
		}
	}

	@Override
	protected void releasedFromRuntime(CloseKind how) {
		runtime().releasedInMemory(this, how);
	}

}
