package dev.vconn.internal.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.vconn.Adoption;
import dev.vconn.VConn;
import dev.vconn.VConnRuntime;
import dev.vconn.internal.runtime.RuntimeAccess;
import dev.vconn.testing.NativeFds;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A descriptor number the runtime has just closed can be adopted at once by whoever the kernel gave
 * it to next, even when the runtime's channel was closed by Netty rather than by its VConn (a
 * listener ending a client connection, a reset) and the channel's loop has not yet run the close
 * listener that gives the number back. A program that connects a socket and adopts it under load
 * (the demo's intercept) meets exactly this: it used to get {@code ALREADY_ADOPTED}.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReusedNumberAdoptionTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private VConnRuntime runtime;

	private NativeFds fds;

	private ServerSocket server;

	@BeforeEach
	void setUp() throws Exception {
		assumeTrue(NativeFds.isSupported(), "needs /proc and a 64-bit Linux libc");
		assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
		this.runtime = VConnRuntime.builder().eventThreads(2).shutdownTimeout(Duration.ofSeconds(2)).build();
		this.fds = new NativeFds();
		this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
	}

	@AfterEach
	void tearDown() throws Exception {
		try {
			if (this.runtime != null) {
				this.runtime.close();
			}
		}
		finally {
			if (this.fds != null) {
				this.fds.close();
			}
			if (this.server != null) {
				this.server.close();
			}
		}
	}

	@Test
	void numberClosedByNettyIsAdoptedBeforeTheLoopGivesItBack() throws Exception {
		InetSocketAddress address = (InetSocketAddress) this.server.getLocalSocketAddress();
		NetVConn held = (NetVConn) this.runtime.factory().connect(address).get(WAIT.toSeconds(), TimeUnit.SECONDS);
		Channel channel = held.channel();
		int number = held.fd();
		EventLoop heldLoop = held.loop();
		EventLoop otherLoop = otherLoop(heldLoop);

		// Netty closes the channel (not the VConn): with a linger time it calls close(2) on another
		// thread and runs the close listeners on the channel's loop, which stays busy until released
		channel.config().setOption(ChannelOption.SO_LINGER, 1);
		CompletableFuture<Void> loopBusy = new CompletableFuture<>();
		heldLoop.execute(() -> {
			channel.close();
			loopBusy.join();
		});
		try {
			assertThat(channel.closeFuture().await(WAIT.toMillis())).as("close(2) done").isTrue();
			assertThat(NativeFds.isOpen(number)).as("fd %d after close(2)", number).isFalse();

			// the kernel gives the lowest free number to the next socket; if a lower one was free, the
			// socket is moved onto the number
			int reused = this.fds.connectedTo(address);
			if (reused != number) {
				int connected = reused;
				reused = this.fds.own(NativeFds.dupAtLeast(connected, number));
				this.fds.closeFd(connected);
			}
			assumeTrue(reused == number, () -> "fd " + number + " was taken by another thread of this JVM");

			// adopted on the other loop, so that registration does not wait for the busy one
			CompletableFuture<Adoption> adoption = new CompletableFuture<>();
			int offered = reused;
			otherLoop.execute(() -> adoption.complete(this.runtime.factory().adopt(offered)));
			Adoption result = adoption.get(WAIT.toSeconds(), TimeUnit.SECONDS);

			assertThat(result.failureReason()).as("adoption of fd %d: %s", offered, result.message()).isNull();
			this.fds.release(offered);
			VConn adopted = result.vconn();
			assertThat(adopted.fd()).isEqualTo(number);
			assertThat(adopted.isClosed()).isFalse();
			adopted.close();
		}
		finally {
			loopBusy.complete(null);
			held.close();
		}
	}

	private EventLoop otherLoop(EventLoop loop) {
		for (EventExecutor executor : RuntimeAccess.core(this.runtime).group()) {
			if (executor != loop) {
				return (EventLoop) executor;
			}
		}
		throw new IllegalStateException("the runtime has one event loop");
	}

}
