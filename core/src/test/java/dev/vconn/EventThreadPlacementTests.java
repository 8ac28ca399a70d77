package dev.vconn;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.NativeFds;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A VConn made on an event thread lives on that thread: {@code fdCreate} and {@code connect} run
 * as a task of an existing VConn's {@link VConn#eventThread()} put the new VConn beside it, on
 * each of the runtime's event threads. What a continuation serving two VConns relies on to get
 * the events of both on one thread.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EventThreadPlacementTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private final List<VConn> vconns = new ArrayList<>();

	private final List<SocketChannel> accepted = new ArrayList<>();

	private VConnRuntime runtime;

	private ServerSocketChannel server;

	private NativeFds fds;

	@BeforeEach
	void setUp() throws IOException {
		assumeTrue(Epoll.isAvailable() && NativeFds.isSupported(), "fdCreate(int) needs epoll on Linux");
		this.runtime = VConnRuntime.builder().transport(Transport.EPOLL).eventThreads(2).build();
		this.server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
		this.fds = new NativeFds();
	}

	@AfterEach
	void tearDown() throws IOException {
		if (this.runtime == null) {
			return;
		}
		this.vconns.forEach(VConn::close);
		this.runtime.close(Duration.ofSeconds(2));
		for (SocketChannel channel : this.accepted) {
			channel.close();
		}
		this.server.close();
		this.fds.close();
	}

	@Test
	void fdCreateOnAVConnsEventThreadPutsTheNewVConnOnThatThread() throws Exception {
		Set<Thread> anchorThreads = new HashSet<>();
		for (VConn anchor : anchorsOnEveryThread()) {
			int fd = this.fds.connectedTo(serverAddress());
			this.accepted.add(this.server.accept());
			CompletableFuture<VConn> created = new CompletableFuture<>();

			anchor.eventThread().execute(() -> created.complete(this.runtime.factory().fdCreate(fd)));

			VConn vconn = created.get(WAIT.toSeconds(), TimeUnit.SECONDS);
			assertThat(vconn).as("fdCreate(%d)", fd).isNotNull();
			this.fds.release(fd);
			this.vconns.add(vconn);
			assertThat(threadOf(vconn)).isSameAs(threadOf(anchor));
			anchorThreads.add(threadOf(anchor));
		}
		assertThat(anchorThreads).as("anchors on both event threads").hasSize(2);
	}

	@Test
	void connectOnAVConnsEventThreadPutsTheNewVConnOnThatThread() throws Exception {
		for (VConn anchor : anchorsOnEveryThread()) {
			CompletableFuture<VConn> connected = new CompletableFuture<>();

			anchor.eventThread().execute(() -> this.runtime.factory().connect(serverAddress()).whenComplete(
					(vconn, failure) -> {
						if (failure != null) {
							connected.completeExceptionally(failure);
						}
						else {
							connected.complete(vconn);
						}
					}));

			VConn vconn = connected.get(WAIT.toSeconds(), TimeUnit.SECONDS);
			this.vconns.add(vconn);
			this.accepted.add(this.server.accept());
			assertThat(threadOf(vconn)).isSameAs(threadOf(anchor));
		}
	}

	/** In-memory VConns, made until one lives on each of the runtime's two event threads. */
	private List<VConn> anchorsOnEveryThread() throws Exception {
		List<VConn> anchors = new ArrayList<>();
		Set<Thread> threads = new HashSet<>();
		for (int made = 0; threads.size() < 2; made++) {
			assertThat(made).as("pairs made before both event threads had one").isLessThan(16);
			VConnPair pair = VConnPair.create(this.runtime);
			this.vconns.add(pair.active());
			this.vconns.add(pair.passive());
			if (threads.add(threadOf(pair.passive()))) {
				anchors.add(pair.passive());
			}
		}
		return anchors;
	}

	private static Thread threadOf(VConn vconn) throws Exception {
		CompletableFuture<Thread> thread = new CompletableFuture<>();
		vconn.eventThread().execute(() -> thread.complete(Thread.currentThread()));
		return thread.get(WAIT.toSeconds(), TimeUnit.SECONDS);
	}

	private InetSocketAddress serverAddress() {
		try {
			return (InetSocketAddress) this.server.getLocalAddress();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
