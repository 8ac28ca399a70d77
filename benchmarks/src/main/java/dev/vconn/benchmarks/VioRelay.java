package dev.vconn.benchmarks;

import java.util.concurrent.locks.Lock;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import io.netty.buffer.ByteBufAllocator;
import org.jspecify.annotations.Nullable;

/**
 * Moves bytes both ways between two VConns with four VIOs, the way a plugin's shuffle does (the
 * demo's {@code VioIntercept}, without its close handling): on READ_READY everything read is
 * shared into the other side's write buffer unless that buffer is at high water, and a
 * WRITE_READY takes what the other side's read left waiting. The continuation's own default
 * mutex serialises the events of both VConns, as a plugin's would.
 */
final class VioRelay implements Continuation {

	private final Side one;

	private final Side two;

	private VioRelay(VConn one, VConn two, ByteBufAllocator allocator) {
		this.one = new Side(one, allocator);
		this.two = new Side(two, allocator);
	}

	/**
	 * Starts relaying; the caller still owns both VConns and closes them when done.
	 * @param one a VConn
	 * @param two another VConn
	 * @param allocator where the buffers take their blocks from
	 * @return the relay
	 */
	static VioRelay start(VConn one, VConn two, ByteBufAllocator allocator) {
		VioRelay relay = new VioRelay(one, two, allocator);
		Lock mutex = relay.mutex();
		mutex.lock();
		try {
			relay.one.start(relay);
			relay.two.start(relay);
		}
		finally {
			mutex.unlock();
		}
		return relay;
	}

	/** Closes both VConns and releases the four buffers. */
	void close() {
		Lock mutex = mutex();
		mutex.lock();
		try {
			this.one.close();
			this.two.close();
		}
		finally {
			mutex.unlock();
		}
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		VIO vio = (VIO) data;
		if (vio == null) {
			return;
		}
		Side side = (vio.vconn() == this.one.vconn) ? this.one : this.two;
		Side other = (side == this.one) ? this.two : this.one;
		switch (event) {
			case VCONN_READ_READY -> transfer(side, other);
			case VCONN_WRITE_READY -> transfer(other, side);
			case VCONN_EOS, ERROR -> {
				side.vconn.close();
				other.vconn.close();
			}
			default -> {
			}
		}
	}

	private static void transfer(Side from, Side to) {
		long avail = from.readReader.avail();
		if (avail == 0 || to.writeBuffer.isHighWater()) {
			return;
		}
		to.writeBuffer.write(from.readReader, avail);
		from.readReader.consume(avail);
		to.writeVio.reenable();
		from.readVio.reenable();
	}

	/** One VConn with its read and write VIOs and their buffers. */
	private static final class Side {

		final VConn vconn;

		final IOBuffer readBuffer;

		final IOBufferReader readReader;

		final IOBuffer writeBuffer;

		final IOBufferReader writeReader;

		@SuppressWarnings("NullAway.Init")
		VIO readVio;

		@SuppressWarnings("NullAway.Init")
		VIO writeVio;

		Side(VConn vconn, ByteBufAllocator allocator) {
			this.vconn = vconn;
			this.readBuffer = IOBuffer.create(allocator, IOBuffer.DEFAULT_WATER_MARK);
			this.readReader = this.readBuffer.allocReader();
			this.writeBuffer = IOBuffer.create(allocator, IOBuffer.DEFAULT_WATER_MARK);
			this.writeReader = this.writeBuffer.allocReader();
		}

		void close() {
			this.vconn.close();
			this.readBuffer.close();
			this.writeBuffer.close();
		}

		void start(Continuation cont) {
			this.readVio = this.vconn.read(cont, this.readBuffer, Long.MAX_VALUE);
			this.writeVio = this.vconn.write(cont, this.writeReader, Long.MAX_VALUE);
		}

	}

}
