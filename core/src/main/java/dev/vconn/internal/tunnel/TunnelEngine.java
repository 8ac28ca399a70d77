package dev.vconn.internal.tunnel;

import dev.vconn.internal.net.NetVConn;
import dev.vconn.internal.net.Splice;
import dev.vconn.internal.runtime.RuntimeCore;
import dev.vconn.internal.vconn.ManagedVConn;
import dev.vconn.internal.vconn.NetVIO;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.TunnelResult;
import dev.vconn.TunnelResult.End;
import dev.vconn.TunnelResult.Side;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import org.jspecify.annotations.Nullable;

/**
 * The shuffle behind {@link dev.vconn.Tunnel}: one continuation driving four VIOs, the intercept
 * example's state machine with its no-truncation rule, plus backpressure (a direction's read is
 * re-enabled only while its buffer is below the water mark) and half-close (end of stream on one
 * side shuts down the other side's write once drained, and the other direction goes on).
 */
public final class TunnelEngine implements Continuation, Splice.Observer {

	private final Lock mutex = new ReentrantLock();

	private final VConn a;

	private final VConn b;

	private final Direction aToB;

	private final Direction bToA;

	private final long startNanos = System.nanoTime();

	private final CompletableFuture<TunnelResult> result = new CompletableFuture<>();

	private final AtomicInteger releasedSides = new AtomicInteger();

	private final @Nullable RuntimeCore runtime;

	// guarded by mutex until the tunnel ends; read after both sides are released
	private volatile @Nullable Side firstEnded;

	private volatile @Nullable End end;

	private volatile boolean spliced;

	/** Paused for a takeover: no VIO or splice moves bytes. On the loop. */
	private boolean paused;

	private TunnelEngine(VConn a, VConn b, int bufferSize) {
		this.a = a;
		this.b = b;
		this.aToB = new Direction(a, b, Side.A, bufferSize);
		this.bToA = new Direction(b, a, Side.B, bufferSize);
		this.runtime = (a instanceof ManagedVConn) ? ((ManagedVConn) a).runtime() : null;
	}

	public static CompletableFuture<TunnelResult> start(VConn a, VConn b, int bufferSize, boolean splice) {
		return started(a, b, bufferSize, splice).result;
	}

	/**
	 * Starts a tunnel, as {@link #start}, and returns the engine, for a takeover to pause it.
	 * @return the running engine
	 */
	public static TunnelEngine started(VConn a, VConn b, int bufferSize, boolean splice) {
		TunnelEngine engine = new TunnelEngine(a, b, bufferSize);
		if (splice && a instanceof NetVConn && b instanceof NetVConn
				&& ((NetVConn) a).loop() == ((NetVConn) b).loop()) {
			// whether splicing is possible is decided on the loop, where the VConns' state lives
			if (((NetVConn) a).loop().inEventLoop()) {
				engine.beginOnLoop();
			}
			else {
				((NetVConn) a).loop().execute(engine::beginOnLoop);
			}
		}
		else {
			engine.begin();
		}
		return engine;
	}

	/**
	 * The result, completed once both sides are released.
	 * @return the future {@link #start} returns
	 */
	public CompletableFuture<TunnelResult> result() {
		return this.result;
	}

	// ---- a takeover: pause, then either hand over or resume (on the loop both VConns share) ----

	/**
	 * Stops moving bytes, for a takeover: the read and write VIOs, or the splices, stop; bytes
	 * already handed to a channel still go out, and what a side sends from now on stays in its
	 * VConn. On the loop.
	 * @return false if the tunnel is ending (a side finished or failed): it is left as it is
	 */
	public boolean pause() {
		if (this.paused || this.end != null || this.aToB.srcEnded || this.bToA.srcEnded) {
			return false;
		}
		this.paused = true;
		if (this.spliced) {
			((NetVConn) this.a).stopSplice();
			((NetVConn) this.b).stopSplice();
		}
		else {
			this.aToB.stop();
			this.bToA.stop();
		}
		return true;
	}

	/**
	 * Takes the bytes read and not yet delivered toward {@code b} (from {@code a}), or toward
	 * {@code a}, out of the paused tunnel, in order. On the loop, once nothing more can be read.
	 * @param towardB which direction
	 * @return the bytes, the caller's to release
	 */
	public List<ByteBuf> takePending(boolean towardB) {
		Direction direction = towardB ? this.aToB : this.bToA;
		List<ByteBuf> bytes = new ArrayList<>();
		while (direction.reader.avail() > 0) {
			bytes.add(direction.reader.readRetained(Integer.MAX_VALUE));
		}
		bytes.addAll(((NetVConn) direction.src).takePendingIn());
		return bytes;
	}

