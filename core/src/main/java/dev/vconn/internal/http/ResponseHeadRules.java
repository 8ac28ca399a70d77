package dev.vconn.internal.http;

import java.util.Arrays;

import io.netty.buffer.ByteBuf;
import org.jspecify.annotations.Nullable;

/**
 * The rules of RFC 9112 for one origin response head, applied line by line once
 * {@link ResponseScanner} has found the whole head: what makes the head invalid, which fields are
 * hop-by-hop (RFC 9110 section 7.6.1), and how the body is framed (RFC 9112 section 6.3). Fills a
 * {@link ResponseHead}; one instance per scanner, {@link #read} for every head.
 */
final class ResponseHeadRules {

	private static final int NAMED_FIELDS = 8;

	private final ResponseHead head;

	/**
	 * The head's bytes, copied out of its buffer once ({@link HeadBytes#copy}): every rule reads them
	 * from here. Positions below are in this array; the {@link ResponseHead} gets buffer positions,
	 * which are {@link #base} higher.
	 */
	private byte[] bytes = new byte[0];

	/** The buffer position of {@code bytes[0]}. */
	private int base;

	private int contentLengthLine = -1;

	private boolean transferEncoding;

	private boolean chunkedLast;

	private boolean close;

	private boolean keepAlive;

	/** Names listed in {@code Connection}, other than close and keep-alive: start and end of each. */
	private int @Nullable [] named;

	private int namedCount;

	ResponseHeadRules(ResponseHead head) {
		this.head = head;
	}

	/**
	 * Reads the head in [start, end) of {@code bytes}, up to and with its empty line, into the
	 * {@link ResponseHead}, forgetting the last one.
	 * @param headRequest whether the response answers a HEAD request, so has no body
	 * @return what is wrong with the head, or null
	 */
	@Nullable String read(ByteBuf bytes, int start, int end, boolean headRequest) {
		this.bytes = HeadBytes.copy(bytes, start, end);
		this.base = start;
		this.contentLengthLine = -1;
		this.transferEncoding = false;
		this.chunkedLast = false;
		this.close = false;
		this.keepAlive = false;
		this.namedCount = 0;
		int length = end - start;
		int lineEnd = lineEnd(0, length);
		String problem = statusLine(0, lineEnd);
		if (problem != null) {
			return problem;
		}
		int line = nextLine(lineEnd);
		while (line < length) {
			int fieldEnd = lineEnd(line, length);
			if (fieldEnd == line) {
				break; // the empty line
			}
			problem = field(line, fieldEnd);
			if (problem != null) {
				return problem;
			}
			line = nextLine(fieldEnd);
		}
		return finish(headRequest);
	}

	/** End of the line starting at {@code from}: its LF, or the CR before it. */
	private int lineEnd(int from, int end) {
		int lf = HeadBytes.indexOf(this.bytes, from, end, (byte) '\n');
		return (lf > from && this.bytes[lf - 1] == '\r') ? lf - 1 : lf;
	}

	/** Start of the line after the one ending at {@code lineEnd}. */
	private int nextLine(int lineEnd) {
		return (this.bytes[lineEnd] == '\r') ? lineEnd + 2 : lineEnd + 1;
	}

	/**
	 * Reads the status line in [start, end): {@code HTTP/1.0} or {@code HTTP/1.1}, a status from 100
	 * to 599, and a reason phrase without control characters.
	 * @return what is wrong with it, or null
	 */
	private @Nullable String statusLine(int start, int end) {
		byte[] in = this.bytes;
		if (end - start < 12 || !HeadBytes.matches(in, start, "http/1.") || in[start + 8] != ' ') {
			return "invalid status line";
		}
		byte minor = in[start + 7];
		if (minor != '0' && minor != '1') {
			return "unsupported HTTP version";
		}
		int status = 0;
		for (int i = start + 9; i < start + 12; i++) {
			byte digit = in[i];
			if (digit < '0' || digit > '9') {
				return "invalid status code";
			}
			status = status * 10 + (digit - '0');
		}
		if (status < 100 || status > 599 || (end > start + 12 && in[start + 12] != ' ')) {
			return "invalid status code";
		}
		if (HeadBytes.hasControl(in, start + 12, end)) {
			return "control character in reason phrase";
		}
		this.head.minorVersion = minor - '0';
		this.head.status = status;
		this.head.statusStart = this.base + start + 9;
		this.head.statusLineEnd = this.base + end;
		return null;
	}

	/**
	 * Reads the field line in [line, end).
	 * @return what is wrong with it, or null
	 */
	private @Nullable String field(int line, int end) {
		byte[] in = this.bytes;
		byte first = in[line];
		if (first == ' ' || first == '\t') {
			return "field line folded onto the previous one (obs-fold)";
		}
		int colon = HeadBytes.tokenEnd(in, line, end);
		if (colon >= 0 && in[colon] != ':') {
			return "invalid field name";
		}
		if (colon < 0 || colon == line) {
			return "field line without a name and colon";
		}
		int valueStart = colon + 1;
		int valueEnd = end;
		while (valueStart < valueEnd && HeadBytes.isWhitespace(in[valueStart])) {
			valueStart++;
		}
		while (valueEnd > valueStart && HeadBytes.isWhitespace(in[valueEnd - 1])) {
			valueEnd--;
		}
		if (HeadBytes.hasControl(in, valueStart, valueEnd)) {
			return "control character in field value";
		}
		int index = this.head.addField(this.base + line, this.base + end);
		int nameLength = colon - line;
		if (nameLength == 14 && HeadBytes.matches(in, line, "content-length")) {
			return contentLength(index, valueStart, valueEnd);
		}
		if (nameLength == 17 && HeadBytes.matches(in, line, "transfer-encoding")) {
			this.transferEncoding = true;
			this.head.transferEncodingLine[index] = true;
			int token = valueEnd;
			while (token > valueStart && in[token - 1] != ',') {
				token--;
			}
			while (token < valueEnd && HeadBytes.isWhitespace(in[token])) {
				token++;
			}
			this.chunkedLast = valueEnd - token == 7 && HeadBytes.matches(in, token, "chunked");
		}
		else if (nameLength == 10 && HeadBytes.matches(in, line, "connection")) {
			this.head.dropped[index] = true;
			connectionTokens(valueStart, valueEnd);
		}
		else if ((nameLength == 10 && HeadBytes.matches(in, line, "keep-alive"))
				|| (nameLength == 16 && HeadBytes.matches(in, line, "proxy-connection"))
				|| (nameLength == 2 && HeadBytes.matches(in, line, "te")) || (nameLength == 7 && HeadBytes.matches(in, line, "upgrade"))) {
			this.head.dropped[index] = true;
		}
		return null;
	}

