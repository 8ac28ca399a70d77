package dev.vconn.internal.http;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.DecoderException;

/**
 * The strict reading of a request head that the listener applies before Netty's decoder parses it,
 * so that every head the listener accepts has exactly one reading (RFC 9112): whatever the next hop
 * gets parses as the request the listener accepted, and nothing else.
 *
 * <ul>
 * <li>Lines end with CRLF; a bare CR or LF is refused (400). Empty lines before the request line
 * are skipped, and count toward the head size.</li>
 * <li>The request line is {@code method SP target SP version}: a token, one SP, visible ASCII, one
 * SP, {@code HTTP/1.0} or {@code HTTP/1.1} (505 for any other {@code HTTP/d.d}); anything else,
 * tabs and control characters included, is refused (400). A longer request line than
 * {@link HttpLimits#maxRequestLine()} gets 414, a longer head than
 * {@link HttpLimits#maxHeaderSize()} 431.</li>
 * <li>Header names are tokens followed directly by the colon; values hold no control characters
 * other than HTAB; obs-fold is refused (400). A name that only looks like {@code Content-Length}
 * or {@code Transfer-Encoding} ({@code Content_Length}, {@code Transfer---Encoding}) is refused
 * (400): some servers read it as the framing header, others not.</li>
 * <li>Exactly one {@code Host}. At most one {@code Content-Length} line, whose value is digits.
 * {@code Transfer-Encoding} only in HTTP/1.1, never with {@code Content-Length}, and then exactly
 * the single coding {@code chunked}; an unknown coding gets 501, any other list 400.</li>
 * </ul>
 */
final class RequestHeadRules {

	private static final Set<String> KNOWN_CODINGS = Set.of("chunked", "compress", "deflate", "gzip", "x-gzip",
			"x-compress");

	private static final boolean[] HOST_CHAR = new boolean[128];

	static {
		for (int c = 0; c < 128; c++) {
			HOST_CHAR[c] = Character.isLetterOrDigit(c);
		}
		for (char c : "-._~!$&'()*+,;=:[]%".toCharArray()) {
			HOST_CHAR[c] = true;
		}
	}

	private RequestHeadRules() {
	}

	/** A head the listener refuses, with the status that says why. */
	static final class Rejected extends DecoderException {

		private static final long serialVersionUID = 1L;

		private final int status;

		Rejected(int status, String reason) {
			super(reason);
			this.status = status;
		}

		@Override
		public synchronized Throwable fillInStackTrace() {
			return this; // an expected outcome of bad input: the stack says nothing
		}

		int status() {
			return this.status;
		}

	}

	/**
	 * Finds the end of the head that starts at the reader index, checking sizes and line ends as far
	 * as the bytes go, and validates the whole head once it is complete.
	 * @return the length of the head, empty line included, or -1 while it is incomplete
	 * @throws Rejected if the head is refused
	 */
	static int check(ByteBuf in, HttpLimits limits) {
		int start = in.readerIndex();
		int end = in.writerIndex();
		int pos = start;
		while (pos + 1 < end && in.getByte(pos) == '\r' && in.getByte(pos + 1) == '\n') {
			pos += 2; // empty lines before the request line (RFC 9112 section 2.2)
		}
		int requestLineStart = pos;
		int requestLineEnd = -1;
		while (true) {
			if (pos - start > limits.maxHeaderSize()) {
				throw new Rejected(431, "request head larger than " + limits.maxHeaderSize() + " bytes");
			}
			int eol = HeadBytes.lineEnd(in, pos, end);
			if (requestLineEnd < 0) {
				int lineLength = ((eol < 0) ? end : eol) - requestLineStart;
				if (lineLength > limits.maxRequestLine()) {
					throw new Rejected(414, "request line longer than " + limits.maxRequestLine() + " bytes");
				}
			}
			if (eol < 0) {
				if (end - start > limits.maxHeaderSize()) {
					throw new Rejected(431, "request head larger than " + limits.maxHeaderSize() + " bytes");
				}
				return -1;
			}
			if (in.getByte(eol) == '\n') {
				throw new Rejected(400, "a line ends with a bare LF");
			}
			if (eol + 1 >= end) {
				return -1;
			}
			if (in.getByte(eol + 1) != '\n') {
				throw new Rejected(400, "a bare CR");
			}
			if (requestLineEnd < 0) {
				requestLineEnd = eol;
			}
			else if (eol == pos) {
				int length = eol + 2 - start;
				if (length > limits.maxHeaderSize()) {
					throw new Rejected(431, "request head larger than " + limits.maxHeaderSize() + " bytes");
				}
				validate(in, requestLineStart, requestLineEnd, eol);
				return length;
			}
			pos = eol + 2;
		}
	}