	/**
	 * Moves bytes again after {@link #pause()}: {@code towardB} and {@code towardA} (what
	 * {@link #takePending} returned) first. On the loop.
	 */
	public void resume(List<ByteBuf> towardB, List<ByteBuf> towardA) {
		this.paused = false;
		((NetVConn) this.a).restorePendingIn(towardB);
		((NetVConn) this.b).restorePendingIn(towardA);
		if (this.spliced) {
			((NetVConn) this.a).startSplice((NetVConn) this.b, this);
			((NetVConn) this.b).startSplice((NetVConn) this.a, this);
		}
		else {
			startDirections();
		}
	}

	/** Starts (or, after a pause, restarts) the VIOs of both directions of the copy path. */
	private void startDirections() {
		this.mutex.lock();
		try {
			this.aToB.start(this);
			this.bToA.start(this);
		}
		finally {
			this.mutex.unlock();
		}
	}

	/**
	 * The paused tunnel goes on in another process: both VConns close without a word to their
	 * peers (the other process holds the sockets), and the tunnel ends as
	 * {@link End#HANDED_OVER}. On the loop.
	 */
	public void handedOver() {
		this.end = End.HANDED_OVER;
		this.a.close();
		this.b.close();
	}

	private void beginOnLoop() {
		NetVConn na = (NetVConn) this.a;
		NetVConn nb = (NetVConn) this.b;
		if (na.canSpliceTo(nb) && nb.canSpliceTo(na)) {
			this.spliced = true;
			if (this.runtime != null) {
				this.runtime.listener().onTunnelStarted(this.a, this.b);
			}
			na.startSplice(nb, this);
			nb.startSplice(na, this);
			whenReleased(this.a, Side.A);
			whenReleased(this.b, Side.B);
		}
		else {
			begin();
		}
	}

	// ---- splice path: everything runs on the one event loop both VConns share ----

	@Override
	public void inputEnded(NetVConn source) {
		if (this.end != null) {
			return;
		}
		Direction direction = (source == this.a) ? this.aToB : this.bToA;
		direction.srcEnded = true;
		recordFirst(direction.srcSide);
		NetVConn dst = (NetVConn) direction.dst;
		// the end of stream follows the bytes still queued towards dst, never overtakes them
		dst.afterQueuedWrites(() -> finish(direction), () -> fail(sideOf(dst), End.RESET));
	}

	@Override
	public void failed(NetVConn vconn, boolean reset) {
		fail(sideOf(vconn), End.RESET);
	}

	@Override
	public Lock mutex() {
		return this.mutex;
	}

	private void begin() {
		if (this.runtime != null) {
			this.runtime.listener().onTunnelStarted(this.a, this.b);
		}
		startDirections();
		whenReleased(this.a, Side.A);
		whenReleased(this.b, Side.B);
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		if (!(data instanceof VIO) || this.end != null) {
			return;
		}
		VIO vio = (VIO) data;
		Direction direction = this.aToB.owns(vio) ? this.aToB : this.bToA.owns(vio) ? this.bToA : null;
		if (direction == null) {
			return;
		}
		switch (event) {
			case VCONN_READ_READY:
				direction.writeVio.reenable();
				break;
			case VCONN_WRITE_READY:
				if (direction.srcEnded && direction.reader.avail() == 0) {
					finish(direction);
				}
				else if (!direction.buffer.isHighWater()) {
					direction.readVio.reenable();
				}
				break;
			case VCONN_EOS:
				direction.srcEnded = true;
				recordFirst(direction.srcSide);
				if (direction.reader.avail() == 0) {
					finish(direction);
				}
				else {
					direction.writeVio.reenable();
				}
				break;
			case ERROR:
				fail(sideOf(vio.vconn()), End.RESET);
				break;
			case VCONN_INACTIVITY_TIMEOUT:
			case VCONN_ACTIVE_TIMEOUT:
				fail(sideOf(vio.vconn()), End.TIMEOUT);
				break;
			default:
				break; // READ_COMPLETE / WRITE_COMPLETE cannot happen with unbounded VIOs
		}
	}

