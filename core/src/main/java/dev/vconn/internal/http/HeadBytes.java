package dev.vconn.internal.http;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * The byte classes of HTTP/1.1 heads that both directions check, and the scans over a head's
 * bytes. A complete head is read from a copy in an array ({@link #copy}): a {@link ByteBuf} checks
 * its bounds and reference count at every {@link ByteBuf#getByte}, and every request and response
 * head goes through these scans. The search for a request head's end runs through
 * {@link ByteBuf#forEachByte}, which checks once per call.
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

	private static final ByteProcessor NOT_LINE_END = (b) -> b != '\r' && b != '\n';

	/** Each thread's array for the head it reads: heads are read one at a time, start to end. */
	private static final FastThreadLocal<byte[]> COPIES = new FastThreadLocal<>() {

		@Override
		protected byte[] initialValue() {
			return new byte[1024];
		}

	};

	private HeadBytes() {
	}

	/**
	 * Copies [from, to) of {@code in} into this thread's head array, at index 0.
	 * <p><b>Threads:</b> the array is the calling thread's, valid until its next call.
	 * @return the array
	 */
	static byte[] copy(ByteBuf in, int from, int to) {
		int length = to - from;
		byte[] copy = COPIES.get();
		if (copy.length < length) {
			copy = new byte[Math.max(length, copy.length * 2)];
			COPIES.set(copy);
		}
		in.getBytes(from, copy, 0, length);
		return copy;
	}

	/** Whether a byte is optional whitespace around a field value (SP or HT). */
	static boolean isWhitespace(byte b) {
		return b == ' ' || b == '\t';
	}

	private static boolean isTchar(byte b) {
		return b > 0 && TCHAR[b];
	}

	/** @return the index of the first CR or LF in [from, to), or -1 */
	static int lineEnd(ByteBuf in, int from, int to) {
		return in.forEachByte(from, to - from, NOT_LINE_END);
	}

	/** @return the index of the first byte in [from, to) that is not a tchar, or -1 */
	static int tokenEnd(byte[] in, int from, int to) {
		for (int i = from; i < to; i++) {
			if (!isTchar(in[i])) {
				return i;
			}
		}
		return -1;
	}

	/** @return whether [from, to) holds a control character other than HT */
	static boolean hasControl(byte[] in, int from, int to) {
		for (int i = from; i < to; i++) {
			byte b = in[i];
			if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) {
				return true;
			}
		}
		return false;
	}

	/** @return the index of the first {@code b} in [from, to), or -1 */
	static int indexOf(byte[] in, int from, int to, byte b) {
		for (int i = from; i < to; i++) {
			if (in[i] == b) {
				return i;
			}
		}
		return -1;
	}

	/** Whether the bytes at {@code index} are {@code lowerCase}, ignoring ASCII case. */
	static boolean matches(byte[] bytes, int index, String lowerCase) {
		for (int i = 0; i < lowerCase.length(); i++) {
			if (lower(bytes[index + i]) != lowerCase.charAt(i)) {
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
