package dev.vconn.internal.net;

import java.io.IOException;
import java.util.ArrayDeque;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.jspecify.annotations.Nullable;

/**
 * One VConn's input moved into another VConn by a tunnel with {@code splice(2)}, through a pipe
 * borrowed from the runtime's {@link PipePool} only while bytes move: an idle direction holds no
 * pipe, only a pending read on its source. When data arrives, Netty reads the first chunk (it is
 * copied to the target), then the direction splices socket to pipe to socket until the source has
 * nothing more (the pipe goes back) or the target is full (the pipe's bytes are copied to the
 * target through Netty, which waits for room, and the pipe goes back). With the pool exhausted
 * the direction copies, chunk by chunk, as Netty reads them.
 *
 * <p>Copies and splices never overtake each other: a splice starts only once every copied chunk
 * has left the target's Netty queue. Confined to the event loop both VConns share.
 */
public final class Splice {

	/** What a tunnel learns from a VConn whose input it splices. Called on the loop. */
	public interface Observer {

		void inputEnded(NetVConn source);

		void failed(NetVConn vconn, boolean reset);

	}

	/** At most this much per {@code splice(2)} call: a default pipe's capacity. */
	private static final int CHUNK = 64 * 1024;

	/** At most this much per pass before yielding the loop to other channels. */
	private static final int BUDGET = 16 * CHUNK;

	private final NetVConn source;

	private final NetVConn target;

	private final Observer observer;

	private final PipePool pool;

	private PipePool.@Nullable Pipe pipe;

	/** Bytes in the pipe not yet moved to the target. */
	private long inPipe;

	/** Chunks handed to the target's channel and not yet written. */
	private int copying;

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
			copyPipeOut();
		}
		copy(buf);
	}

	private void copy(ByteBuf buf) {
		int n = buf.readableBytes();
		this.copying++;
		Channel dst = this.target.channel();
		dst.writeAndFlush(buf).addListener((ChannelFuture f) -> {
			this.copying--;
			if (!f.isSuccess()) {
				this.target.recordFailure(f.cause());
				return;
			}
			this.delivered += n;
			this.target.splicedMoved(0, n);
			if (this.copying == 0) {
				pump();
			}
		});
	}

	/** Moves bytes with splice(2) until the source is empty, the target full, or the budget spent. */
	private void pump() {
		if (this.ended || this.copying > 0 || !isOpen(this.source) || !isOpen(this.target)) {
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
		long budget = BUDGET;
		while (budget > 0) {
			if (this.inPipe == 0) {
				long in = LibC.splice(this.source.channelFd(), null, pipe.writeFd, null, CHUNK,
						LibC.SPLICE_F_MOVE | LibC.SPLICE_F_NONBLOCK);
				if (in == 0) {
					givePipeBack();
					// the end of stream goes through the pipeline, as Netty's own would, so that handlers
					// before the VConn (the listener's tunnel guard) see it; the VConn then ends this splice
					this.source.channel().pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
					return;
				}
				if (in < 0) {
					int errno = LibC.errno();
					givePipeBack();
					if (errno == LibC.EAGAIN) {
						awaitData();
					}
					else {
						this.source.recordFailure(failure("reading", errno));
					}
					return;
				}
				this.inPipe = in;
				this.source.splicedMoved(in, 0);
			}
			long out = LibC.splice(pipe.readFd, null, this.target.channelFd(), null, this.inPipe,
					LibC.SPLICE_F_MOVE | LibC.SPLICE_F_NONBLOCK);
			if (out < 0) {
				int errno = LibC.errno();
				if (errno == LibC.EAGAIN) {
					copyPipeOut(); // the target is full: Netty waits for room
				}
				else {
					givePipeBack();
					this.target.recordFailure(failure("writing", errno));
				}
				return;
			}
			this.inPipe -= out;
			this.delivered += out;
			budget -= out;
			this.target.splicedMoved(0, out);
		}
		this.source.loop().execute(this.pump);
	}

	/** The target cannot take more now: hand what the pipe holds to Netty, which writes it when it can. */
	private void copyPipeOut() {
		copy(takePipe());
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

	private static boolean isOpen(NetVConn vconn) {
		// a closed channel's number may already belong to someone else: never splice to or from it
		return !vconn.isGone() && vconn.channel().isOpen();
	}

	private static IOException failure(String what, int errno) {
		if (errno == LibC.ECONNRESET) {
			return new IOException("Connection reset by peer (splice, " + what + ")");
		}
		return new IOException("splice failed " + what + ": errno " + errno);
	}

}