	/** Everything read from the direction's source was delivered: pass the end of stream on. */
	private void finish(Direction direction) {
		if (direction.done) {
			return;
		}
		direction.done = true;
		if (this.aToB.done && this.bToA.done) {
			// both ends have sent everything: the closes send the last FIN, a shutdown first would only
			// cost a system call (and Netty an exception) per connection
			this.end = End.EOS;
			this.a.close();
			this.b.close();
		}
		else {
			direction.dst.shutdown(false, true);
		}
	}

	private void fail(Side side, End how) {
		if (this.end != null) {
			return;
		}
		recordFirst(side);
		this.end = how;
		VConn failed = (side == Side.A) ? this.a : this.b;
		VConn other = (side == Side.A) ? this.b : this.a;
		if (how == End.TIMEOUT) {
			failed.abort(0);
		}
		else {
			failed.close();
		}
		other.abort(0);
	}

	private void recordFirst(Side side) {
		if (this.firstEnded == null) {
			this.firstEnded = side;
		}
	}

	/** What each spliced direction passed on (each VConn counted its bytes as they moved). */
	private void accountSplicedBytes() {
		for (Direction direction : new Direction[] { this.aToB, this.bToA }) {
			direction.splicedBytes = ((NetVConn) direction.src).splicedIn();
		}
	}

	private Side sideOf(VConn vconn) {
		return (vconn == this.a) ? Side.A : Side.B;
	}

	private void whenReleased(VConn vconn, Side side) {
		Runnable onRelease = () -> released(side);
		if (vconn instanceof ManagedVConn) {
			((ManagedVConn) vconn).whenReleased(onRelease);
		}
	}

	/** One side released its socket; the tunnel completes when both have. */
	private void released(Side side) {
		if (this.end == null) {
			// closed or aborted from outside: nothing more can move, end the other side too
			recordFirst(side);
			this.end = End.ABORTED;
			if (this.runtime == null || this.runtime.isRunning()) {
				((side == Side.A) ? this.b : this.a).abort(0);
			}
			// else the runtime is shutting down and aborts the other side itself, with that cause
		}
		if (this.releasedSides.incrementAndGet() < 2) {
			return;
		}
		this.aToB.buffer.close();
		this.bToA.buffer.close();
		if (this.spliced) {
			accountSplicedBytes();
		}
		TunnelResult outcome = new TunnelResult(this.aToB.delivered(), this.bToA.delivered(),
				(this.firstEnded != null) ? this.firstEnded : side, (this.end != null) ? this.end : End.ABORTED,
				this.spliced, Duration.ofNanos(System.nanoTime() - this.startNanos));
		if (this.runtime != null) {
			this.runtime.listener().onTunnelEnded(outcome);
		}
		this.result.complete(outcome);
	}

	/** One way through the tunnel: bytes read from {@code src} are written to {@code dst}. */
	private static final class Direction {

		final VConn src;

		final VConn dst;

		final Side srcSide;

		final IOBuffer buffer;

		final IOBufferReader reader;

		@Nullable VIO readVio;

		@Nullable VIO writeVio;

		boolean srcEnded;

		boolean done;

		/** Spliced bytes, -1 until known (splice path only). */
		long splicedBytes = -1;

		Direction(VConn src, VConn dst, Side srcSide, int bufferSize) {
			this.src = src;
			this.dst = dst;
			this.srcSide = srcSide;
			this.buffer = IOBuffer.create(bufferSize);
			this.reader = this.buffer.allocReader();
		}

		/** What write VIOs stopped by a takeover's pause delivered. */
		long deliveredBefore;

		long delivered() {
			if (this.writeVio != null) {
				return this.deliveredBefore + this.writeVio.ndone();
			}
			return Math.max(0, this.splicedBytes);
		}

		/** Stops both VIOs for a pause: nothing more is read; a write batch in flight still goes out. */
		void stop() {
			for (VIO vio : new VIO[] { this.readVio, this.writeVio }) {
				if (vio instanceof NetVIO) {
					((NetVIO) vio).deactivate();
				}
			}
		}

		boolean owns(VIO vio) {
			return vio == this.readVio || vio == this.writeVio;
		}

		void start(Continuation cont) {
			if (this.writeVio != null) {
				this.deliveredBefore += this.writeVio.ndone(); // a resume after a pause: the stopped VIO's share
			}
			this.readVio = this.src.read(cont, this.buffer, Long.MAX_VALUE);
			this.writeVio = this.dst.write(cont, this.reader, Long.MAX_VALUE);
		}

	}

}
