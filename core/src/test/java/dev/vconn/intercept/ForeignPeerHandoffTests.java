package dev.vconn.intercept;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.List;

import dev.vconn.Transport;
import dev.vconn.VConnRuntime;
import dev.vconn.testing.CountsProcessFds;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.PeerProcess;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The peer of a takeover is another process: {@code handoff_peer.py} (Debian's
 * {@code /usr/bin/python3}), once as a running instance of another uid (started with
 * {@code setpriv}, so the test must run as root), once as a successor killed with SIGKILL in the
 * middle of the takeover.
 */
@CountsProcessFds
@Timeout(60)
class ForeignPeerHandoffTests {

	@TempDir
	Path directory;

	private final RecordingHandoffObserver observer = new RecordingHandoffObserver();

	private final List<String> counted = this.observer.counted;

	private dev.vconn.testing.TestOrigin origin;

	private VConnRuntime runtime;

	private PeerProcess peer;

	@BeforeEach
	void start() throws IOException {
		assumeTrue(Epoll.isAvailable() && NativeFds.isSupported(), "a takeover needs Linux and the epoll transport");
		assumeTrue(Files.isExecutable(PeerProcess.PYTHON), "the foreign peer needs " + PeerProcess.PYTHON + " (Debian package python3)");
		this.origin = new dev.vconn.testing.TestOrigin();
		this.runtime = VConnRuntime.builder().transport(Transport.EPOLL).eventThreads(1).build();
	}

	@AfterEach
	void stop() throws Exception {
		if (this.peer != null) {
			this.peer.kill();
		}
		if (this.runtime != null) {
			this.runtime.close(Duration.ofSeconds(5));
		}
		if (this.origin != null) {
			this.origin.close();
		}
	}

	@Test
	void aRunningInstanceOfAnotherUidIsRefusedAndNothingItSentStaysOpen() throws Exception {
		assumeTrue("root".equals(System.getProperty("user.name")) && Files.isExecutable(PeerProcess.SETPRIV),
				"runs the running instance as nobody with setpriv, which needs root; not run as "
						+ System.getProperty("user.name"));
		Path nobodys = Files.createDirectory(this.directory.resolve("nobody"));
		UserPrincipal nobody = nobodys.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
		Files.setOwner(nobodys, nobody);
		Files.setPosixFilePermissions(this.directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
		Path path = nobodys.resolve("handoff.sock");
		Path script = PeerProcess.script(getClass(), "handoff_peer.py", this.directory);
		Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
		this.peer = PeerProcess.start("handoff-peer", PeerProcess.SETPRIV.toString(), "--reuid=nobody", "--regid=nogroup", "--clear-groups", PeerProcess.PYTHON.toString(),
				script.toString(), "offer", path.toString());
		this.peer.awaitOutput("LISTENING");
		long socketsBefore = NativeFds.openSockets();

		assertThatExceptionOfType(VConnHandoffException.class)
			.isThrownBy(() -> VConnHandoff.builder(path).observer(this.observer).takeOver(listener()))
			.withMessageContaining("runs as uid 65534, neither this process's uid 0 nor one of vconn.handoff.allowed-uids")
			.satisfies((ex) -> assertThat(ex.getReason()).isEqualTo("peer-uid"));
		this.peer.awaitOutput("ANSWER peer-uid: the running instance");
		assertThat(this.counted).containsExactly("IN LISTENER REFUSED peer-uid");
		assertThat(NativeFds.openSockets()).isEqualTo(socketsBefore);
	}

	@Test
	void aSuccessorKilledInTheMiddleOfTheTakeoverLeavesTheRunningInstanceServing() throws Exception {
		Path path = this.directory.resolve("handoff.sock");
		InterceptListener listener = listener().start();
		try (VConnHandoff handoff = VConnHandoff.builder(path).observer(this.observer).offer(listener, () -> {
			throw new AssertionError("never handed over");
		})) {
			// one request first, so that the origin connection the listener keeps is open already
			assertThat(stillServed(listener)).isEqualTo(200);
			long socketsBefore = NativeFds.openSockets();
			Path script = PeerProcess.script(getClass(), "handoff_peer.py", this.directory);
			this.peer = PeerProcess.start("handoff-peer", PeerProcess.PYTHON.toString(), script.toString(), "receive", path.toString());
			// the successor holds a copy of the listening socket and has not said it serves
			this.peer.awaitOutput("RECEIVED 02 1");
			this.peer.kill();

			await().atMost(Duration.ofSeconds(10)).until(() -> !this.counted.isEmpty());
			assertThat(this.counted).containsExactly("OUT LISTENER FAILED interrupted");
			assertThat(handoff.state()).isEqualTo(VConnHandoff.State.OFFERING);
			assertThat(stillServed(listener)).isEqualTo(200);
			await().atMost(Duration.ofSeconds(5)).until(() -> NativeFds.openSockets() == socketsBefore);
		}
		finally {
			listener.close();
		}
	}

	private static int stillServed(InterceptListener listener) throws IOException {
		RawHttp.Response response = RawHttp.exchange(listener.address(),
				RawHttp.ascii("GET /still-here HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
		assertThat(response.headers()).containsEntry("x-target", "/still-here");
		return response.status();
	}

	private InterceptListener.Builder listener() {
		return InterceptListener.builder(this.runtime, new InterceptHookRegistry())
			.perTransaction(true)
			.port(0)
			.origin(this.origin.address());
	}

}
