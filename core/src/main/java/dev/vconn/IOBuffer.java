package dev.vconn;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A chain of reference-counted byte blocks with one writer and any number of readers, each with
 * its own position (Traffic Server's {@code TSIOBuffer}). Bytes are released once every reader
 * has consumed them.
 *
 * <p><b>Water mark:</b> a buffer is at high water when its fullest reader has at least
 * {@link #waterMark()} bytes available. A read VIO stops filling a buffer at high water until
 * {@link VIO#reenable()}, which bounds memory per connection.
 *
 * <p><b>Threads:</b> not thread-safe. While a VIO uses the buffer, touch it only inside that
 * VIO's continuation or while holding the continuation's {@link Continuation#mutex()}.
 *
 * <p><b>Ownership:</b> the creator owns the buffer and must {@link #close()} it once no VIO uses
 * it; closing releases every block. A {@link ByteBuf} passed to {@link #write(ByteBuf)} becomes the
 * buffer's.
 *
 * @since 0.1.0
 */
public final class IOBuffer implements AutoCloseable {

	/** The water mark of buffers created without one: 32 KiB, like Traffic Server's intercept buffers. */
	public static final int DEFAULT_WATER_MARK = 32 * 1024;

	private static final int MIN_BLOCK_SIZE = 4096;

	private final ByteBufAllocator allocator;

	private final ArrayDeque<Block> blocks = new ArrayDeque<>();

	private final List<IOBufferReader> readers = new ArrayList<>(1);

	/** Absolute offset of the first byte held (start of the head block). */
	private long start;

	/** Absolute offset one past the last byte written. */
	private long end;

	private int waterMark;

	private boolean closed;

	private IOBuffer(ByteBufAllocator allocator, int waterMark) {
		this.allocator = Objects.requireNonNull(allocator, "allocator");
		setWaterMark(waterMark);
	}

	/**
	 * Creates a buffer with the {@link #DEFAULT_WATER_MARK} on Netty's default allocator.
	 * @return a new buffer
	 */
	public static IOBuffer create() {
		return new IOBuffer(ByteBufAllocator.DEFAULT, DEFAULT_WATER_MARK);
	}

	/**
	 * Creates a buffer with the given water mark on Netty's default allocator.
	 * @param waterMark bytes at which the buffer counts as full, at least 1
	 * @return a new buffer
	 */
	public static IOBuffer create(int waterMark) {
		return new IOBuffer(ByteBufAllocator.DEFAULT, waterMark);
	}

	/**
	 * Creates a buffer whose blocks come from {@code allocator}.
	 * @param allocator allocates blocks for {@link #write(byte[], int, int)}
	 * @param waterMark bytes at which the buffer counts as full, at least 1
	 * @return a new buffer
	 */
	public static IOBuffer create(ByteBufAllocator allocator, int waterMark) {
		return new IOBuffer(allocator, waterMark);
	}

	/**
	 * Adds a reader positioned at the oldest byte still held.
	 * @return the new reader
	 */
	public IOBufferReader allocReader() {
		ensureOpen();
		IOBufferReader reader = new IOBufferReader(this, this.start);
		this.readers.add(reader);
		return reader;
	}

	/**
	 * Copies {@code length} bytes of {@code src} into the buffer.
	 * @param src the bytes
	 * @param offset where they start in {@code src}
	 * @param length how many
	 */
	public void write(byte[] src, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, src.length);
		ensureOpen();
		int remaining = length;
		int at = offset;
		while (remaining > 0) {
			ByteBuf tail = appendableTail();
			int n = Math.min(remaining, tail.writableBytes());
			tail.writeBytes(src, at, n);
			at += n;
			remaining -= n;
			this.end += n;
		}
	}

	/**
	 * Copies all of {@code src} into the buffer.
	 * @param src the bytes
	 */
	public void write(byte[] src) {
		write(src, 0, src.length);
	}

	/**
	 * Copies the remaining bytes of {@code src} into the buffer, advancing its position.
	 * @param src the bytes
	 */
	public void write(ByteBuffer src) {
		ensureOpen();
		while (src.hasRemaining()) {
			ByteBuf tail = appendableTail();
			int n = Math.min(src.remaining(), tail.writableBytes());
			ByteBuffer part = src.slice();
			part.limit(n);
			tail.writeBytes(part);
			src.position(src.position() + n);
			this.end += n;
		}
	}

	/**
	 * Appends the readable bytes of {@code buf} without copying.
	 * <p><b>Ownership:</b> {@code buf} becomes this buffer's, even if this method throws; do not
	 * use or release it afterwards.
	 * @param buf the bytes
	 */
	public void write(ByteBuf buf) {
		if (this.closed) {
			buf.release();
			throw new IllegalStateException("IOBuffer is closed");
		}
		int n = buf.readableBytes();
		if (n == 0) {
			buf.release();
			return;
		}
		this.blocks.addLast(new Block(buf, this.end, false));
		this.end += n;
	}

	/**
	 * Appends up to {@code length} bytes readable from {@code src}, sharing its blocks instead of
	 * copying (Traffic Server's {@code TSIOBufferCopy}). {@code src} is not consumed.
	 * @param src the reader to copy from (of another buffer)
	 * @param length the most bytes to copy
	 * @return the bytes appended: {@code min(length, src.avail())}
	 */
	public long write(IOBufferReader src, long length) {
		ensureOpen();
		if (src.buffer() == this) {
			throw new IllegalArgumentException("cannot copy a buffer into itself");
		}
		return src.buffer().shareInto(src.position(), Math.min(length, src.avail()), this);
	}

	/**
	 * The water mark: the readable bytes at which this buffer counts as full.
	 * @return the water mark in bytes
	 */
	public int waterMark() {
		return this.waterMark;
	}

	/**
	 * Changes the water mark.
	 * @param waterMark bytes at which the buffer counts as full, at least 1
	 */
	public void setWaterMark(int waterMark) {
		if (waterMark < 1) {
			throw new IllegalArgumentException("waterMark must be at least 1, was " + waterMark);
		}
		this.waterMark = waterMark;
	}

	/**
	 * The bytes available to the fullest reader (Traffic Server's {@code max_read_avail}); all held
	 * bytes when there is no reader.
	 * @return the bytes held for readers
	 */
	public long maxReadAvail() {
		if (this.readers.isEmpty()) {
			return this.end - this.start;
		}
		long min = Long.MAX_VALUE;
		for (IOBufferReader reader : this.readers) {
			min = Math.min(min, reader.position());
		}
		return this.end - min;
	}

	/**
	 * Whether {@link #maxReadAvail()} is at or above the {@link #waterMark()}.
	 * @return {@code true} when full
	 */
	public boolean isHighWater() {
		return maxReadAvail() >= this.waterMark;
	}

	/**
	 * Whether {@link #close()} was called.
	 * @return {@code true} once closed
	 */
	public boolean isClosed() {
		return this.closed;
	}

	/**
	 * Releases every block and invalidates the readers. Idempotent.
	 */
	@Override
	public void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		for (Block block : this.blocks) {
			block.buf.release();
		}
		this.blocks.clear();
		this.readers.clear();
		this.start = this.end;
	}

	// ---- used by IOBufferReader ----

	long end() {
		return this.end;
	}

	void ensureOpen() {
		if (this.closed) {
			throw new IllegalStateException("IOBuffer is closed");
		}
	}

	void removeReader(IOBufferReader reader) {
		this.readers.remove(reader);
		trim();
	}

	/** Drops the blocks every reader has consumed. */
	void trim() {
		if (this.readers.isEmpty()) {
			return;
		}
		long floor = Long.MAX_VALUE;
		for (IOBufferReader reader : this.readers) {
			floor = Math.min(floor, reader.position());
		}
		while (!this.blocks.isEmpty()) {
			Block head = this.blocks.peekFirst();
			if (head.start + head.buf.readableBytes() > floor) {
				break;
			}
			this.blocks.pollFirst();
			head.buf.release();
			this.start = head.start + head.buf.readableBytes();
		}
		if (this.blocks.isEmpty()) {
			this.start = this.end;
		}
	}

	/**
	 * A retained slice of at most {@code max} bytes starting at {@code position}, within one block.
	 */
	ByteBuf retainedSliceAt(long position, int max) {
		Block block = blockAt(position);
		int index = (int) (position - block.start);
		int n = Math.min(max, block.buf.readableBytes() - index);
		return block.buf.retainedSlice(block.buf.readerIndex() + index, n);
	}

	int copyOut(long position, byte[] dst, int offset, int length) {
		int copied = 0;
		Iterator<Block> it = this.blocks.iterator();
		while (it.hasNext() && copied < length) {
			Block block = it.next();
			long blockEnd = block.start + block.buf.readableBytes();
			long at = position + copied;
			if (blockEnd <= at) {
				continue;
			}
			int index = (int) (at - block.start);
			int n = (int) Math.min(length - copied, blockEnd - at);
			block.buf.getBytes(block.buf.readerIndex() + index, dst, offset + copied, n);
			copied += n;
		}
		return copied;
	}

	int copyOut(long position, ByteBuffer dst) {
		int copied = 0;
		Iterator<Block> it = this.blocks.iterator();
		while (it.hasNext() && dst.hasRemaining()) {
			Block block = it.next();
			long blockEnd = block.start + block.buf.readableBytes();
			long at = position + copied;
			if (blockEnd <= at) {
				continue;
			}
			int index = (int) (at - block.start);
			int n = (int) Math.min(dst.remaining(), blockEnd - at);
			ByteBuffer part = dst.slice();
			part.limit(n);
			block.buf.getBytes(block.buf.readerIndex() + index, part);
			dst.position(dst.position() + n);
			copied += n;
		}
		return copied;
	}

	private long shareInto(long position, long length, IOBuffer target) {
		long shared = 0;
		while (shared < length) {
			ByteBuf slice = retainedSliceAt(position + shared, (int) Math.min(Integer.MAX_VALUE, length - shared));
			shared += slice.readableBytes();
			target.write(slice);
		}
		return shared;
	}

	private Block blockAt(long position) {
		for (Block block : this.blocks) {
			if (position < block.start + block.buf.readableBytes()) {
				return block;
			}
		}
		throw new IndexOutOfBoundsException("no byte at position " + position);
	}

	private ByteBuf appendableTail() {
		Block tail = this.blocks.peekLast();
		if (tail != null && tail.appendable && tail.buf.isWritable()) {
			return tail.buf;
		}
		ByteBuf block = this.allocator.buffer(Math.max(MIN_BLOCK_SIZE, Math.min(this.waterMark, 64 * 1024)));
		this.blocks.addLast(new Block(block, this.end, true));
		return block;
	}

	private static final class Block {

		final ByteBuf buf;

		final long start;

		/** Only blocks this buffer allocated are filled further; others are caller's bytes. */
		final boolean appendable;

		Block(ByteBuf buf, long start, boolean appendable) {
			this.buf = buf;
			this.start = start;
			this.appendable = appendable;
		}

	}

}
