package dev.vconn.internal.net;

import java.io.IOException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.FileRegion;
import io.netty.channel.epoll.Native;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.AbstractReferenceCounted;
import org.jspecify.annotations.Nullable;

/**
 * One VConn's input moved into another VConn by a tunnel with {@code splice(2)}, through a pipe
 * borrowed from the runtime's {@link PipePool} only while bytes move: an idle direction holds no
 * pipe, only a pending read on its source. When data arrives, Netty reads the first chunk (it is
 * copied to the target), then the direction splices socket to pipe to socket until the source has
 * nothing more (the pipe goes back) or the target is full. Then the pipe, bytes and all, is queued
 * to the target's channel as a {@link PipeOut}: Netty's own write loop splices it out as the socket
 * takes bytes, waiting for room as for any write, and gives the pipe back once it is empty. The
 * bytes never enter the JVM. With the pool exhausted the direction copies, chunk by chunk, as
 * Netty reads them.
 *
 * <p>Copies and splices never overtake each other: a splice starts only once every chunk and pipe
 * queued to the target has left its Netty queue. Confined to the event loop both VConns share.
 */
public final class Splice {

	/** What a tunnel learns from a VConn whose input it splices. Called on the loop. */
	public interface Observer {

		void inputEnded(NetVConn source);

		void failed(NetVConn vconn, boolean reset);

	}

	/** Netty's binding takes -1 for "no offset": both ends are sockets or pipes. */
	private static final long NO_OFFSET = -1;

	/** At most this many pipefuls per pass before yielding the loop to other channels. */
	private static final int PIPEFULS_PER_PASS = 16;

	private final NetVConn source;

	private final NetVConn target;

	private final Observer observer;

	private final PipePool pool;

	private PipePool.@Nullable Pipe pipe;

	/** Bytes in the pipe not yet moved to the target. */
	private long inPipe;

	/** Chunks and pipes queued to the target's channel and not yet written. */
	private int queued;

	/** Bytes passed to the target, copied or spliced. */
	private long delivered;

	private boolean ended;

	private boolean failureReported;

	private final Runnable pump = this::pump;

	Splice(NetVConn source, NetVConn target, Observer observer, PipePool pool) {
		this.source = source;
		this.target = target;
		this.observer = observer;
		this.pool = pool;
	}

	/**
	 * Passes on what the source read before the splice, then starts moving: at once if there was
	 * nothing, else when the last copy has left (its listener pumps, often before this returns, so
	 * pumping here too would only cost a second {@code splice(2)} that finds nothing).
	 */
	void start(ArrayDeque<ByteBuf> pendingIn) {
		if (pendingIn.isEmpty()) {
			pump();
			return;
		}
		ByteBuf buf;
		while ((buf = pendingIn.pollFirst()) != null) {
			copy(buf);
		}
	}

	/** A chunk Netty read from the source (counted there): copy it, splice again once it left. */
	void read(ByteBuf buf) {
		if (this.inPipe > 0) {
			// a read armed before the splice started: the pipe's bytes came first, so they go first
			queuePipe();
		}
		copy(buf);
	}

	private void copy(ByteBuf buf) {
		queue(buf, buf.readableBytes());
	}

	/**
	 * Queues a chunk or a pipe to the target; once the target's queue is empty again, the next
	 * splice starts.
	 * @param counted bytes to count as delivered when written (a pipe counts its own as they leave)
	 */
	private void queue(Object message, int counted) {
		this.queued++;
		this.target.channel().writeAndFlush(message).addListener((ChannelFuture f) -> {
			this.queued--;
			if (!f.isSuccess()) {
				this.target.recordFailure(f.cause());
				return;
			}
			if (counted > 0) {
				this.delivered += counted;
				this.target.splicedMoved(0, counted);
			}
			if (this.queued == 0) {
				pump();
			}
		});
	}

	/** The target is full: the pipe, with its bytes, goes to the target's queue; the next pump borrows another. */
	private void queuePipe() {
		PipePool.Pipe full = this.pipe;
		long bytes = this.inPipe;
		this.pipe = null;
		this.inPipe = 0;
		queue(new PipeOut(full, bytes), 0);
	}

	/** Moves bytes with splice(2) until the source is empty, the target full, or the budget spent. */
	private void pump() {
		if (this.ended || this.queued > 0 || !isOpen(this.source) || !isOpen(this.target)) {
			return;
		}
		if (this.pipe == null) {
			this.pipe = this.pool.acquire();
			if (this.pipe == null) {
				awaitData(); // no pipe to spare: copy what Netty reads
				return;
			}
		}
		PipePool.Pipe pipe = this.pipe;
		long budget = (long) PIPEFULS_PER_PASS * pipe.capacity;
		while (budget > 0) {
			if (this.inPipe == 0) {
				long in = spliceIn(pipe);
				if (in == 0) {
					return;
				}
				this.inPipe = in;
				this.source.splicedMoved(in, 0);
			}
			long out;
			try {
				out = Native.splice(pipe.readFd, NO_OFFSET, this.target.channelFd(), NO_OFFSET, this.inPipe);
			}
			catch (IOException | NotYetConnectedException ex) {
				givePipeBack();
				this.target.recordFailure(asIoException(ex));
				return;
			}
			if (out == 0) {
				queuePipe(); // the target is full: Netty waits for room
				return;
			}
			this.inPipe -= out;
			this.delivered += out;
			budget -= out;
			this.target.splicedMoved(0, out);
		}
		this.source.loop().execute(this.pump);
	}

