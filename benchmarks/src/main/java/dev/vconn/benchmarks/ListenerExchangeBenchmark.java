package dev.vconn.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import dev.vconn.Transport;
import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
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
 * One HTTP/1.1 exchange on a keep-alive connection through VConn's listener with no hooks, to a
 * raw Netty origin that answers with a body of {@code body} bytes: {@code per-transaction} (every
 * request parsed and forwarded over the listener's origin pool, the default), {@code connection}
 * (the first request parsed, then the connection tunnelled as a whole, with splice),
 * {@code server-intercept} (a hook serves every request from its end of a VConn pair with a body of
 * the same size, see {@link FixedResponseIntercept}; the origin is not used), and {@code direct}
 * (the client talks to the origin itself: the floor). A body of 1 KiB shows the cost per message,
 * 1 MiB the cost per byte.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms512m", "-Xmx512m" })
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class ListenerExchangeBenchmark {

	@Param({ "per-transaction", "connection", "server-intercept", "direct" })
	public String path;

	@Param({ "1024", "1048576" })
	public int body;

	@Param({ "EPOLL" })
	public Transport transport;

	private VConnRuntime runtime;

	private NettyServer origin;

	private @Nullable InterceptListener listener;

	private LoopbackClient client;

	private final ByteBuffer request = ByteBuffer
		.wrap("GET /bytes HTTP/1.1\r\nHost: bench\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

	@Setup(Level.Trial)
	public void start() {
		this.runtime = VConnRuntime.builder().transport(this.transport).build();
		this.origin = NettyServer.http(this.body);
		InetSocketAddress target = this.origin.address();
		if (!this.path.equals("direct")) {
			InterceptHookRegistry hooks = new InterceptHookRegistry();
			if (this.path.equals("server-intercept")) {
				hooks.register(FixedResponseIntercept.hook(this.body));
			}
			InterceptListener listener = InterceptListener.builder(this.runtime, hooks)
				.address(InetAddress.getLoopbackAddress())
				.port(0)
				.origin(this.origin.address())
				.perTransaction(!this.path.equals("connection"))
				.splice(true)
				.start();
			this.listener = listener;
			target = listener.address();
		}
		this.client = LoopbackClient.connect(target);
	}

	@Benchmark
	public long exchange() throws IOException {
		return this.client.exchange(this.request);
	}

	@TearDown(Level.Trial)
	public void stop() {
		this.client.close();
		if (this.listener != null) {
			this.listener.close();
		}
		this.runtime.close();
		this.origin.close();
	}

}
