package dev.vconn.benchmarks;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;

/** Where the {@code IOBuffer}s a benchmark creates take their blocks from. */
public enum Buffers {

	/** Netty's pooled allocator, as {@code IOBuffer.create()} uses by default. */
	POOLED(PooledByteBufAllocator.DEFAULT),

	/** A fresh block from the unpooled allocator every time. */
	UNPOOLED(UnpooledByteBufAllocator.DEFAULT);

	private final ByteBufAllocator allocator;

	Buffers(ByteBufAllocator allocator) {
		this.allocator = allocator;
	}

	ByteBufAllocator allocator() {
		return this.allocator;
	}

}
