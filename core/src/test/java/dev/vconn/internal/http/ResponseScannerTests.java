package dev.vconn.internal.http;

import java.nio.charset.StandardCharsets;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import dev.vconn.internal.http.ResponseHead.Framing;
import dev.vconn.testing.NettyLeakCheck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the pass-through's response scanner decides for an origin's bytes: the client's copy of
 * each head, where the body ends (RFC 9112 section 6.3), which heads are refused (502), and that
 * none of it depends on how the bytes were split into reads.
 */
@ExtendWith(NettyLeakCheck.class)
class ResponseScannerTests {

	private static final String CHUNKED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
			+ "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";

	@Test
	void contentLengthBodyEndsAfterItsLengthWhereverTheReadsAreCut() {
		String response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello";
		for (int cut = 0; cut <= response.length(); cut++) {
			ScannedResponses scanned = ScannedResponses.scan(response, cut);
			assertThat(scanned.malformed).as("cut at %d", cut).isNull();
			assertThat(scanned.lastHead().clientCopy()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n");
			assertThat(scanned.bodyText()).isEqualTo("hello");
			assertThat(scanned.completed).isEqualTo(1);
		}
	}

	@Test
	void chunkedBodyGoesOnWithItsFramingAndEndsAfterItsTrailersWhateverTheReads() {
		int[] everyByte = IntStream.rangeClosed(1, CHUNKED.length()).toArray();
		for (int[] cuts : new int[][] { {}, everyByte, { 40 }, { 60, 61, 62 }, { CHUNKED.length() - 1 } }) {
			ScannedResponses scanned = ScannedResponses.scan(CHUNKED, cuts);
			assertThat(scanned.malformed).isNull();
			assertThat(scanned.lastHead().framing()).isEqualTo(Framing.CHUNKED);
			assertThat(scanned.lastHead().clientCopy())
				.isEqualTo("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n");
			assertThat(scanned.bodyText()).isEqualTo(CHUNKED.substring(CHUNKED.indexOf("\r\n\r\n") + 4));
			assertThat(scanned.completed).isEqualTo(1);
		}
	}

	@Test
	void chunkedBodyForAClientWithoutChunksIsTheDataAloneWithoutTransferEncoding() {
		byte[] response = CHUNKED.getBytes(StandardCharsets.ISO_8859_1);
		ScannedResponses scanned = ScannedResponses.scan(response, false, true, 70, 71, 80);
		assertThat(scanned.lastHead().clientCopy()).isEqualTo("HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n");
		assertThat(scanned.bodyText()).isEqualTo("hello world");
		assertThat(scanned.completed).isEqualTo(1);
	}

	@Test
	void bytesAfterTheEndOfAResponseAreUnsolicited() {
		ScannedResponses scanned = ScannedResponses.scan("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n");
		assertThat(scanned.completed).isEqualTo(1);
		assertThat(scanned.bodyText()).isEqualTo("ok");
		assertThat(scanned.unsolicited).isTrue();
	}

	@Test
	void responseToHeadHasNoBodyWhateverItsContentLength() {
		byte[] response = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
		ScannedResponses scanned = ScannedResponses.scan(response, true, false);
		assertThat(scanned.lastHead().framing()).isEqualTo(Framing.NONE);
		assertThat(scanned.lastHead().clientCopy()).contains("Content-Length: 1000\r\n");
		assertThat(scanned.completed).isEqualTo(1);
		assertThat(scanned.lastHead().originKeepAlive()).isTrue();
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("bodiless")
	void statusesWithoutBodyEndWithTheirHead(String status) {
		ScannedResponses scanned = ScannedResponses.scan("HTTP/1.1 " + status + "\r\nContent-Length: 10\r\n\r\n");
		assertThat(scanned.lastHead().framing()).isEqualTo(Framing.NONE);
		assertThat(scanned.completed).isEqualTo(1);
		assertThat(scanned.bodyText()).isEmpty();
	}

	static Stream<String> bodiless() {
		return Stream.of("204 No Content", "304 Not Modified");
	}

	@Test
	void interimResponsesComeBeforeTheFinalOne() {
		ScannedResponses scanned = ScannedResponses.scan("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
				+ "Link: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 10, 30);
		assertThat(scanned.heads).extracting(ScannedResponses.Head::status).containsExactly(100, 103, 201);
		assertThat(scanned.heads.get(1).clientCopy()).isEqualTo("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n");
		assertThat(scanned.bodyText()).isEqualTo("ok");
		assertThat(scanned.completed).isEqualTo(1);
	}

	@Test
	void switchingProtocolsEndsTheResponseAndTheOriginConnection() {
		ScannedResponses scanned = ScannedResponses.scan("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n");
		assertThat(scanned.lastHead().framing()).isEqualTo(Framing.NONE);
		assertThat(scanned.lastHead().originKeepAlive()).isFalse();
		assertThat(scanned.lastHead().clientCopy()).isEqualTo("HTTP/1.1 101 Switching Protocols\r\n\r\n");
	}

	@Test
	void bodyWithoutFramingEndsWithTheCloseAndTheOriginConnectionIsNotKept() {
		ScannedResponses scanned = ScannedResponses.scan("HTTP/1.1 200 OK\r\n\r\nuntil the close");
		assertThat(scanned.lastHead().framing()).isEqualTo(Framing.CLOSE);
		assertThat(scanned.lastHead().originKeepAlive()).isFalse();
		assertThat(scanned.bodyText()).isEqualTo("until the close");
		assertThat(scanned.completed).isZero();
	}

	@Test
	void transferCodingOtherThanAFinalChunkedIsDelimitedByTheClose() {
		ScannedResponses scanned = ScannedResponses.scan("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxyz");
		assertThat(scanned.lastHead().framing()).isEqualTo(Framing.CLOSE);
		assertThat(scanned.bodyText()).isEqualTo("xyz");
	}

	@Test
	void hopByHopFieldsAndThoseTheConnectionFieldNamesStayWithTheOrigin() {
		ScannedResponses scanned = ScannedResponses.scan("HTTP/1.1 200 OK\r\nConnection: X-Hop, content-length, keep-alive\r\n"
				+ "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\n"
				+ "x-hop: 1\r\nX-End: 2\r\nContent-Length: 2\r\nconnection: Y-Hop\r\nY-HOP: 3\r\n\r\nok");
		assertThat(scanned.lastHead().clientCopy()).isEqualTo("HTTP/1.1 200 OK\r\nX-End: 2\r\nContent-Length: 2\r\n\r\n");
		assertThat(scanned.bodyText()).isEqualTo("ok");
		assertThat(scanned.lastHead().originKeepAlive()).isTrue();
	}

	@Test
	void bothTransferEncodingAndContentLengthIsFramedByTheFormerWithoutTheLatter() {
		ScannedResponses scanned = ScannedResponses.scan("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
				+ "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
		assertThat(scanned.lastHead().clientCopy()).isEqualTo("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		assertThat(scanned.lastHead().framing()).isEqualTo(Framing.CHUNKED);
		assertThat(scanned.lastHead().originKeepAlive()).isFalse();
		assertThat(scanned.bodyText()).isEqualTo("3\r\nabc\r\n0\r\n\r\n");
	}

	@Test
	void http10OriginKeepsItsConnectionOnlyWhenItSaysSoAndTheClientGetsTheListenersVersion() {
		ScannedResponses plain = ScannedResponses.scan("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
		assertThat(plain.lastHead().originKeepAlive()).isFalse();
		assertThat(plain.lastHead().clientCopy()).startsWith("HTTP/1.1 200 OK\r\n");
		ScannedResponses kept = ScannedResponses.scan("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok");
		assertThat(kept.lastHead().originKeepAlive()).isTrue();
		ScannedResponses closing = ScannedResponses.scan("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
		assertThat(closing.lastHead().originKeepAlive()).isFalse();
	}

	@Test
	void bareLineFeedsEndLinesAndTheClientGetsCrlf() {
		ScannedResponses scanned = ScannedResponses.scan("\r\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok");
		assertThat(scanned.malformed).isNull();
		assertThat(scanned.lastHead().clientCopy()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
		assertThat(scanned.bodyText()).isEqualTo("ok");
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("malformed")
	void malformedResponsesAreRefused(String what, String response) {
		for (int cut : new int[] { 0, 7, 20 }) {
			ScannedResponses scanned = ScannedResponses.scan(response, cut);
			assertThat(scanned.malformed).as("%s, cut at %d", what, cut).isNotNull();
			assertThat(scanned.completed).isZero();
		}
	}

	static Stream<Arguments> malformed() {
		String ok = "HTTP/1.1 200 OK\r\n";
		return Stream.of(Arguments.of("repeated Content-Length", ok + "Content-Length: 2\r\nContent-Length: 2\r\n\r\nok"),
				Arguments.of("Content-Length list", ok + "Content-Length: 2, 2\r\n\r\nok"),
				Arguments.of("negative Content-Length", ok + "Content-Length: -2\r\n\r\nok"),
				Arguments.of("Content-Length beyond a long", ok + "Content-Length: 99999999999999999999\r\n\r\nok"),
				Arguments.of("obs-fold", ok + "X-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok"),
				Arguments.of("whitespace before the colon", ok + "Content-Length : 2\r\n\r\nok"),
				Arguments.of("field without colon", ok + "Content-Length 2\r\n\r\nok"),
				Arguments.of("empty field name", ok + ": 2\r\n\r\nok"),
				Arguments.of("bare CR in a value", ok + "X-A: a\rb\r\nContent-Length: 2\r\n\r\nok"),
				Arguments.of("NUL in a value", ok + "X-A: a\0b\r\nContent-Length: 2\r\n\r\nok"),
				Arguments.of("HTTP/2.0", "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok"),
				Arguments.of("not HTTP", "ICY 200 OK\r\nContent-Length: 2\r\n\r\nok"),
				Arguments.of("status 600", "HTTP/1.1 600 Odd\r\nContent-Length: 2\r\n\r\nok"),
				Arguments.of("two-digit status", "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok"),
				Arguments.of("Transfer-Encoding in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
				Arguments.of("chunk size not hex", ok + "Transfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n"),
				Arguments.of("chunk size missing", ok + "Transfer-Encoding: chunked\r\n\r\n;x\r\nok\r\n0\r\n\r\n"),
				Arguments.of("chunk longer than its size", ok + "Transfer-Encoding: chunked\r\n\r\n1\r\nok\r\n0\r\n\r\n"),
				Arguments.of("chunk size beyond a long", ok + "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"),
				Arguments.of("head too large", ok + "X-A: " + "a".repeat(HttpLimits.MAX_RESPONSE_HEAD_SIZE) + "\r\n\r\n"));
	}

	@Test
	void headTooLargeIsRefusedBeforeItEnds() {
		String response = "HTTP/1.1 200 OK\r\nX-A: " + "a".repeat(HttpLimits.MAX_RESPONSE_HEAD_SIZE + 10);
		int[] cuts = IntStream.iterate(1000, (cut) -> cut < response.length(), (cut) -> cut + 1000).toArray();
		ScannedResponses scanned = ScannedResponses.scan(response, cuts);
		assertThat(scanned.malformed).contains("larger than");
	}

	@Test
	void bytesBeforeAnyRequestAreUnsolicitedAndReleased() {
		ResponseScanner scanner = new ResponseScanner(UnpooledByteBufAllocator.DEFAULT);
		ByteBuf bytes = ScannedResponses.bytes("HTTP/1.1 200 OK\r\n\r\n");
		ScannedResponses sink = ScannedResponses.sink();
		assertThat(scanner.read(bytes, sink)).isFalse();
		assertThat(bytes.refCnt()).isZero();
		assertThat(sink.heads).isEmpty();
	}

}
