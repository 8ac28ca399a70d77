package dev.vconn.intercept;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.vconn.Transport;
import dev.vconn.TunnelResult;
import dev.vconn.VConnListener;
import dev.vconn.VConnRuntime;
import dev.vconn.internal.net.LibC;
import dev.vconn.testing.CountsProcessFds;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.StreamingRoutes;
import dev.vconn.testing.TestOrigin;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.vconn.intercept.RawHttp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Spliced connection-mode tunnels borrow pipes from the runtime's bounded pool only while a
 * direction moves bytes: many idle tunnels hold their two sockets and no pipe, data still flows
 * through them byte-exact, and with the pool exhausted (or off) tunnels copy instead, without an
 * error. How many idle tunnels is the system property {@code vconn.test.idle-tunnels} (default
 * 1,000; the 10,000 needs {@code ulimit -n} of at least 4 descriptors per tunnel plus a
 * margin, since the clients and the origin of this test live in the same process).
 */
@EnabledOnOs(OS.LINUX)
@CountsProcessFds
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SplicePipeTests {

	private static final int IDLE_TUNNELS = Integer.getInteger("vconn.test.idle-tunnels", 1_000);

	private static final int MAX_PIPES = 8;

	/** {@code fcntl(2)} on Linux: a pipe's capacity. */
	private static final int F_GETPIPE_SZ = 1032;

	private final List<TunnelResult> tunnels = new CopyOnWriteArrayList<>();

	private final List<Socket> clients = new ArrayList<>();

	private VConnRuntime runtime;

	private TestOrigin origin;

	private InterceptListener listener;

	@BeforeEach
	void setUp() {
		assumeTrue(Epoll.isAvailable(), "epoll is not available here");
		assumeTrue(NativeFds.isSupported(), "needs /proc and a 64-bit Linux libc");
	}

	@AfterEach
	void tearDown() throws Exception {
		for (Socket client : this.clients) {
			client.close();
		}
		if (this.listener != null) {
			this.listener.close();
		}
		if (this.runtime != null) {
			this.runtime.close(Duration.ofSeconds(5));
		}
		if (this.origin != null) {
			this.origin.close();
		}
	}

	@Test
	void idleTunnelsHoldTheirTwoSocketsAndNoPipeAndStillSplice() throws IOException {
		long needed = 4L * IDLE_TUNNELS + 512;
		assumeTrue(NativeFds.openFileLimit()[0] >= needed,
				() -> "raise ulimit -n to at least " + needed + " for " + IDLE_TUNNELS + " idle tunnels");
		long pipesBefore = pipeFds();
		start(MAX_PIPES);
		exchange(open(), 512 * 1024, 1); // warm up: the pool's first pipes, Netty's buffers
		assertThat(pipeFds()).as("pipes the pool keeps after a spliced transfer").isGreaterThan(pipesBefore);
		this.clients.remove(0).close();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.runtime.activeCount() == 0);
		long fdsBefore = NativeFds.countOpenFds();

		for (int i = 0; i < IDLE_TUNNELS; i++) {
			open();
		}
		await().atMost(Duration.ofSeconds(60)).until(() -> this.runtime.activeCount() == 2 * IDLE_TUNNELS);
		await().atMost(Duration.ofSeconds(10)).until(() -> this.origin.openConnections() == IDLE_TUNNELS);

		// each tunnel: the test's client socket and the origin's accepted socket, both in this
		// process, and the runtime's two (the accepted client connection, the origin connection)
		long runtimeFds = NativeFds.countOpenFds() - fdsBefore - 2L * IDLE_TUNNELS;
		assertThat(runtimeFds).as("descriptors the runtime holds for %d idle tunnels", IDLE_TUNNELS)
			.isLessThanOrEqualTo(2L * IDLE_TUNNELS + 2L * MAX_PIPES);
		assertThat(pipeFds() - pipesBefore).as("pipe descriptors").isLessThanOrEqualTo(2L * MAX_PIPES);

		for (int i = 0; i < 16; i++) {
			exchange(this.clients.get(i * (IDLE_TUNNELS / 16)), 512 * 1024, i);
		}
		assertThat(pipeFds() - pipesBefore).as("pipes kept by the pool once the directions went idle")
			.isLessThanOrEqualTo(2L * MAX_PIPES);
		closeClientsAndAwaitTunnels(IDLE_TUNNELS);
		assertThat(this.tunnels).allSatisfy((tunnel) -> {
			assertThat(tunnel.spliced()).isTrue();
			assertThat(tunnel.end()).isNotEqualTo(TunnelResult.End.RESET);
		});
	}

	@Test
	void exhaustedPoolCopiesWithoutErrors() throws Exception {
		start(1);
		int tunnels = 8;
		for (int i = 0; i < tunnels; i++) {
			open();
		}
		List<CompletableFuture<Void>> transfers = new ArrayList<>();
		for (int i = 0; i < tunnels; i++) {
			Socket client = this.clients.get(i);
			int seed = i;
			transfers.add(CompletableFuture.runAsync(() -> exchange(client, 2 * 1024 * 1024, seed)));
		}
		CompletableFuture.allOf(transfers.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
		closeClientsAndAwaitTunnels(tunnels);
		assertThat(this.tunnels).allSatisfy((tunnel) -> {
			assertThat(tunnel.spliced()).isTrue();
			assertThat(tunnel.end()).isEqualTo(TunnelResult.End.EOS);
		});
	}

	@Test
	void noPipesMeansCopiedTunnels() throws Exception {
		start(0);
		exchange(open(), 256 * 1024, 3);
		closeClientsAndAwaitTunnels(1);
		assertThat(this.tunnels).singleElement().satisfies((tunnel) -> assertThat(tunnel.spliced()).isFalse());
	}

	/** Every pipe a tunnel spliced through has the capacity the runtime asked for, or the kernel's default. */
	@ParameterizedTest(name = "pipeSize {0}")
	@CsvSource({ "1048576, 1048576", "262144, 262144", "0, 65536", "100000, 131072" })
	void pipesHaveTheConfiguredCapacity(int pipeSize, int expected) throws IOException {
		Set<Integer> before = pipeFdNumbers();
		start(MAX_PIPES, pipeSize);
		exchange(open(), 4 * 1024 * 1024, 3);
		Set<Integer> pooled = pipeFdNumbers();
		pooled.removeAll(before);
		assertThat(pooled).as("the pipes the tunnel spliced through").isNotEmpty();
		assertThat(pooled).allSatisfy((fd) -> assertThat(LibC.fcntl(fd, F_GETPIPE_SZ, 0)).isEqualTo(expected));
	}

	@Test
	void negativePipeSizeIsRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> VConnRuntime.builder().pipeSize(-1))
			.withMessage("pipeSize must not be negative, was -1");
	}

	private void start(int maxPipes) throws IOException {
		start(maxPipes, 256 * 1024);
	}

	private void start(int maxPipes, int pipeSize) throws IOException {
		// one event thread: both sides of a tunnel share its loop, so the tunnel can splice
		this.runtime = VConnRuntime.builder()
			.transport(Transport.EPOLL)
			.eventThreads(1)
			.maxPipes(maxPipes)
			.pipeSize(pipeSize)
			.addListener(new VConnListener() {
				@Override
				public void onTunnelEnded(TunnelResult result) {
					SplicePipeTests.this.tunnels.add(result);
				}
			})
			.build();
		this.origin = new TestOrigin(new StreamingRoutes());
		this.listener = InterceptListener.builder(this.runtime, new InterceptHookRegistry())
			.perTransaction(false)
			.port(0)
			.origin(this.origin.address())
			.splice(true)
			.start();
	}

	/** A client whose connection became a tunnel to the origin's echo: the response head is read. */
	private Socket open() throws IOException {
		Socket client = RawHttp.connect(this.listener.address());
		this.clients.add(client);
		client.getOutputStream().write(ascii("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n"));
		client.getOutputStream().flush();
		byte[] head = StreamingRoutes.readHead(client.getInputStream());
		assertThat(head).isNotNull();
		return client;
	}

	/** Sends {@code size} random bytes through the tunnel while reading their echo back, byte-exact. */
	private static void exchange(Socket client, int size, int seed) {
		byte[] sent = new byte[size];
		new Random(seed).nextBytes(sent);
		CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
			try {
				OutputStream out = client.getOutputStream();
				for (int offset = 0; offset < size; offset += 8192) {
					out.write(sent, offset, Math.min(8192, size - offset));
				}
				out.flush();
			}
			catch (IOException ex) {
				throw new java.io.UncheckedIOException(ex);
			}
		});
		try {
			InputStream in = client.getInputStream();
			byte[] received = in.readNBytes(size);
			writer.join();
			assertThat(received).as("echo of %d bytes", size).isEqualTo(sent);
		}
		catch (IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	private void closeClientsAndAwaitTunnels(int count) throws IOException {
		for (Socket client : this.clients) {
			client.close();
		}
		this.clients.clear();
		await().atMost(Duration.ofSeconds(60)).until(() -> this.tunnels.size() >= count);
	}

	private static Set<Integer> pipeFdNumbers() {
		Set<Integer> fds = new HashSet<>();
		NativeFds.identities().forEach((fd, identity) -> {
			if (identity.target().startsWith("pipe:")) {
				fds.add(fd);
			}
		});
		return fds;
	}

	private static long pipeFds() {
		Map<Integer, NativeFds.FdIdentity> identities = NativeFds.identities();
		return identities.values().stream().filter((identity) -> identity.target().startsWith("pipe:")).count();
	}

}
