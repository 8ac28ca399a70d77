package dev.vconn.pair;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import dev.vconn.IOBuffer;
import dev.vconn.Tunnel;
import dev.vconn.TunnelResult;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VIO;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Pair ends work with code written against any VConn: here, a tunnel relaying between two pairs. */
class VConnPairTunnelTests extends PairTestSupport {

	@Test
	void aTunnelRelaysBothWaysBetweenPairEndsWithHalfCloseAndEndsWithBoth() {
		VConnPair client = pair();
		VConnPair server = pair();
		CompletableFuture<TunnelResult> tunnel = Tunnel.start(client.passive(), server.active());

		ByteArrayOutputStream request = new ByteArrayOutputStream();
		IOBuffer serverIn = buffer();
		Recorder serverReader = draining(serverIn.allocReader(), request);
		server.passive().read(serverReader, serverIn, Long.MAX_VALUE);
		Recorder clientWriter = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_WRITE_COMPLETE) {
				((VIO) data).vconn().shutdown(false, true);
			}
		});
		client.active().write(clientWriter, bufferWith("GET / HTTP/1.0\r\n\r\n"), 18);
		serverReader.await(VConnEvent.VCONN_EOS);
		assertThat(text(request)).isEqualTo("GET / HTTP/1.0\r\n\r\n");

		ByteArrayOutputStream response = new ByteArrayOutputStream();
		IOBuffer clientIn = buffer();
		Recorder clientReader = draining(clientIn.allocReader(), response);
		client.active().read(clientReader, clientIn, Long.MAX_VALUE);
		Recorder serverWriter = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_WRITE_COMPLETE) {
				((VIO) data).vconn().close();
			}
		});
		String reply = "HTTP/1.0 200 OK\r\n\r\n" + "b".repeat(100_000);
		server.passive().write(serverWriter, bufferWith(reply), reply.length());
		clientReader.await(VConnEvent.VCONN_EOS);
		assertThat(text(response)).isEqualTo(reply);

		assertThat(tunnel).succeedsWithin(Duration.ofSeconds(10)).satisfies((result) -> {
			assertThat(result.bytesAToB()).isEqualTo(18);
			assertThat(result.bytesBToA()).isEqualTo(reply.length());
			assertThat(result.end()).isEqualTo(TunnelResult.End.EOS);
			assertThat(result.spliced()).isFalse();
		});
		assertThat(client.passive().isClosed()).isTrue();
		assertThat(server.active().isClosed()).isTrue();
		client.active().close();
	}

	@Test
	void anAbortBehindATunnelReachesTheFarEndAsAnError() {
		VConnPair client = pair();
		VConnPair server = pair();
		CompletableFuture<TunnelResult> tunnel = Tunnel.start(client.passive(), server.active());
		Recorder clientReader = recorder();
		client.active().read(clientReader, buffer(), Long.MAX_VALUE);

		server.passive().abort(5);
		clientReader.await(VConnEvent.ERROR);
		assertThat(tunnel).succeedsWithin(Duration.ofSeconds(10))
			.extracting(TunnelResult::end).isEqualTo(TunnelResult.End.RESET);
		client.active().close();
	}

}
