package dev.vconn.contract;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import io.netty.buffer.ByteBufAllocator;
import org.jspecify.annotations.Nullable;

/**
 * The far end of a pair end under test: the pair's other end, driven with blocking calls built on
 * one read VIO and one write VIO that stay open for the whole test.
 *
 * <p>Like a socket peer, it reads only when the test asks: its read buffer (water mark
 * {@link #RECEIVE_WINDOW}) fills and pauses the pair until a blocking read consumes, so a VConn
 * writing to a peer that does not read stalls. {@link #send} returns once the bytes are queued on
 * the write VIO and blocks while more than {@link #SEND_WINDOW} bytes wait there, as a socket's
 * send blocks on a full send buffer. {@link #shutdownOutput()} shuts writing down once every queued
 * byte has moved into the pair; {@link #reset()} aborts the end. The end's timeouts are cancelled:
 * a socket peer never times out either.
 */
final class PairPeer implements PeerEnd {

	static final int RECEIVE_WINDOW = 64 * 1024;

	static final int SEND_WINDOW = 1024 * 1024;

	private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

	private final VConn end;

	private final ReentrantLock lock = new ReentrantLock();

	private final Condition changed = this.lock.newCondition();

	private final IOBuffer in;

	private final IOBufferReader inReader;

	private final IOBuffer out;

	private final IOBufferReader outReader;

	private final VIO readVio;

	private final VIO writeVio;

	private boolean eos;

	private boolean readError;

	private boolean writeError;

	private boolean shutdownPending;

	private boolean writeShutDown;

	PairPeer(VConn end, ByteBufAllocator allocator) {
		this.end = end;
		this.in = IOBuffer.create(allocator, RECEIVE_WINDOW);
		this.inReader = this.in.allocReader();
		this.out = IOBuffer.create(allocator, RECEIVE_WINDOW);
		this.outReader = this.out.allocReader();
		end.setInactivityTimeout(Duration.ZERO);
		end.setActiveTimeout(Duration.ZERO);
		Continuation cont = Continuation.withMutex(this.lock, this::handleEvent);
		this.lock.lock();
		try {
			this.readVio = end.read(cont, this.in, Long.MAX_VALUE);
			this.writeVio = end.write(cont, this.outReader, Long.MAX_VALUE);
		}
		finally {
			this.lock.unlock();
		}
	}

	/** The pair end this peer drives. */
	VConn end() {
		return this.end;
	}

	private void handleEvent(VConnEvent event, @Nullable Object data) {
		switch (event) {
			case VCONN_EOS -> this.eos = true;
			case ERROR -> {
				if (data instanceof VIO vio && vio.op() == VIO.Op.WRITE) {
					this.writeError = true;
				}
				else {
					this.readError = true;
				}
			}
			case VCONN_WRITE_COMPLETE -> {
				if (this.shutdownPending) {
					shutDownWriting();
				}
			}
			default -> {
				// READ_READY / WRITE_READY: a blocked call re-checks its condition
			}
		}
		closeOnceDone();
		this.changed.signalAll();
	}

	private void shutDownWriting() {
		this.end.shutdown(false, true);
		this.writeShutDown = true;
		closeOnceDone();
	}

	/**
	 * Closes the end once the test shut its output down and its input ended, as a socket peer that
	 * is done is gone from the runtime's view: the end is a VConn of the runtime, which
	 * {@code runtime.close()} would wait for. Invisible to the VConn under test, whose reading got
	 * EOS and whose writing has ended by then.
	 */
	private void closeOnceDone() {
		if ((this.eos || this.readError) && this.writeShutDown) {
			this.end.close();
		}
	}

	@Override
	public @Nullable SocketAddress localAddress() {
		return null;
	}

	@Override
	public @Nullable SocketAddress remoteAddress() {
		return null;
	}

	/** Waits (holding the lock) for the next event or a short slice, failing after the read timeout. */
	private void waitFor(long deadline, String what) throws IOException {
		long left = deadline - System.nanoTime();
		if (left <= 0) {
			throw new SocketTimeoutException("pair peer: no " + what + " within " + READ_TIMEOUT);
		}
		try {
			this.changed.awaitNanos(Math.min(left, SLICE_NANOS));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("interrupted waiting for " + what);
		}
	}

	private static long deadline(Duration timeout) {
		return System.nanoTime() + timeout.toNanos();
	}

	private void checkWritable() throws IOException {
		if (this.writeError || this.end.isClosed() || this.shutdownPending) {
			throw new SocketException("pair peer: writing ended (error=" + this.writeError + ", closed="
					+ this.end.isClosed() + ", shut down=" + this.shutdownPending + ")");
		}
	}

	@Override
	public void send(byte[] bytes) throws IOException {
		send(bytes, 0, bytes.length);
	}

