package dev.vconn.internal.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.util.ReferenceCountUtil;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random well-formed origin responses, read by the pass-through's scanner and by Netty's HTTP
 * decoder, agree: the client's copy of the head, decoded by Netty, has the status and exactly the
 * fields Netty's decoding of the origin's head keeps once the hop-by-hop ones are removed (the rule
 * {@link ResponseRelay#removeHopByHop} applies to decoded heads), in order, and the body relayed,
 * decoded by Netty, is the origin's; however the origin's bytes were cut into reads.
 */
class ResponseScannerPropertyTests {

	/** An origin response: status, fields, body, how it is framed, and where reads are cut. */
	record Response(int status, List<Map.Entry<String, String>> fields, String body, String framing, List<Integer> cuts) {

		byte[] bytes() {
			StringBuilder text = new StringBuilder("HTTP/1.1 ").append(this.status).append(" Reason here\r\n");
			for (Map.Entry<String, String> field : this.fields) {
				text.append(field.getKey()).append(":").append(field.getValue()).append("\r\n");
			}
			boolean bodiless = this.status == 204 || this.status == 304;
			if (this.framing.equals("length") || bodiless) {
				text.append("Content-Length: ").append(bodiless ? 0 : this.body.length()).append("\r\n\r\n");
				text.append(bodiless ? "" : this.body);
			}
			else if (this.framing.equals("chunked")) {
				text.append("Transfer-Encoding: chunked\r\n\r\n");
				int from = 0;
				for (int cut : this.cuts) {
					int to = Math.min(this.body.length(), from + 1 + cut % 7);
					if (to > from) {
						text.append(Integer.toHexString(to - from)).append(cut % 3 == 0 ? ";x=y" : "").append("\r\n");
						text.append(this.body, from, to).append("\r\n");
						from = to;
					}
				}
				if (from < this.body.length()) {
					text.append(Integer.toHexString(this.body.length() - from)).append("\r\n").append(this.body.substring(from)).append("\r\n");
				}
				text.append("0\r\n").append(this.cuts.size() % 2 == 0 ? "X-Trailer: t\r\n" : "").append("\r\n");
			}
			else {
				text.append("\r\n").append(this.body);
			}
			return text.toString().getBytes(StandardCharsets.ISO_8859_1);
		}

	}

	@Property(tries = 300)
	void scannerAndNettyAgreeOnWellFormedResponses(@ForAll("responses") Response response) {
		byte[] origin = response.bytes();
		int[] cuts = response.cuts().stream().mapToInt((cut) -> cut % (origin.length + 1)).sorted().toArray();
		ScannedResponses scanned = ScannedResponses.scan(origin, false, false, cuts);
		assertThat(scanned.malformed).isNull();
		Decoded expected = decode(origin);
		ResponseRelay.removeHopByHop(expected.head.headers());
		byte[] relayed = (scanned.lastHead().clientCopy() + scanned.bodyText()).getBytes(StandardCharsets.ISO_8859_1);
		Decoded actual = decode(relayed);
		assertThat(actual.head.status()).isEqualTo(expected.head.status());
		assertThat(fields(actual.head)).isEqualTo(fields(expected.head));
		assertThat(actual.body).isEqualTo(expected.body);
		assertThat(scanned.completed).isEqualTo(response.framing().equals("close") && response.status() != 204
				&& response.status() != 304 ? 0 : 1);
	}

	private record Decoded(HttpResponse head, String body) {
	}

	private static List<String> fields(HttpResponse head) {
		return head.headers().entries().stream().map((field) -> field.getKey() + ": " + field.getValue()).toList();
	}

	/** Netty's reading of a whole response, ended by the connection's close. */
	private static Decoded decode(byte[] bytes) {
		EmbeddedChannel channel = new EmbeddedChannel(new HttpResponseDecoder());
		channel.writeInbound(Unpooled.wrappedBuffer(bytes));
		channel.finish();
		HttpResponse head = null;
		StringBuilder body = new StringBuilder();
		List<Object> read = new ArrayList<>();
		Object msg;
		while ((msg = channel.readInbound()) != null) {
			read.add(msg);
		}
		for (Object part : read) {
			try {
				assertThat(((HttpObject) part).decoderResult().isSuccess()).as("Netty decodes %s", part).isTrue();
				if (part instanceof HttpResponse) {
					head = (HttpResponse) part;
				}
				if (part instanceof HttpContent) {
					ByteBuf content = ((HttpContent) part).content();
					body.append(content.toString(StandardCharsets.ISO_8859_1));
				}
			}
			finally {
				ReferenceCountUtil.release(part);
			}
		}
		assertThat(head).isNotNull();
		return new Decoded(head, body.toString());
	}

	@Provide
	Arbitrary<Response> responses() {
		Arbitrary<Integer> status = Arbitraries.of(200, 201, 204, 206, 301, 304, 404, 500, 503);
		Arbitrary<String> ordinaryName = Arbitraries.strings().withChars("abcXYZ-_.!#0123").ofMinLength(1).ofMaxLength(12)
			.map((name) -> "X" + name);
		Arbitrary<String> hopName = Arbitraries.of("Connection", "connection", "Keep-Alive", "Proxy-Connection", "TE",
				"Upgrade", "X-Named", "x-named");
		Arbitrary<String> value = Arbitraries.strings().withCharRange(' ', '~').withChars('\t').ofMaxLength(30)
			.map((text) -> text.strip())
			.map((text) -> text.replace(",", ""));
		Arbitrary<String> connectionValue = Arbitraries.of("X-Named", "close", "keep-alive", "x-named, TE", "Content-Length",
				"host", "X-Other", "upgrade");
		Arbitrary<Map.Entry<String, String>> field = Arbitraries.oneOf(
				Combinators.combine(ordinaryName, value).as((name, text) -> Map.entry(name, " " + text)),
				Combinators.combine(hopName, value, connectionValue)
					.as((name, text, named) -> Map.entry(name, name.equalsIgnoreCase("connection") ? " " + named : text)));
		Arbitrary<List<Map.Entry<String, String>>> fields = field.list().ofMaxSize(12);
		Arbitrary<String> body = Arbitraries.strings().withCharRange(' ', '~').withChars('\r', '\n').ofMaxLength(200);
		Arbitrary<String> framing = Arbitraries.of("length", "chunked", "close");
		Arbitrary<List<Integer>> cuts = Arbitraries.integers().between(0, 10_000).list().ofMaxSize(8);
		return Combinators.combine(status, fields, body, framing, cuts).as(Response::new);
	}

}
