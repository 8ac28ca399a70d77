package dev.vconn.internal.vconn;

import java.util.concurrent.locks.Lock;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VIO;
import org.jspecify.annotations.Nullable;

/**
 * A read or write operation of a {@link ManagedVConn} (a socket VConn or an end of an in-memory
 * pair). Counters are volatile so that any thread can read them; they change on the VConn's event
 * thread, or through the setters.
 */
public final class NetVIO implements VIO {

	private final ManagedVConn owner;

	private final Op op;

	private final Continuation continuation;

	public final Lock mutex;

	private final @Nullable IOBuffer buffer;

	private final @Nullable IOBufferReader reader;

	private volatile long nbytes;

	private volatile long ndone;

	/** False once completed, replaced, shut down or closed: no event is delivered after that. */
	private volatile boolean active;

	/** Write only: a transfer finished and its WRITE_READY/WRITE_COMPLETE is still to be delivered. */
	public boolean transferReported = true;

	public NetVIO(ManagedVConn owner, Op op, Continuation continuation, @Nullable IOBuffer buffer,
			@Nullable IOBufferReader reader, long nbytes) {
		this.owner = owner;
		this.op = op;
		this.continuation = continuation;
		this.mutex = continuation.mutex();
		this.buffer = buffer;
		this.reader = reader;
		this.nbytes = nbytes;
		this.active = nbytes > 0;
	}

	@Override
	public Op op() {
		return this.op;
	}

	@Override
	public long nbytes() {
		return this.nbytes;
	}

	@Override
	public void setNBytes(long nbytes) {
		if (nbytes < 0) {
			throw new IllegalArgumentException("nbytes must not be negative, was " + nbytes);
		}
		this.nbytes = nbytes;
		this.owner.schedule(this);
	}

	@Override
	public long ndone() {
		return this.ndone;
	}

	public void addDone(long n) {
		this.ndone += n;
	}

	@Override
	public long ntodo() {
		return Math.max(0, this.nbytes - this.ndone);
	}

	@Override
	public void reenable() {
		if (this.active) {
			this.owner.schedule(this);
		}
	}

	@Override
	public VConn vconn() {
		return this.owner;
	}

	@Override
	public Continuation continuation() {
		return this.continuation;
	}

	@Override
	public @Nullable IOBuffer buffer() {
		return this.buffer;
	}

	@Override
	public @Nullable IOBufferReader reader() {
		return this.reader;
	}

	@Override
	public boolean isActive() {
		return this.active;
	}

	public void deactivate() {
		this.active = false;
	}

	@Override
	public String toString() {
		return "VIO[" + this.op + ", vconn=" + this.owner.id() + ", nbytes=" + this.nbytes + ", ndone=" + this.ndone
				+ ", active=" + this.active + "]";
	}

}
