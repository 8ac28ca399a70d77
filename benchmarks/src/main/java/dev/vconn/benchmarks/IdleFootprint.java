package dev.vconn.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.Transport;
import dev.vconn.VConn;
import dev.vconn.VConnRuntime;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * Memory per idle connection, in one JVM: heap and RSS per adopted VConn with a pending read VIO
 * (each with its own empty {@code IOBuffer}, all sharing one continuation), against raw Netty
 * {@code EpollSocketChannel}s registered with auto-read on (a pending read) and one shared
 * handler. Not a JMH benchmark: it is a footprint, measured once at a count.
 *
 * <p>The other ends of the connections live in a child JVM (this class's {@link Peers}), so that
 * this process holds one descriptor per connection. For each kind: connect {@code count} raw
 * sockets, measure, adopt or register them all, measure again; the difference divided by the
 * count is the figure. Heap is measured after repeated full GCs; RSS is {@code VmRSS}. Run with a
 * fixed, pre-touched heap so that RSS does not move with heap growth:
 *
 * <pre>
 * java -Xms1g -Xmx1g -XX:+AlwaysPreTouch -cp benchmarks/target/benchmarks.jar dev.vconn.benchmarks.IdleFootprint 10000
 * </pre>
 *
 * An adopted VConn holds two descriptors (the caller's, and the duplicate that Netty drives), so
 * 10,000 VConns need {@code ulimit -n} above 20,256; with a lower limit the program says so and
 * measures at the largest count that fits. A first round of 200 of each kind
 * loads the classes of both before anything is measured.
 */
public final class IdleFootprint {

	private static final Continuation IDLE = (event, data) -> {
	};

	private static final ChannelHandler NETTY_IDLE = new ChannelInboundHandlerAdapter() {
		@Override
		public boolean isSharable() {
			return true;
		}
	};

	private IdleFootprint() {
	}

	public static void main(String[] args) throws Exception {
		int asked = (args.length > 0) ? Integer.parseInt(args[0]) : 10_000;
		// an adopted VConn holds two descriptors: the caller's and the duplicate Netty drives
		int count = Math.min(asked, (int) ((openFilesLimit() - 256) / 2));
		if (count < asked) {
			System.out.printf(Locale.ROOT, "ulimit -n %d fits %d adopted VConns (two descriptors each), not %d%n",
					openFilesLimit(), count, asked);
		}
		Process peers = startPeers();
		try (BufferedReader out = new BufferedReader(
				new InputStreamReader(peers.getInputStream(), StandardCharsets.US_ASCII))) {
			InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(),
					Integer.parseInt(out.readLine().trim()));
			VConnRuntime runtime = VConnRuntime.builder().transport(Transport.EPOLL).build();
			EventLoopGroup netty = new MultiThreadIoEventLoopGroup(runtime.eventThreads(), EpollIoHandler.newFactory());
			try {
				vconns(runtime, address, 200);
				channels(netty, address, 200);
				Footprint vconn = vconns(runtime, address, count);
				Footprint channel = channels(netty, address, count);
				System.out.printf(Locale.ROOT, "idle connections: %d, JDK %s, Netty %s%n", count,
						Runtime.version(), io.netty.util.Version.identify().values().iterator().next().artifactVersion());
				System.out.printf(Locale.ROOT, "%-32s %14s %14s%n", "", "heap B/conn", "RSS B/conn");
				print("VConn + pending read VIO", vconn, count);
				print("Netty EpollSocketChannel", channel, count);
				System.out.printf(Locale.ROOT, "%-32s %14.2f %14.2f%n", "ratio VConn / Netty",
						(double) vconn.heap / channel.heap, (double) vconn.rss / channel.rss);
			}
			finally {
				runtime.close();
				netty.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
			}
		}
		finally {
			peers.getOutputStream().close();
			peers.waitFor(10, TimeUnit.SECONDS);
			peers.destroy();
		}
	}

	private static Footprint vconns(VConnRuntime runtime, InetSocketAddress address, int count) throws Exception {
		int[] fds = connect(address, count);
		Footprint before = Footprint.now();
		List<VConn> vconns = new ArrayList<>(count);
		List<IOBuffer> buffers = new ArrayList<>(count);
		for (int fd : fds) {
			VConn vconn = runtime.factory().adopt(fd).orElseThrow();
			IOBuffer buffer = IOBuffer.create();
			vconn.read(IDLE, buffer, Long.MAX_VALUE);
			vconns.add(vconn);
			buffers.add(buffer);
		}
		Footprint after = Footprint.now();
		vconns.forEach(VConn::close);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
		while (runtime.activeCount() > 0 && System.nanoTime() < deadline) {
			Thread.onSpinWait();
		}
		buffers.forEach(IOBuffer::close);
		return after.minus(before);
	}

	private static Footprint channels(EventLoopGroup netty, InetSocketAddress address, int count)
			throws InterruptedException {
		int[] fds = connect(address, count);
		Footprint before = Footprint.now();
		List<Channel> channels = new ArrayList<>(count);
		for (int fd : fds) {
			EpollSocketChannel channel = new EpollSocketChannel(fd);
			channel.pipeline().addLast(NETTY_IDLE);
			netty.register(channel).syncUninterruptibly();
			channels.add(channel);
		}
		Footprint after = Footprint.now();
		List<ChannelFuture> closes = new ArrayList<>(count);
		channels.forEach((channel) -> closes.add(channel.close()));
		closes.forEach(ChannelFuture::syncUninterruptibly);
		return after.minus(before);
	}

	/** The soft limit on open descriptors of this process. */
	private static long openFilesLimit() throws IOException {
		for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
			if (line.startsWith("Max open files")) {
				return Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
			}
		}
		throw new IllegalStateException("no open files limit in /proc/self/limits");
	}

	private static int[] connect(InetSocketAddress address, int count) {
		int[] fds = new int[count];
		for (int i = 0; i < count; i++) {
			fds[i] = NativeFds.connect(address);
		}
		return fds;
	}

	private static void print(String label, Footprint footprint, int count) {
		System.out.printf(Locale.ROOT, "%-32s %14d %14d%n", label, footprint.heap / count, footprint.rss / count);
	}

	private static Process startPeers() throws IOException {
		String java = ProcessHandle.current().info().command().orElse("java");
		return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
				Peers.class.getName())
			.redirectError(ProcessBuilder.Redirect.INHERIT)
			.start();
	}

	/** Heap used after GC and resident set size, in bytes. */
	record Footprint(long heap, long rss) {

		static Footprint now() throws InterruptedException {
			for (int i = 0; i < 4; i++) {
				System.gc();
				Thread.sleep(100);
			}
			long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
			return new Footprint(heap, residentSetSize());
		}

		Footprint minus(Footprint other) {
			return new Footprint(this.heap - other.heap, this.rss - other.rss);
		}

		private static long residentSetSize() {
			try {
				for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
					if (line.startsWith("VmRSS:")) {
						return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
					}
				}
			}
			catch (IOException ex) {
				throw new IllegalStateException("cannot read /proc/self/status", ex);
			}
			throw new IllegalStateException("no VmRSS in /proc/self/status");
		}

	}

	/**
	 * The other ends, in a child JVM: prints its port, accepts every connection and holds it until
	 * the connecting end closes; exits when its standard input closes.
	 */
	public static final class Peers {

		private Peers() {
		}

		public static void main(String[] args) throws IOException {
			Thread watchdog = new Thread(() -> {
				try {
					while (System.in.read() >= 0) {
						// the parent writes nothing: wait for it to close the pipe
					}
				}
				catch (IOException ex) {
					// the parent is gone either way
				}
				System.exit(0);
			});
			watchdog.setDaemon(true);
			watchdog.start();
			try (Selector selector = Selector.open(); ServerSocketChannel server = ServerSocketChannel.open()) {
				server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
				server.configureBlocking(false);
				server.register(selector, SelectionKey.OP_ACCEPT);
				System.out.println(((InetSocketAddress) server.getLocalAddress()).getPort());
				System.out.flush();
				ByteBuffer scratch = ByteBuffer.allocate(4096);
				while (true) {
					selector.select();
					for (SelectionKey key : selector.selectedKeys()) {
						if (key.isAcceptable()) {
							SocketChannel channel;
							while ((channel = server.accept()) != null) {
								channel.configureBlocking(false);
								channel.register(selector, SelectionKey.OP_READ);
							}
						}
						else if (key.isReadable()) {
							scratch.clear();
							SocketChannel channel = (SocketChannel) key.channel();
							int n;
							try {
								n = channel.read(scratch);
							}
							catch (IOException ex) {
								n = -1;
							}
							if (n < 0) {
								key.cancel();
								channel.close();
							}
						}
					}
					selector.selectedKeys().clear();
				}
			}
		}

	}

}
