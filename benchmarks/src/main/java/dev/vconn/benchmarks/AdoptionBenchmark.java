package dev.vconn.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.vconn.Adoption;
import dev.vconn.Transport;
import dev.vconn.VConn;
import dev.vconn.VConnRuntime;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Adopting a connected loopback TCP socket: {@code VConnFactory.fdCreate(int)} and
 * {@code VConnFactory.adopt(SocketChannel)} against raw Netty ({@code new EpollSocketChannel(fd)}
 * registered with an epoll event loop group of as many threads as the runtime has), in one run.
 *
 * <p>Each adoption consumes a socket, so every iteration is a batch of {@value #BATCH} adoptions
 * of sockets connected in the iteration's setup (single-shot mode: the score is the time per
 * adoption); the adopted VConns and channels are closed in its teardown. One thread here; the
 * same benchmarks on two threads are in {@link AdoptionTwoThreadsBenchmark}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = { "-Xms512m", "-Xmx512m" })
@Warmup(iterations = 20, batchSize = AdoptionBenchmark.BATCH)
@Measurement(iterations = 20, batchSize = AdoptionBenchmark.BATCH)
@OperationsPerInvocation(AdoptionBenchmark.BATCH)
@Threads(1)
public class AdoptionBenchmark {

	/** Adoptions per iteration, per thread. */
	static final int BATCH = 500;

	@Benchmark
	public VConn fdCreate(Engines engines, RawFds fds) {
		VConn vconn = engines.runtime.factory().fdCreate(fds.next());
		if (vconn == null) {
			throw new IllegalStateException("fdCreate failed on a connected socket");
		}
		fds.vconns.add(vconn);
		return vconn;
	}

	@Benchmark
	public VConn adoptSocketChannel(Engines engines, JdkChannels channels) {
		Adoption adoption = engines.runtime.factory().adopt(channels.next());
		VConn vconn = adoption.orElseThrow();
		channels.vconns.add(vconn);
		return vconn;
	}

	@Benchmark
	public Channel nettyEpollSocketChannel(Engines engines, RawFds fds) {
		EpollSocketChannel channel = new EpollSocketChannel(fds.next());
		engines.netty.register(channel).syncUninterruptibly();
		fds.channels.add(channel);
		return channel;
	}

	/** The VConn runtime and the Netty group under test, and the server the sockets connect to. */
	@State(Scope.Benchmark)
	public static class Engines {

		VConnRuntime runtime;

		EventLoopGroup netty;

		LoopbackAcceptor acceptor;

		@Setup(Level.Trial)
		public void start() {
			this.runtime = VConnRuntime.builder().transport(Transport.EPOLL).build();
			this.netty = new MultiThreadIoEventLoopGroup(this.runtime.eventThreads(), EpollIoHandler.newFactory());
			this.acceptor = new LoopbackAcceptor();
		}

		@TearDown(Level.Iteration)
		public void closePeers() {
			this.acceptor.closeAccepted();
		}

		@TearDown(Level.Trial)
		public void stop() {
			this.acceptor.close();
			this.runtime.close();
			this.netty.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
		}

	}

	/** A batch of connected raw descriptors per thread, made with libc. */
	@State(Scope.Thread)
	public static class RawFds {

		final int[] fds = new int[BATCH];

		int taken;

		final List<VConn> vconns = new ArrayList<>(BATCH);

		final List<Channel> channels = new ArrayList<>(BATCH);

		@Setup(Level.Iteration)
		public void connect(Engines engines) {
			for (int i = 0; i < BATCH; i++) {
				this.fds[i] = NativeFds.connect(engines.acceptor.address());
			}
			this.taken = 0;
		}

		int next() {
			return this.fds[this.taken++];
		}

		@TearDown(Level.Iteration)
		public void close(Engines engines) {
			closeAll(this.vconns, engines.runtime);
			List<ChannelFuture> closes = new ArrayList<>(this.channels.size());
			this.channels.forEach((channel) -> closes.add(channel.close()));
			closes.forEach(ChannelFuture::syncUninterruptibly);
			this.channels.clear();
			for (int i = this.taken; i < BATCH; i++) {
				NativeFds.close(this.fds[i]);
			}
		}

	}

	/** A batch of connected JDK socket channels per thread. */
	@State(Scope.Thread)
	public static class JdkChannels {

		final SocketChannel[] channels = new SocketChannel[BATCH];

		int taken;

		final List<VConn> vconns = new ArrayList<>(BATCH);

		@Setup(Level.Iteration)
		public void connect(Engines engines) throws IOException {
			for (int i = 0; i < BATCH; i++) {
				this.channels[i] = SocketChannel.open(engines.acceptor.address());
			}
			this.taken = 0;
		}

		SocketChannel next() {
			return this.channels[this.taken++];
		}

		@TearDown(Level.Iteration)
		public void close(Engines engines) {
			closeAll(this.vconns, engines.runtime);
			for (int i = this.taken; i < BATCH; i++) {
				try {
					this.channels[i].close();
				}
				catch (IOException ex) {
					throw new UncheckedIOException(ex);
				}
			}
		}

	}

	/**
	 * Closes the VConns an iteration adopted and waits until the runtime has released them all, as
	 * the raw Netty channels' closes are waited for: no close of one iteration runs on the event
	 * loops during the next one's adoptions.
	 */
	static void closeAll(List<VConn> vconns, VConnRuntime runtime) {
		vconns.forEach(VConn::close);
		vconns.clear();
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (runtime.activeCount() > 0) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException(runtime.activeCount() + " VConns still open 10 s after their close");
			}
			Thread.onSpinWait();
		}
	}

}
