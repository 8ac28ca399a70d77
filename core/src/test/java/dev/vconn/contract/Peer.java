package dev.vconn.contract;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * The far end of a VConn under test: a plain blocking {@link Socket} accepted from a
 * {@link java.net.ServerSocket} on 127.0.0.1, driven by the test thread (or a helper thread).
 * Reads time out after {@link PeerEnd#READ_TIMEOUT} so a broken engine fails a test instead of hanging it.
 */
final class Peer implements PeerEnd {

	private final Socket socket;

	private final InputStream in;

	private final OutputStream out;

	Peer(Socket socket) throws IOException {
		this.socket = socket;
		socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
		socket.setTcpNoDelay(true);
		this.in = socket.getInputStream();
		this.out = socket.getOutputStream();
	}

	Socket socket() {
		return this.socket;
	}

	@Override
	public SocketAddress localAddress() {
		return this.socket.getLocalSocketAddress();
	}

	@Override
	public SocketAddress remoteAddress() {
		return this.socket.getRemoteSocketAddress();
	}

	@Override
	public void send(byte[] bytes) throws IOException {
		this.out.write(bytes);
		this.out.flush();
	}

	/** Reads exactly {@code n} bytes; fails on an early end of stream or a reset. */
	@Override
	public byte[] readExactly(int n) throws IOException {
		byte[] bytes = this.in.readNBytes(n);
		if (bytes.length < n) {
			throw new EOFException("end of stream after " + bytes.length + " of " + n + " bytes");
		}
		return bytes;
	}

	/** Reads until end of stream; a reset throws. */
	@Override
	public byte[] readToEnd() throws IOException {
		ByteArrayOutputStream all = new ByteArrayOutputStream();
		this.in.transferTo(all);
		return all.toByteArray();
	}

	/** Reads (and drops) until the connection ends, and says how it ended. */
	@Override
	public End awaitEnd() throws IOException {
		byte[] chunk = new byte[64 * 1024];
		try {
			while (this.in.read(chunk) >= 0) {
				// drop
			}
			return End.EOF;
		}
		catch (SocketException ex) {
			if (String.valueOf(ex.getMessage()).contains("reset")) {
				return End.RESET;
			}
			throw ex;
		}
	}

	/** Whether nothing arrives (and the stream does not end) within {@code window}. */
	@Override
	public boolean receivesNothingWithin(Duration window) throws IOException {
		this.socket.setSoTimeout((int) window.toMillis());
		try {
			int b = this.in.read();
			throw new AssertionError((b < 0) ? "the stream ended" : "a byte arrived");
		}
		catch (SocketTimeoutException expected) {
			return true;
		}
		finally {
			this.socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
		}
	}

	/** Sends {@code total} pseudo-random bytes from {@code seed}; returns their CRC32. */
	@Override
	public long sendRandom(long total, long seed) throws IOException {
		Random random = new Random(seed);
		CRC32 crc = new CRC32();
		byte[] chunk = new byte[64 * 1024];
		long left = total;
		while (left > 0) {
			int n = (int) Math.min(chunk.length, left);
			random.nextBytes(chunk);
			crc.update(chunk, 0, n);
			this.out.write(chunk, 0, n);
			left -= n;
		}
		this.out.flush();
		return crc.getValue();
	}

	/** Receives exactly {@code total} bytes; returns their CRC32. */
	@Override
	public long receive(long total) throws IOException {
		CRC32 crc = new CRC32();
		byte[] chunk = new byte[64 * 1024];
		long left = total;
		while (left > 0) {
			int n = this.in.read(chunk, 0, (int) Math.min(chunk.length, left));
			if (n < 0) {
				throw new EOFException("end of stream with " + left + " of " + total + " bytes missing");
			}
			crc.update(chunk, 0, n);
			left -= n;
		}
		return crc.getValue();
	}

	@Override
	public void shutdownOutput() throws IOException {
		this.socket.shutdownOutput();
	}

	/** Closes with SO_LINGER 0, so that the VConn sees a connection reset. */
	@Override
	public void reset() throws IOException {
		this.socket.setSoLinger(true, 0);
		this.socket.close();
	}

	@Override
	public void close() {
		try {
			this.socket.close();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
