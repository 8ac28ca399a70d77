package dev.vconn.benchmarks;

import java.util.concurrent.TimeUnit;

import dev.vconn.Adoption;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.Transport;
import dev.vconn.VConnRuntime;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of a refused adoption, per call: {@code adopt(int)} of a socket that was never
 * connected ({@link AdoptionFailureReason#NOT_CONNECTED}) and of a descriptor number that is not
 * open ({@link AdoptionFailureReason#BAD_FD}). A refusal leaves the descriptor unchanged, so the
 * same one is offered on every call. One thread here, two in
 * {@link AdoptionFailureTwoThreadsBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = { "-Xms512m", "-Xmx512m" })
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
@State(Scope.Benchmark)
public class AdoptionFailureBenchmark {

	private VConnRuntime runtime;

	private int unconnected;

	@Setup(Level.Trial)
	public void start() {
		this.runtime = VConnRuntime.builder().transport(Transport.EPOLL).build();
		this.unconnected = NativeFds.unconnected();
		expect(this.runtime.factory().adopt(this.unconnected), AdoptionFailureReason.NOT_CONNECTED);
		expect(this.runtime.factory().adopt(NativeFds.NOT_OPEN), AdoptionFailureReason.BAD_FD);
	}

	@TearDown(Level.Trial)
	public void stop() {
		NativeFds.close(this.unconnected);
		this.runtime.close();
	}

	@Benchmark
	public Adoption notConnected() {
		return this.runtime.factory().adopt(this.unconnected);
	}

	@Benchmark
	public Adoption badFd() {
		return this.runtime.factory().adopt(NativeFds.NOT_OPEN);
	}

	private static void expect(Adoption adoption, AdoptionFailureReason reason) {
		if (adoption.failureReason() != reason) {
			throw new IllegalStateException("expected " + reason + ", got " + adoption);
		}
	}

}
