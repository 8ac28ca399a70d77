package dev.vconn.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import dev.vconn.Transport;
import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.internal.runtime.RuntimeAccess;
import dev.vconn.testing.CountsProcessFds;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.NettyLeakCheck;
import io.netty.channel.epoll.Epoll;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Closing a runtime closes every socket its event loops still hold, however busy the loops are
 * when the close comes, on either transport. A loop busy with tasks at that moment used to end without closing the
 * channels still registered with it: a keep-alive client connection and the pooled origin
 * connection stayed open (the origin's end in CLOSE_WAIT never came) after the runtime had closed.
 */
@EnabledOnOs(OS.LINUX)
@CountsProcessFds
@ExtendWith(NettyLeakCheck.class)
@Timeout(60)
class RuntimeCloseReleasesEveryFdTests {

	@ParameterizedTest
	@EnumSource(value = Transport.class, names = { "EPOLL", "NIO" })
	void runtimeClosedWhileItsLoopsAreBusyClosesTheClientAndOriginConnections(Transport transport) throws Exception {
		assumeTrue(transport != Transport.EPOLL || Epoll.isAvailable(), "native epoll is not available here");
		closeRuntimeWhileItsLoopsAreBusy(transport); // loads what is loaded once per process
		long before = NativeFds.countOpenFds();
		closeRuntimeWhileItsLoopsAreBusy(transport);
		Reliability.within(Duration.ofSeconds(10)).until(() -> NativeFds.countOpenFds() <= before);
	}

	/**
	 * Serves one keep-alive request through a listener, then closes the runtime while each of its
	 * loops runs a task, and checks that the client and origin connections were closed.
	 */
	private static void closeRuntimeWhileItsLoopsAreBusy(Transport transport) throws Exception {
		try (LoadOrigin origin = new LoadOrigin()) {
			VConnRuntime runtime = VConnRuntime.builder()
				.eventThreads(2)
				.transport(transport)
				.shutdownTimeout(Duration.ofMillis(100))
				.build();
			try (InterceptListener listener = InterceptListener.builder(runtime, new InterceptHookRegistry())
				.port(0)
				.origin(origin.address())
				.start(); Socket client = new Socket()) {
				client.connect(listener.address(), 5_000);
				client.setSoTimeout(10_000);
				client.getOutputStream()
					.write("GET /kept HTTP/1.1\r\nHost: origin.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
				String body = LoadOrigin.bodyFor("/kept", 0);
				assertThat(readUntil(client.getInputStream(), body)).startsWith("HTTP/1.1 200 ");
				assertThat(origin.open()).as("the pooled origin connection").isEqualTo(1);

				// every loop runs a task until the shutdown has begun, so that none of them passes
				// through an iteration of its own that sees the shutdown
				CountDownLatch release = new CountDownLatch(1);
				List<EventExecutor> loops = new ArrayList<>();
				RuntimeAccess.core(runtime).group().forEach(loops::add);
				CountDownLatch busy = new CountDownLatch(loops.size());
				loops.forEach((loop) -> loop.execute(() -> {
					busy.countDown();
					awaitUninterruptibly(release);
				}));
				busy.await();
				CompletableFuture<Void> closed = CompletableFuture.runAsync(runtime::close);
				Reliability.within(Duration.ofSeconds(10)).until(() -> loops.stream().allMatch(EventExecutor::isShuttingDown));
				release.countDown();
				closed.join();

				assertThat(client.getInputStream().read()).as("the client connection, closed by the runtime").isEqualTo(-1);
				Reliability.within(Duration.ofSeconds(10)).until(() -> origin.open() == 0);
			}
		}
	}

	private static String readUntil(InputStream in, String end) throws IOException {
		ByteArrayOutputStream read = new ByteArrayOutputStream();
		while (!read.toString(StandardCharsets.ISO_8859_1).endsWith(end)) {
			int b = in.read();
			if (b < 0) {
				throw new IOException("closed after " + read.toString(StandardCharsets.ISO_8859_1));
			}
			read.write(b);
		}
		return read.toString(StandardCharsets.ISO_8859_1);
	}

	private static void awaitUninterruptibly(CountDownLatch latch) {
		boolean interrupted = false;
		while (true) {
			try {
				latch.await();
				break;
			}
			catch (InterruptedException ex) {
				interrupted = true;
			}
		}
		if (interrupted) {
			Thread.currentThread().interrupt();
		}
	}

}