	/**
	 * Validates a complete head: the request line in [lineStart, lineEnd), then the header lines up
	 * to {@code headEnd}. Reads a copy of the head ({@link HeadBytes#copy}), whose positions are
	 * {@code lineStart} lower.
	 */
	private static void validate(ByteBuf buffer, int lineStart, int lineEnd, int headEnd) {
		byte[] in = HeadBytes.copy(buffer, lineStart, headEnd);
		int requestLineEnd = lineEnd - lineStart;
		int end = headEnd - lineStart;
		boolean http10 = validateRequestLine(in, 0, requestLineEnd);
		int hosts = 0;
		int contentLengths = 0;
		StringBuilder codings = null;
		int pos = requestLineEnd + 2;
		while (pos < end) {
			int eol = HeadBytes.indexOf(in, pos, end, (byte) '\r');
			int colon = validateHeaderLine(in, pos, eol);
			int nameLength = colon - pos;
			if (nameLength == 4 && HeadBytes.matches(in, pos, "host")) {
				hosts++;
				validateHost(in, colon + 1, eol);
			}
			else if (nameLength == 14 && HeadBytes.matches(in, pos, "content-length")) {
				contentLengths++;
				String value = ascii(in, colon + 1, eol).trim();
				if (value.isEmpty() || value.length() > 18 || !value.chars().allMatch((c) -> c >= '0' && c <= '9')) {
					throw new Rejected(400, "Content-Length is not a number: " + value);
				}
			}
			else if (nameLength == 17 && HeadBytes.matches(in, pos, "transfer-encoding")) {
				String value = ascii(in, colon + 1, eol).trim();
				codings = (codings == null) ? new StringBuilder(value) : codings.append(',').append(value);
			}
			else if (spells(in, pos, colon, "contentlength") || spells(in, pos, colon, "transferencoding")) {
				throw new Rejected(400, "a header name that looks like a framing header: "
						+ ascii(in, pos, colon).toLowerCase(Locale.ROOT));
			}
			pos = eol + 2;
		}
		if (hosts != 1) {
			throw new Rejected(400, (hosts == 0) ? "no Host header" : "more than one Host header");
		}
		if (contentLengths > 1) {
			throw new Rejected(400, "more than one Content-Length");
		}
		if (codings != null) {
			validateCodings(codings.toString(), http10, contentLengths > 0);
		}
	}

	/** @return whether the request is HTTP/1.0 */
	private static boolean validateRequestLine(byte[] in, int start, int end) {
		int pos = HeadBytes.tokenEnd(in, start, end);
		if (pos == start || pos < 0 || in[pos] != ' ') {
			throw new Rejected(400, "malformed method");
		}
		int targetStart = ++pos;
		while (pos < end && in[pos] > 0x20 && in[pos] < 0x7f) {
			pos++;
		}
		if (pos == targetStart || pos >= end || in[pos] != ' ') {
			throw new Rejected(400, "malformed request target");
		}
		int version = pos + 1;
		if (end - version == 8 && in[version] == 'H' && in[version + 1] == 'T' && in[version + 2] == 'T'
				&& in[version + 3] == 'P' && in[version + 4] == '/' && isDigit(in[version + 5])
				&& in[version + 6] == '.' && isDigit(in[version + 7])) {
			if (in[version + 5] == '1' && in[version + 7] == '1') {
				return false;
			}
			if (in[version + 5] == '1' && in[version + 7] == '0') {
				return true;
			}
			throw new Rejected(505, "unsupported version " + ascii(in, version, end));
		}
		throw new Rejected(400, "malformed version");
	}

	private static boolean isDigit(byte b) {
		return b >= '0' && b <= '9';
	}

	/** @return the index of the colon */
	private static int validateHeaderLine(byte[] in, int start, int end) {
		int pos = HeadBytes.tokenEnd(in, start, end);
		if (pos == start) {
			// a line starting with whitespace is obs-fold (RFC 9112 section 5.2), anything else is not a field
			throw new Rejected(400, "malformed header line");
		}
		if (pos < 0 || in[pos] != ':') {
			throw new Rejected(400, "malformed header name");
		}
		if (HeadBytes.hasControl(in, pos + 1, end)) {
			throw new Rejected(400, "a control character in a header value");
		}
		return pos;
	}

	/** Checks a Host value, [from, to) without the whitespace around it, byte by byte. */
	private static void validateHost(byte[] in, int from, int to) {
		while (from < to && HeadBytes.isWhitespace(in[from])) {
			from++;
		}
		while (to > from && HeadBytes.isWhitespace(in[to - 1])) {
			to--;
		}
		for (int i = from; i < to; i++) {
			byte c = in[i];
			if (c < 0 || !HOST_CHAR[c]) {
				throw new Rejected(400, "malformed Host");
			}
		}
	}

	/**
	 * Whether the letters of the field name [from, to), ignoring case and anything else, spell
	 * {@code word}: a name that is not a framing header but reads as one once its punctuation is
	 * ignored ({@code Content_Length}, {@code Transfer---Encoding}, {@code content.length}).
	 */
	private static boolean spells(byte[] in, int from, int to, String word) {
		int next = 0;
		for (int i = from; i < to; i++) {
			int c = HeadBytes.lower(in[i]);
			if (c >= 'a' && c <= 'z') {
				if (next == word.length() || c != word.charAt(next)) {
					return false;
				}
				next++;
			}
		}
		return next == word.length();
	}

	private static void validateCodings(String value, boolean http10, boolean contentLength) {
		if (http10) {
			throw new Rejected(400, "Transfer-Encoding in an HTTP/1.0 request");
		}
		if (contentLength) {
			throw new Rejected(400, "both Content-Length and Transfer-Encoding");
		}
		int count = 0;
		boolean chunked = false;
		for (String element : value.split(",", -1)) {
			String coding = element.trim().toLowerCase(Locale.ROOT);
			int semicolon = coding.indexOf(';');
			String name = ((semicolon >= 0) ? coding.substring(0, semicolon) : coding).trim();
			if (name.isEmpty()) {
				continue;
			}
			if (!KNOWN_CODINGS.contains(name)) {
				throw new Rejected(501, "unknown transfer coding " + name);
			}
			count++;
			chunked = name.equals("chunked") && semicolon < 0;
		}
		if (count != 1 || !chunked) {
			throw new Rejected(400, "a transfer coding other than a single chunked");
		}
	}

	private static String ascii(byte[] in, int from, int to) {
		return new String(in, from, to - from, StandardCharsets.ISO_8859_1);
	}

}