	private @Nullable String contentLength(int index, int valueStart, int valueEnd) {
		if (this.contentLengthLine >= 0) {
			return "repeated Content-Length";
		}
		if (valueEnd == valueStart || valueEnd - valueStart > 18) {
			return "invalid Content-Length";
		}
		long length = 0;
		for (int i = valueStart; i < valueEnd; i++) {
			byte digit = this.bytes[i];
			if (digit < '0' || digit > '9') {
				return "invalid Content-Length";
			}
			length = length * 10 + (digit - '0');
		}
		this.contentLengthLine = index;
		this.head.contentLength = length;
		return null;
	}

	private void connectionTokens(int start, int end) {
		byte[] in = this.bytes;
		int token = start;
		while (token < end) {
			int comma = HeadBytes.indexOf(in, token, end, (byte) ',');
			int tokenEnd = (comma < 0) ? end : comma;
			int from = token;
			int to = tokenEnd;
			while (from < to && HeadBytes.isWhitespace(in[from])) {
				from++;
			}
			while (to > from && HeadBytes.isWhitespace(in[to - 1])) {
				to--;
			}
			if (to - from == 5 && HeadBytes.matches(in, from, "close")) {
				this.close = true;
			}
			else if (to - from == 10 && HeadBytes.matches(in, from, "keep-alive")) {
				this.keepAlive = true;
			}
			else if (to > from) {
				if (this.named == null) {
					this.named = new int[NAMED_FIELDS];
				}
				else if (this.namedCount * 2 == this.named.length) {
					this.named = Arrays.copyOf(this.named, this.named.length * 2);
				}
				this.named[this.namedCount * 2] = from;
				this.named[this.namedCount * 2 + 1] = to;
				this.namedCount++;
			}
			token = tokenEnd + 1;
		}
	}

	/**
	 * Decides what the whole head says: the fields {@code Connection} names leave too (except the
	 * framing fields), the framing, and whether the origin keeps the connection.
	 * @param headRequest whether the response answers a HEAD request, so has no body
	 * @return what is wrong with the head, or null
	 */
	private @Nullable String finish(boolean headRequest) {
		ResponseHead parsed = this.head;
		if (this.namedCount > 0) {
			dropNamedFields();
		}
		if (parsed.minorVersion == 0 && this.transferEncoding) {
			return "Transfer-Encoding in an HTTP/1.0 response";
		}
		parsed.originKeepAlive = !this.close && (parsed.minorVersion == 1 || this.keepAlive);
		if (this.transferEncoding && this.contentLengthLine >= 0) {
			// framed by Transfer-Encoding; a message that says both is suspect, and its connection is not reused
			parsed.dropped[this.contentLengthLine] = true;
			parsed.contentLength = -1;
			parsed.originKeepAlive = false;
		}
		int status = parsed.status;
		if (headRequest || status < 200 || status == 204 || status == 304) {
			parsed.framing = ResponseHead.Framing.NONE;
			if (status == 101) {
				parsed.originKeepAlive = false; // what follows is not HTTP
			}
		}
		else if (this.transferEncoding) {
			parsed.framing = this.chunkedLast ? ResponseHead.Framing.CHUNKED : ResponseHead.Framing.CLOSE;
		}
		else if (this.contentLengthLine >= 0) {
			parsed.framing = ResponseHead.Framing.LENGTH;
		}
		else {
			parsed.framing = ResponseHead.Framing.CLOSE;
		}
		if (parsed.framing == ResponseHead.Framing.CLOSE) {
			parsed.originKeepAlive = false;
		}
		return null;
	}

	private void dropNamedFields() {
		ResponseHead parsed = this.head;
		for (int i = 0; i < parsed.fieldCount; i++) {
			int line = parsed.lines[i * 2] - this.base;
			int nameEnd = HeadBytes.indexOf(this.bytes, line, parsed.lines[i * 2 + 1] - this.base, (byte) ':');
			if (parsed.dropped[i] || i == this.contentLengthLine || parsed.transferEncodingLine[i]
					|| (nameEnd - line == 4 && HeadBytes.matches(this.bytes, line, "host"))) {
				continue;
			}
			for (int t = 0; t < this.namedCount; t++) {
				int from = this.named[t * 2];
				int length = this.named[t * 2 + 1] - from;
				if (length == nameEnd - line && sameIgnoringCase(line, from, length)) {
					parsed.dropped[i] = true;
					break;
				}
			}
		}
	}

	private boolean sameIgnoringCase(int a, int b, int length) {
		for (int i = 0; i < length; i++) {
			if (HeadBytes.lower(this.bytes[a + i]) != HeadBytes.lower(this.bytes[b + i])) {
				return false;
			}
		}
		return true;
	}
}
