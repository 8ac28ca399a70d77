package dev.vconn.contract;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;

/**
 * The allocators the tests' own {@link dev.vconn.IOBuffer}s are built on, so that each permutation
 * also says which kind of blocks the bytes a test writes live in.
 */
enum BufferAllocator {

	UNPOOLED(new UnpooledByteBufAllocator(true)),

	POOLED(PooledByteBufAllocator.DEFAULT),

	ADAPTIVE(new AdaptiveByteBufAllocator());

	private final ByteBufAllocator allocator;

	BufferAllocator(ByteBufAllocator allocator) {
		this.allocator = allocator;
	}

	ByteBufAllocator allocator() {
		return this.allocator;
	}

	@Override
	public String toString() {
		return name().toLowerCase();
	}

}
