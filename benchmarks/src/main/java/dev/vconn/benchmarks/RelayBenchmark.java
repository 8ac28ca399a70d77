package dev.vconn.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.vconn.Transport;
import dev.vconn.Tunnel;
import dev.vconn.TunnelResult;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnRuntime;
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
 * Bytes relayed between two socket VConns: a message goes from the benchmark thread over loopback
 * to VConn A, is relayed to VConn B, goes to a raw Netty echo server, and comes back the same way.
 * The score is the round trip of one message; {@code payload} 128 B shows the cost per message,
 * 1 MiB the cost per byte.
 *
 * <p>Paths: {@code vio} relays with four VIOs ({@link VioRelay}, a plugin's shuffle);
 * {@code tunnel} with {@code Tunnel} copying through the JVM; {@code splice} with {@code Tunnel}
 * and {@code splice(2)} (epoll only); {@code direct} connects the client straight to the echo
 * server, the floor every other path adds to (it ignores {@code loops}). Both VConns are opened
 * with {@code VConnFactory.connect} in setup; {@code loops=same} connects B from A's event thread,
 * which puts both on one event loop (as a proxy connecting to its origin from the client's thread
 * would; splice needs it), {@code loops=different} puts them on two loops, as a connect from a
 * thread of the user's own does half the time: then one continuation (the relay's) takes events
 * from two threads, and a tunnel asked to splice copies instead. The client's end is accepted by
 * a JDK server socket.
 * {@code buffers} applies to the {@code vio} path's IOBuffers.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms512m", "-Xmx512m" })
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class RelayBenchmark {

	@Param({ "vio", "tunnel", "splice", "direct" })
	public String path;

	@Param({ "128", "16384", "1048576" })
	public int payload;

	@Param({ "same", "different" })
	public String loops;

	@Param({ "EPOLL" })
	public Transport transport;

	@Param({ "POOLED" })
	public Buffers buffers;

	private VConnRuntime runtime;

	private NettyServer echo;

	private LoopbackClient client;

	private ByteBuffer message;

	private @Nullable VioRelay relay;

	private @Nullable CompletableFuture<TunnelResult> tunnel;

	@Setup(Level.Trial)
	public void start() throws Exception {
		this.runtime = VConnRuntime.builder().transport(this.transport).build();
		this.echo = NettyServer.echo();
		this.message = ByteBuffer.allocateDirect(this.payload);
		while (this.message.hasRemaining()) {
			this.message.put((byte) this.message.position());
		}
		this.message.flip();
		if (this.path.equals("direct")) {
			this.client = LoopbackClient.connect(this.echo.address());
			return;
		}
		VConn a;
		VConn b;
		try (ServerSocketChannel front = ServerSocketChannel.open()) {
			front.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
			Opened first = open(front.getLocalAddress(), this.loops.equals("same") ? this.echo.address() : null);
			a = first.vconn();
			b = this.loops.equals("same") ? first.next().get(10, TimeUnit.SECONDS) : openOnAnotherLoop(first);
			this.client = LoopbackClient.of(front.accept());
		}
		switch (this.path) {
			case "vio" -> this.relay = VioRelay.start(a, b, this.buffers.allocator());
			case "tunnel" -> this.tunnel = Tunnel.between(a, b).splice(false).start();
			case "splice" -> this.tunnel = Tunnel.between(a, b).splice(true).start();
			default -> throw new IllegalArgumentException("unknown path " + this.path);
		}
	}

	/**
	 * Connects to {@code remote}; with {@code then} also connects there from the new VConn's
	 * event thread, which puts the second VConn on the same loop.
	 */
	private Opened open(SocketAddress remote, @Nullable SocketAddress then) throws Exception {
		CompletableFuture<Opened> opened = new CompletableFuture<>();
		CompletableFuture<VConn> next = new CompletableFuture<>();
		this.runtime.factory().connect(remote, (event, data) -> {
			if (event != VConnEvent.NET_CONNECT) {
				opened.completeExceptionally(new IllegalStateException(event + ": " + data));
				return;
			}
			if (then != null) {
				this.runtime.factory().connect(then).whenComplete((vconn, failure) -> {
					if (failure != null) {
						next.completeExceptionally(failure);
					}
					else {
						next.complete(vconn);
					}
				});
			}
			opened.complete(new Opened((VConn) data, Thread.currentThread(), next));
		});
		return opened.get(10, TimeUnit.SECONDS);
	}

	/** Connects to the echo server until the VConn lands on another event loop than {@code first}. */
	private VConn openOnAnotherLoop(Opened first) throws Exception {
		for (int attempt = 0; attempt < 16; attempt++) {
			Opened second = open(this.echo.address(), null);
			if (second.thread() != first.thread()) {
				return second.vconn();
			}
			second.vconn().close();
		}
		throw new IllegalStateException("every connect landed on the loop of the first VConn; one event thread?");
	}

	/** A VConn, the event thread it was connected on, and the VConn connected from there, if any. */
	private record Opened(VConn vconn, Thread thread, CompletableFuture<VConn> next) {
	}

	@Benchmark
	public int roundTrip() throws IOException {
		return this.client.echo(this.message);
	}

	@TearDown(Level.Trial)
	public void stop() throws Exception {
		this.client.close();
		if (this.relay != null) {
			this.relay.close();
		}
		if (this.tunnel != null) {
			TunnelResult result = this.tunnel.get(10, TimeUnit.SECONDS);
			if (this.path.equals("splice") && this.loops.equals("same") && !result.spliced()) {
				System.err.println("WARNING: the splice tunnel copied instead: " + result);
			}
		}
		this.runtime.close();
		this.echo.close();
	}

}
