package dev.vconn;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.VConnIo;

/**
 * A second JVM for {@link VConnTransferForeignPeerTests}: receives VConns at the path given and
 * answers each one's next 12 bytes with {@code jvm2:} and those bytes, then closes it. Prints
 * {@code LISTENING} once it serves, and exits after the first VConn.
 */
final class TransferReceiverMain {

	private TransferReceiverMain() {
	}

	public static void main(String[] args) throws Exception {
		CountDownLatch served = new CountDownLatch(1);
		try (VConnRuntime runtime = VConnRuntime.builder().transport(Transport.EPOLL).eventThreads(1).build();
				VConnReceiver receiver = VConnReceiver.builder(runtime, Path.of(args[0])).start((vconn) -> {
					VConnIo.read(vconn, 12).thenCompose((bytes) -> {
						byte[] answer = ("jvm2:" + new String(bytes, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);
						return VConnIo.write(vconn, answer);
					}).whenComplete((done, failure) -> {
						vconn.close();
						served.countDown();
					});
				})) {
			System.out.println("LISTENING");
			served.await(30, TimeUnit.SECONDS);
			runtime.close(Duration.ofSeconds(5));
		}
	}

}
