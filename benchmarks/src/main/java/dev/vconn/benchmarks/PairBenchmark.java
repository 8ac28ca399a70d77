package dev.vconn.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;
import dev.vconn.VIO;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Bytes through an in-memory {@link VConnPair}, no socket involved: the benchmark thread puts a
 * message in the active end's write buffer, a continuation on the passive end echoes it with a
 * read and a write VIO over one buffer, and the benchmark thread waits until the active end's
 * read VIO has it all back. The score is that round trip; {@code payload} 128 B shows the cost per
 * message (events, mutexes, the hand-off to the pair's event loop), 1 MiB the cost per byte.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms512m", "-Xmx512m" })
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class PairBenchmark {

	@Param({ "128", "16384", "1048576" })
	public int payload;

	@Param({ "32768" })
	public int bufferWaterMark;

	private VConnRuntime runtime;

	private VConnPair pair;

	private Driver driver;

	private Echo echo;

	private byte[] message;

	@Setup(Level.Trial)
	public void start() {
		this.runtime = VConnRuntime.create();
		this.pair = VConnPair.create(this.runtime, this.bufferWaterMark);
		this.message = new byte[this.payload];
		this.echo = new Echo(this.pair.passive());
		this.driver = new Driver(this.pair.active());
	}

	@Benchmark
	public long roundTrip() {
		return this.driver.roundTrip(this.message);
	}

	@TearDown(Level.Trial)
	public void stop() {
		this.driver.close();
		this.echo.close();
		this.runtime.close();
	}

	/** The passive end: writes back every byte it reads, through one buffer. */
	static final class Echo implements Continuation {

		private final VConn vconn;

		private final IOBuffer buffer = IOBuffer.create();

		private final VIO read;

		private final VIO write;

		Echo(VConn vconn) {
			this.vconn = vconn;
			Lock mutex = mutex();
			mutex.lock();
			try {
				this.read = vconn.read(this, this.buffer, Long.MAX_VALUE);
				this.write = vconn.write(this, this.buffer.allocReader(), Long.MAX_VALUE);
			}
			finally {
				mutex.unlock();
			}
		}

		@Override
		public void handleEvent(VConnEvent event, @Nullable Object data) {
			switch (event) {
				case VCONN_READ_READY -> this.write.reenable();
				case VCONN_WRITE_READY -> this.read.reenable();
				default -> {
				}
			}
		}

		void close() {
			Lock mutex = mutex();
			mutex.lock();
			try {
				this.vconn.close();
				this.buffer.close();
			}
			finally {
				mutex.unlock();
			}
		}

	}

	/** The active end, driven by the benchmark thread. */
	static final class Driver implements Continuation {

		private final VConn vconn;

		private final IOBuffer out = IOBuffer.create();

		private final IOBuffer in = IOBuffer.create();

		private final IOBufferReader inReader = this.in.allocReader();

		private final VIO read;

		private final VIO write;

		private volatile long received;

		private volatile @Nullable Thread waiter;

		private long target;

		Driver(VConn vconn) {
			this.vconn = vconn;
			Lock mutex = mutex();
			mutex.lock();
			try {
				this.read = vconn.read(this, this.in, Long.MAX_VALUE);
				this.write = vconn.write(this, this.out.allocReader(), Long.MAX_VALUE);
			}
			finally {
				mutex.unlock();
			}
		}

		long roundTrip(byte[] message) {
			long until = this.received + message.length;
			this.waiter = Thread.currentThread();
			Lock mutex = mutex();
			mutex.lock();
			try {
				this.target = until;
				this.out.write(message);
			}
			finally {
				mutex.unlock();
			}
			this.write.reenable();
			while (this.received < until) {
				LockSupport.park(this);
			}
			return this.received;
		}

		@Override
		public void handleEvent(VConnEvent event, @Nullable Object data) {
			if (event == VConnEvent.VCONN_READ_READY) {
				long avail = this.inReader.avail();
				this.inReader.consume(avail);
				this.read.reenable();
				long now = this.received + avail;
				this.received = now;
				Thread thread = this.waiter;
				if (now >= this.target && thread != null) {
					LockSupport.unpark(thread);
				}
			}
		}

		void close() {
			Lock mutex = mutex();
			mutex.lock();
			try {
				this.vconn.close();
				this.out.close();
				this.in.close();
			}
			finally {
				mutex.unlock();
			}
		}

	}

}
