package dev.vconn;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.Connected;
import dev.vconn.testing.CountsProcessFds;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.PeerProcess;
import dev.vconn.testing.VConnIo;
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
 * The receiver of a {@link VConnSender} is another process: {@code transfer_peer.py} (Debian's
 * {@code /usr/bin/python3}), once running as another uid (started with {@code setpriv}, so that
 * test must run as root), once killed with SIGKILL while it holds a VConn's socket it has not
 * answered for; and a second JVM that takes a VConn over and answers its peer.
 */
@CountsProcessFds
@Timeout(60)
class VConnTransferForeignPeerTests {

	@TempDir
	Path directory;

	private final NativeFds fds = new NativeFds();

	private VConnRuntime runtime;

	private PeerProcess peer;

	@BeforeEach
	void start() {
		assumeTrue(Epoll.isAvailable() && NativeFds.isSupported(), "handing VConns over needs Linux and epoll");
		assumeTrue(Files.isExecutable(PeerProcess.PYTHON), "the foreign peer needs " + PeerProcess.PYTHON + " (Debian package python3)");
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
		this.fds.close();
	}

	@Test
	void aReceiverOfAnotherUidIsRefusedBeforeAnythingIsSent() throws Exception {
		assumeTrue("root".equals(System.getProperty("user.name")) && Files.isExecutable(PeerProcess.SETPRIV),
				"runs the receiver as nobody with setpriv, which needs root; not run as "
						+ System.getProperty("user.name"));
		Path nobodys = Files.createDirectory(this.directory.resolve("nobody"));
		UserPrincipal nobody = nobodys.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
		Files.setOwner(nobodys, nobody);
		Files.setPosixFilePermissions(this.directory, PosixFilePermissions.fromString("rwxr-xr-x"));
		Path path = nobodys.resolve("vconns.sock");
		Path script = PeerProcess.script(getClass(), "transfer_peer.py", this.directory);
		Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("r--r--r--"));
		this.peer = PeerProcess.start("transfer-peer", PeerProcess.SETPRIV.toString(), "--reuid=nobody", "--regid=nogroup", "--clear-groups", PeerProcess.PYTHON.toString(),
				script.toString(), "receive", path.toString());
		this.peer.awaitOutput("LISTENING");
		long socketsBefore = NativeFds.openSockets();

		assertThatExceptionOfType(VConnTransferException.class)
			.isThrownBy(() -> VConnSender.builder(path).connect())
			.withMessageContaining("runs as uid 65534, neither this process's uid 0")
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo("peer-uid"));

		this.peer.awaitOutput("ANSWER peer-uid: the receiver");
		assertThat(NativeFds.openSockets()).isEqualTo(socketsBefore);
	}

	@Test
	void aReceiverKilledInTheMiddleOfATransferLeavesTheVConnWithTheSenderAndNothingOpen() throws Exception {
		Path path = this.directory.resolve("vconns.sock");
		this.peer = PeerProcess.start("transfer-peer", PeerProcess.PYTHON.toString(), PeerProcess.script(getClass(), "transfer_peer.py", this.directory).toString(), "receive", path.toString());
		NativeFds.TcpConnection connection = this.fds.connectedTcp();
		VConn vconn = readingAhead(connection);
		this.peer.awaitOutput("LISTENING");
		long socketsBefore = NativeFds.openSockets();

		VConnSender sender = VConnSender.builder(path).connect();
		CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> sender.send(vconn));
		// the receiver holds a copy of the socket and the 6 bytes read ahead, and has not answered
		this.peer.awaitOutput("RECEIVED 1 6");
		this.peer.kill();

		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> sending.get(10, TimeUnit.SECONDS))
			.havingCause()
			.isInstanceOfSatisfying(VConnTransferException.class, (ex) -> assertThat(ex.reason()).isEqualTo("interrupted"));
		assertThat(vconn.isClosed()).isFalse();
		Connected.Tcp.write(connection.peer(), "abc".getBytes(StandardCharsets.US_ASCII));
		assertThat(VConnIo.read(vconn, 9).get(10, TimeUnit.SECONDS)).asString(StandardCharsets.US_ASCII)
			.isEqualTo("456789abc");
		VConnIo.write(vconn, "kept".getBytes(StandardCharsets.US_ASCII)).get(10, TimeUnit.SECONDS);
		assertThat(VConnIo.readFully(connection.peer(), 4)).asString(StandardCharsets.US_ASCII).isEqualTo("kept");
		sender.close();
		await().atMost(Duration.ofSeconds(10)).until(() -> NativeFds.openSockets() == socketsBefore);
		vconn.close();
	}

	@Test
	void aVConnSentToAnotherJvmContinuesThereWithEveryByte() throws Exception {
		Path path = this.directory.resolve("vconns.sock");
		this.peer = PeerProcess.start("transfer-peer", Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
				System.getProperty("java.class.path"), TransferReceiverMain.class.getName(), path.toString());
		NativeFds.TcpConnection connection = this.fds.connectedTcp();
		VConn vconn = readingAhead(connection);
		this.peer.awaitOutput("LISTENING");

		try (VConnSender sender = VConnSender.builder(path).connect()) {
			sender.send(vconn);
		}

		assertThat(vconn.isClosed()).isTrue();
		Connected.Tcp.write(connection.peer(), "abcdef".getBytes(StandardCharsets.US_ASCII));
		assertThat(VConnIo.readToEof(connection.peer())).asString(StandardCharsets.US_ASCII)
			.isEqualTo("jvm2:456789abcdef");
		assertThat(this.peer.exited(Duration.ofSeconds(20))).isTrue();
	}

	/** A VConn adopted from {@code connection} that has read 10 bytes from it and delivered 4. */
	private VConn readingAhead(NativeFds.TcpConnection connection) throws Exception {
		VConn vconn = this.runtime.factory().fdCreate(connection.fd());
		assertThat(vconn).isNotNull();
		this.fds.release(connection.fd());
		Connected.Tcp.write(connection.peer(), "0123456789".getBytes(StandardCharsets.US_ASCII));
		NativeFds.awaitReadable(connection.fd(), 10, Duration.ofSeconds(10));
		assertThat(VConnIo.read(vconn, 4).get(10, TimeUnit.SECONDS)).asString(StandardCharsets.US_ASCII).isEqualTo("0123");
		return vconn;
	}

}
