package dev.vconn.demo.origin;

import java.nio.charset.StandardCharsets;

/**
 * The deterministic bodies of {@code /1m} and {@code /large}: 64-byte lines, each the byte offset
 * of the line (16 digits), a space, 46 letters starting one further along the alphabet than the
 * line before, and a newline. Any byte range can be produced on its own, so a client can check a
 * body without the origin keeping it in memory.
 */
public final class OriginContent {

	/** The length of every line. */
	public static final int LINE = 64;

	private static final int DIGITS = 16;

	private OriginContent() {
	}

	/**
	 * Fills {@code dst[offset, offset + length)} with the content bytes at {@code position}.
	 * @param position the position in the content of the first byte wanted
	 * @param dst where the bytes go
	 * @param offset where to start in {@code dst}
	 * @param length how many bytes
	 */
	public static void fill(long position, byte[] dst, int offset, int length) {
		byte[] line = new byte[LINE];
		long lineNo = position / LINE;
		int skip = (int) (position % LINE);
		int done = 0;
		while (done < length) {
			line(lineNo, line);
			int n = Math.min(LINE - skip, length - done);
			System.arraycopy(line, skip, dst, offset + done, n);
			done += n;
			skip = 0;
			lineNo++;
		}
	}

	/**
	 * The first {@code length} content bytes.
	 * @param length how many bytes
	 * @return the bytes
	 */
	public static byte[] bytes(int length) {
		byte[] bytes = new byte[length];
		fill(0, bytes, 0, length);
		return bytes;
	}

	private static void line(long lineNo, byte[] line) {
		String offset = Long.toString(lineNo * LINE);
		int pad = DIGITS - offset.length();
		for (int i = 0; i < pad; i++) {
			line[i] = '0';
		}
		byte[] digits = offset.getBytes(StandardCharsets.US_ASCII);
		System.arraycopy(digits, 0, line, pad, digits.length);
		line[DIGITS] = ' ';
		for (int i = DIGITS + 1; i < LINE - 1; i++) {
			line[i] = (byte) ('a' + (int) ((lineNo + i - DIGITS - 1) % 26));
		}
		line[LINE - 1] = '\n';
	}

}