	/**
	 * Moves what the source has into the pipe, with libc's {@code splice(2)}: Netty's binding answers
	 * 0 both at the end of stream and when the socket is empty, and telling them apart would cost a
	 * second call at the end of every burst.
	 * @return the bytes moved, or 0 once the source's end, its lack of data or its failure is dealt with
	 */
	private long spliceIn(PipePool.Pipe pipe) {
		long in = LibC.splice(this.source.channelFd(), null, pipe.writeFd, null, pipe.capacity,
				LibC.SPLICE_F_MOVE | LibC.SPLICE_F_NONBLOCK);
		if (in > 0) {
			return in;
		}
		int errno = (in < 0) ? LibC.errno() : 0;
		givePipeBack();
		if (in == 0) {
			// the end of stream goes through the pipeline, as Netty's own would, so that handlers
			// before the VConn (the listener's tunnel guard) see it; the VConn then ends this splice
			this.source.channel().pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
		}
		else if (errno == LibC.EAGAIN) {
			awaitData();
		}
		else {
			this.source.recordFailure(failure("reading", errno));
		}
		return 0;
	}

	/** What the pipe holds, read out into the JVM; the pipe goes back. */
	private ByteBuf takePipe() {
		ByteBuf out = Unpooled.buffer((int) this.inPipe);
		if (this.inPipe > 0) {
			byte[] chunk = new byte[(int) this.inPipe];
			while (this.inPipe > 0) {
				long n = LibC.read(this.pipe.readFd, chunk, this.inPipe);
				if (n <= 0) {
					break; // cannot happen: the pipe holds these bytes
				}
				out.writeBytes(chunk, 0, (int) n);
				this.inPipe -= n;
			}
		}
		givePipeBack();
		return out;
	}

	/**
	 * Stops moving bytes, for a takeover: copies already handed to the target's channel go on,
	 * nothing more is spliced or read here.
	 * @return what the pipe held, read from the source and not yet passed on (possibly empty)
	 */
	ByteBuf stop() {
		this.ended = true;
		return takePipe();
	}

	/** The source has nothing for now: give the loop a read, whose chunk resumes the direction. */
	private void awaitData() {
		this.source.channel().read();
	}

	/** Netty or splice(2) saw the source's end of stream: every byte before it is queued to the target. */
	void inputEnded() {
		if (this.ended) {
			return;
		}
		this.ended = true;
		givePipeBack();
		// what a read VIO would have seen as end of stream: the VConn ends as EOS, like a copied one
		this.source.splicedToEnd();
		this.observer.inputEnded(this.source);
	}

	void failed(boolean reset) {
		this.ended = true;
		givePipeBack();
		if (!this.failureReported) {
			this.failureReported = true;
			this.observer.failed(this.source, reset);
		}
	}

	/** The source's socket is about to close: the direction stops, its pipe goes back. */
	void closing() {
		this.ended = true;
		givePipeBack();
	}

	/**
	 * Bytes passed to the target so far, copied or spliced.
	 * @return the count
	 */
	long delivered() {
		return this.delivered;
	}

	private void givePipeBack() {
		PipePool.Pipe borrowed = this.pipe;
		if (borrowed != null) {
			this.pipe = null;
			this.pool.release(borrowed, this.inPipe == 0);
			this.inPipe = 0;
		}
	}

	/**
	 * A pipe's bytes as a write on the target's channel. Netty's epoll write loop calls
	 * {@link #transferTo} whenever the socket may take bytes; a 0 makes it wait for room. The pipe
	 * belongs to this message from the moment it is queued: it goes back to the pool when Netty
	 * releases the message, empty if everything was written, otherwise to be closed.
	 */
	private final class PipeOut extends AbstractReferenceCounted implements FileRegion {

		private final PipePool.Pipe pipe;

		private final long count;

		private long transferred;

		PipeOut(PipePool.Pipe pipe, long count) {
			this.pipe = pipe;
			this.count = count;
		}

		@Override
		public long transferTo(WritableByteChannel socket, long position) throws IOException {
			long out;
			try {
				// 0 when the socket is full: Netty then waits for room and calls again
				out = Native.splice(this.pipe.readFd, NO_OFFSET, Splice.this.target.channelFd(), NO_OFFSET,
						this.count - this.transferred);
			}
			catch (NotYetConnectedException ex) {
				throw asIoException(ex);
			}
			this.transferred += out;
			Splice.this.delivered += out;
			Splice.this.target.splicedMoved(0, out);
			return out;
		}

		@Override
		public long position() {
			return 0;
		}

		@Override
		public long count() {
			return this.count;
		}

		@Override
		public long transferred() {
			return this.transferred;
		}

		@Override
		@Deprecated
		public long transfered() {
			return this.transferred;
		}

		@Override
		protected void deallocate() {
			Splice.this.pool.release(this.pipe, this.transferred == this.count);
		}

		@Override
		public PipeOut retain() {
			super.retain();
			return this;
		}

		@Override
		public PipeOut retain(int increment) {
			super.retain(increment);
			return this;
		}

		@Override
		public PipeOut touch() {
			return this;
		}

		@Override
		public PipeOut touch(Object hint) {
			return this;
		}

	}

	private static boolean isOpen(NetVConn vconn) {
		// a closed channel's number may already belong to someone else: never splice to or from it
		return !vconn.isGone() && vconn.channel().isOpen();
	}

	private static IOException asIoException(Exception ex) {
		return (ex instanceof IOException) ? (IOException) ex : new IOException("splice failed: not connected", ex);
	}

	private static IOException failure(String what, int errno) {
		if (errno == LibC.ECONNRESET) {
			return new IOException("Connection reset by peer (splice, " + what + ")");
		}
		return new IOException("splice failed " + what + ": errno " + errno);
	}

}