	private void send(byte[] bytes, int offset, int length) throws IOException {
		long deadline = deadline(READ_TIMEOUT);
		this.lock.lock();
		try {
			while (true) {
				checkWritable();
				if (this.outReader.avail() < SEND_WINDOW) {
					break;
				}
				waitFor(deadline, "room to send");
			}
			this.out.write(bytes, offset, length);
		}
		finally {
			this.lock.unlock();
		}
		this.writeVio.reenable();
	}

	/**
	 * Moves what arrived into {@code sink} (at most {@code max} bytes) once something arrived;
	 * returns -1 at end of stream and throws on an abort.
	 */
	private int readSome(byte @Nullable [] sink, int offset, int max, long deadline) throws IOException {
		this.lock.lock();
		try {
			while (true) {
				long avail = this.inReader.avail();
				if (avail > 0) {
					int n = (int) Math.min(avail, max);
					if (sink != null) {
						this.inReader.read(sink, offset, n);
					}
					else {
						this.inReader.consume(n);
					}
					this.readVio.reenable();
					return n;
				}
				if (this.readError) {
					throw new SocketException("Connection reset (the pair's other end was aborted: ERROR on the read)");
				}
				if (this.eos) {
					return -1;
				}
				if (this.end.isClosed()) {
					throw new SocketException("pair peer: its own end was closed or aborted");
				}
				waitFor(deadline, "bytes");
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	@Override
	public byte[] readExactly(int n) throws IOException {
		byte[] bytes = new byte[n];
		long deadline = deadline(READ_TIMEOUT);
		int done = 0;
		while (done < n) {
			int got = readSome(bytes, done, n - done, deadline);
			if (got < 0) {
				throw new EOFException("end of stream after " + done + " of " + n + " bytes");
			}
			done += got;
		}
		return bytes;
	}

	@Override
	public byte[] readToEnd() throws IOException {
		ByteArrayOutputStream all = new ByteArrayOutputStream();
		byte[] chunk = new byte[64 * 1024];
		long deadline = deadline(READ_TIMEOUT);
		int got;
		while ((got = readSome(chunk, 0, chunk.length, deadline)) >= 0) {
			all.write(chunk, 0, got);
		}
		return all.toByteArray();
	}

	@Override
	public End awaitEnd() throws IOException {
		long deadline = deadline(READ_TIMEOUT);
		try {
			while (readSome(null, 0, Integer.MAX_VALUE, deadline) >= 0) {
				// drop
			}
			return End.EOF;
		}
		catch (SocketException ex) {
			return End.RESET;
		}
	}

	@Override
	public boolean receivesNothingWithin(Duration window) throws IOException {
		long deadline = deadline(window);
		this.lock.lock();
		try {
			while (System.nanoTime() < deadline) {
				if (this.inReader.avail() > 0 || this.eos || this.readError) {
					throw new AssertionError((this.inReader.avail() > 0) ? "a byte arrived" : "the stream ended");
				}
				this.changed.awaitNanos(Math.max(1, Math.min(deadline - System.nanoTime(), SLICE_NANOS)));
			}
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException();
		}
		finally {
			this.lock.unlock();
		}
	}

	@Override
	public long sendRandom(long total, long seed) throws IOException {
		Random random = new Random(seed);
		CRC32 crc = new CRC32();
		byte[] chunk = new byte[64 * 1024];
		long left = total;
		while (left > 0) {
			int n = (int) Math.min(chunk.length, left);
			random.nextBytes(chunk);
			crc.update(chunk, 0, n);
			send(chunk, 0, n);
			left -= n;
		}
		return crc.getValue();
	}

	@Override
	public long receive(long total) throws IOException {
		CRC32 crc = new CRC32();
		byte[] chunk = new byte[64 * 1024];
		long deadline = deadline(READ_TIMEOUT.multipliedBy(3));
		long left = total;
		while (left > 0) {
			int n = readSome(chunk, 0, (int) Math.min(chunk.length, left), deadline);
			if (n < 0) {
				throw new EOFException("end of stream with " + left + " of " + total + " bytes missing");
			}
			crc.update(chunk, 0, n);
			left -= n;
		}
		return crc.getValue();
	}

	/** Ends the write VIO at the bytes queued so far; the handler shuts writing down at WRITE_COMPLETE. */
	@Override
	public void shutdownOutput() throws IOException {
		this.lock.lock();
		try {
			checkWritable();
			this.shutdownPending = true;
			this.writeVio.setNBytes(this.writeVio.ndone() + this.outReader.avail());
			if (this.outReader.avail() == 0) {
				shutDownWriting();
			}
		}
		finally {
			this.lock.unlock();
		}
		this.writeVio.reenable();
	}

	@Override
	public void reset() {
		this.end.abort(0);
	}

	@Override
	public void close() {
		this.end.close();
		this.lock.lock();
		try {
			this.in.close();
			this.out.close();
		}
		finally {
			this.lock.unlock();
		}
	}

}
