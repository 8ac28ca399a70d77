package dev.vconn.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
 * server, the floor every other path adds to. Both VConns are opened with
 * {@code VConnFactory.connect} in setup, B from A's event thread so that both share one event
 * loop (as a proxy connecting to its origin from the client's thread would; splice needs it);
 * the client's end is accepted by a JDK server socket.
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
			CompletableFuture<VConn> first = new CompletableFuture<>();
			CompletableFuture<VConn> second = new CompletableFuture<>();
			// connect B from A's event thread, which puts B on A's loop (as a proxy connecting to
			// its origin from the client's thread would): splice needs both ends on one loop
			this.runtime.factory().connect(front.getLocalAddress(), (event, data) -> {
				if (event == VConnEvent.NET_CONNECT) {
					this.runtime.factory().connect(this.echo.address()).whenComplete((vconn, failure) -> {
						if (failure != null) {
							second.completeExceptionally(failure);
						}
						else {
							second.complete(vconn);
						}
					});
					first.complete((VConn) data);
				}
				else {
					first.completeExceptionally(new IllegalStateException(event + ": " + data));
				}
			});
			a = first.get(10, TimeUnit.SECONDS);
			b = second.get(10, TimeUnit.SECONDS);
			this.client = LoopbackClient.of(front.accept());
		}
		switch (this.path) {
			case "vio" -> this.relay = VioRelay.start(a, b, this.buffers.allocator());
			case "tunnel" -> this.tunnel = Tunnel.between(a, b).splice(false).start();
			case "splice" -> this.tunnel = Tunnel.between(a, b).splice(true).start();
			default -> throw new IllegalArgumentException("unknown path " + this.path);
		}
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
			if (this.path.equals("splice") && !result.spliced()) {
				System.err.println("WARNING: the splice tunnel copied instead: " + result);
			}
		}
		this.runtime.close();
		this.echo.close();
	}

}
