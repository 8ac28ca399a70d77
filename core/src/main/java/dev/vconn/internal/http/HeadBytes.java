package dev.vconn.internal.http;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;

/**
 * The byte classes of HTTP/1.1 heads that both directions check, and the scans over a head's
 * bytes. The scans run through {@link ByteBuf#forEachByte}, which checks the range once instead
 * of once per byte as {@link ByteBuf#getByte} does; every request and response head goes through
 * them.
 */
final class HeadBytes {

	/** Bytes that may appear in a token, such as a method or a field name (RFC 9110 section 5.6.2). */
	private static final boolean[] TCHAR = new boolean[128];

	static {
		for (char c = '0'; c <= '9'; c++) {
			TCHAR[c] = true;
		}
		for (char c = 'a'; c <= 'z'; c++) {
			TCHAR[c] = true;
			TCHAR[Character.toUpperCase(c)] = true;
		}
		for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
			TCHAR[c] = true;
		}
	}

	private static final ByteProcessor TOKEN = HeadBytes::isTchar;

	/** Continues over bytes a field value may hold: all but controls other than HT (NUL, CR, LF, DEL...). */
	private static final ByteProcessor FIELD_VALUE = (b) -> (b < 0 || b >= 0x20 || b == '\t') && b != 0x7f;

	private static final ByteProcessor NOT_LINE_END = (b) -> b != '\r' && b != '\n';

	private HeadBytes() {
	}

	/** Whether a byte is optional whitespace around a field value (SP or HT). */
	static boolean isWhitespace(byte b) {
		return b == ' ' || b == '\t';
	}

	static boolean isTchar(byte b) {
		return b > 0 && TCHAR[b];
	}

	/** @return the index of the first byte in [from, to) that is not a tchar, or -1 */
	static int tokenEnd(ByteBuf in, int from, int to) {
		return in.forEachByte(from, to - from, TOKEN);
	}

	/** @return whether [from, to) holds a control character other than HT */
	static boolean hasControl(ByteBuf in, int from, int to) {
		return in.forEachByte(from, to - from, FIELD_VALUE) >= 0;
	}

	/** @return the index of the first CR or LF in [from, to), or -1 */
	static int lineEnd(ByteBuf in, int from, int to) {
		return in.forEachByte(from, to - from, NOT_LINE_END);
	}

	/** Whether the bytes at {@code index} are {@code lowerCase}, ignoring ASCII case. */
	static boolean matches(ByteBuf bytes, int index, String lowerCase) {
		for (int i = 0; i < lowerCase.length(); i++) {
			if (lower(bytes.getByte(index + i)) != lowerCase.charAt(i)) {
				return false;
			}
		}
		return true;
	}

	/** An ASCII letter in lower case; any other byte as it is. */
	static int lower(byte b) {
		return (b >= 'A' && b <= 'Z') ? b + ('a' - 'A') : b;
	}

}
