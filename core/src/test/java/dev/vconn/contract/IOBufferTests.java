package dev.vconn.contract;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.testing.NettyLeakCheck;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * {@link IOBuffer} and {@link IOBufferReader} without sockets: positions, block sharing,
 * ownership and release, water marks. Blocks the tests hand in are {@link Unpooled} so their
 * reference counts can be checked; surefire's paranoid leak detection and {@link NettyLeakCheck}
 * catch anything else left unreleased.
 */
@ExtendWith(NettyLeakCheck.class)
class IOBufferTests {

	static Stream<Named<ByteBufAllocator>> allocators() {
		return Stream.of(BufferAllocator.values()).map((a) -> Named.of(a.toString(), a.allocator()));
	}

	private static ByteBuf block(String text) {
		return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
	}

	private static String read(IOBufferReader reader, int n) {
		byte[] bytes = new byte[n];
		int copied = reader.read(bytes, 0, n);
		return new String(bytes, 0, copied, StandardCharsets.US_ASCII);
	}

	@ParameterizedTest
	@MethodSource("allocators")
	void bytesWrittenAcrossManyBlocksReadBackInOrder(ByteBufAllocator allocator) {
		byte[] payload = new byte[200 * 1024 + 17];
		new Random(1).nextBytes(payload);
		try (IOBuffer buffer = IOBuffer.create(allocator, 8 * 1024)) {
			IOBufferReader reader = buffer.allocReader();
			buffer.write(payload, 0, 1000);
			buffer.write(ByteBuffer.wrap(payload, 1000, 50_000));
			buffer.write(Arrays.copyOfRange(payload, 51_000, payload.length));

			ByteBuffer out = ByteBuffer.allocate(payload.length);
			byte[] odd = new byte[4097];
			int n = reader.read(odd, 0, odd.length);
			out.put(odd, 0, n);
			while (reader.avail() > 0) {
				ByteBuffer window = ByteBuffer.allocate(12_345);
				reader.read(window);
				out.put(window.flip());
			}

			assertThat(out.array()).isEqualTo(payload);
			assertThat(buffer.maxReadAvail()).isZero();
		}
	}

	@ParameterizedTest
	@MethodSource("allocators")
	void writerAndReadersHaveIndependentPositions(ByteBufAllocator allocator) {
		try (IOBuffer buffer = IOBuffer.create(allocator, 1024)) {
			IOBufferReader first = buffer.allocReader();
			IOBufferReader second = buffer.allocReader();
			buffer.write("abcdef".getBytes(StandardCharsets.US_ASCII));

			assertThat(read(first, 2)).isEqualTo("ab");
			assertThat(read(second, 5)).isEqualTo("abcde");
			buffer.write("gh".getBytes(StandardCharsets.US_ASCII));

			assertThat(first.avail()).isEqualTo(6);
			assertThat(second.avail()).isEqualTo(3);
			assertThat(buffer.maxReadAvail()).as("bytes for the fullest reader").isEqualTo(6);
			assertThat(read(first, 10)).isEqualTo("cdefgh");
			assertThat(second.readAll(StandardCharsets.US_ASCII)).isEqualTo("fgh");
			assertThat(first.buffer()).isSameAs(buffer);
		}
	}

	@Test
	void readerAllocatedLaterStartsAtTheOldestByteHeld() {
		try (IOBuffer buffer = IOBuffer.create()) {
			buffer.write("hello".getBytes(StandardCharsets.US_ASCII));
			assertThat(buffer.maxReadAvail()).as("held without readers").isEqualTo(5);

			IOBufferReader late = buffer.allocReader();

			assertThat(late.readAll(StandardCharsets.US_ASCII)).isEqualTo("hello");
		}
	}

	@Test
	void blocksAreReleasedOnlyAfterEveryReaderConsumedThem() {
		ByteBuf one = block("one");
		ByteBuf two = block("two");
		try (IOBuffer buffer = IOBuffer.create()) {
			IOBufferReader first = buffer.allocReader();
			IOBufferReader second = buffer.allocReader();
			buffer.write(one);
			buffer.write(two);

			first.consume(6);
			assertThat(one.refCnt()).as("still needed by the second reader").isEqualTo(1);
			second.consume(2);
			assertThat(one.refCnt()).as("partly consumed").isEqualTo(1);
			second.consume(1);
			assertThat(one.refCnt()).as("consumed by every reader").isZero();
			assertThat(two.refCnt()).isEqualTo(1);
			assertThat(read(second, 3)).isEqualTo("two");
			assertThat(two.refCnt()).isZero();
			assertThat(buffer.maxReadAvail()).isZero();
		}
	}

	@Test
	void freeingAReaderReleasesWhatOnlyItHeld() {
		ByteBuf data = block("data");
		try (IOBuffer buffer = IOBuffer.create()) {
			IOBufferReader fast = buffer.allocReader();
			IOBufferReader slow = buffer.allocReader();
			buffer.write(data);
			fast.consume(4);
			assertThat(data.refCnt()).isEqualTo(1);

			slow.free();
			slow.free();

			assertThat(data.refCnt()).isZero();
			assertThat(slow.avail()).isZero();
			assertThat(buffer.maxReadAvail()).isZero();
		}
	}

	@Test
	void blocksTheBufferAllocatedAreReleasedOnceConsumed() {
		RecordingAllocator allocator = new RecordingAllocator();
		try (IOBuffer buffer = IOBuffer.create(allocator, 4096)) {
			IOBufferReader reader = buffer.allocReader();
			buffer.write(new byte[20_000]);
			assertThat(allocator.blocks).hasSizeGreaterThan(1);

			reader.consume(reader.avail() - 1);
			assertThat(allocator.blocks.get(0).refCnt()).isZero();
			assertThat(allocator.blocks.get(allocator.blocks.size() - 1).refCnt()).as("last byte unread").isEqualTo(1);
			reader.consume(1);

			assertThat(allocator.blocks).allMatch((b) -> b.refCnt() == 0, "released");
		}
	}

	@Test
	void writeFromAReaderSharesBlocksWithoutCopyingOrConsuming() {
		ByteBuf shared = block("shared bytes");
		try (IOBuffer source = IOBuffer.create(); IOBuffer target = IOBuffer.create()) {
			IOBufferReader sourceReader = source.allocReader();
			IOBufferReader targetReader = target.allocReader();
			source.write(shared);
			sourceReader.consume(2);

			long copied = target.write(sourceReader, 6);

			assertThat(copied).isEqualTo(6);
			assertThat(sourceReader.avail()).as("the source reader is not consumed").isEqualTo(10);
			assertThat(shared.refCnt()).as("the block is shared, not copied").isEqualTo(2);
			shared.setByte(shared.readerIndex() + 2, 'A');
			assertThat(targetReader.readAll(StandardCharsets.US_ASCII)).as("the same memory").isEqualTo("Ared b");
			assertThat(shared.refCnt()).isEqualTo(1);
			assertThat(target.write(sourceReader, 100)).as("bounded by what the reader has").isEqualTo(10);
			source.close();
			assertThat(shared.refCnt()).as("the target still holds it").isEqualTo(1);
			assertThat(targetReader.readAll(StandardCharsets.US_ASCII)).isEqualTo("Ared bytes");
			assertThat(shared.refCnt()).isZero();
		}
	}

	@Test
	void writeFromAReaderOfTheSameBufferIsRejected() {
		try (IOBuffer buffer = IOBuffer.create()) {
			IOBufferReader reader = buffer.allocReader();
			buffer.write(new byte[10]);

			assertThatIllegalArgumentException().isThrownBy(() -> buffer.write(reader, 5));
		}
	}

	@Test
	void readRetainedHandsOverASliceWithinOneBlock() {
		ByteBuf first = block("first");
		ByteBuf second = block("second");
		IOBuffer buffer = IOBuffer.create();
		IOBufferReader reader = buffer.allocReader();
		buffer.write(first);
		buffer.write(second);

		ByteBuf taken = reader.readRetained(100);

		assertThat(taken.toString(StandardCharsets.US_ASCII)).as("at most one block").isEqualTo("first");
		assertThat(reader.avail()).isEqualTo(6);
		assertThat(first.refCnt()).as("held by the slice only").isEqualTo(1);
		buffer.close();
		assertThat(second.refCnt()).isZero();
		assertThat(taken.toString(StandardCharsets.US_ASCII)).as("readable after the buffer closed").isEqualTo("first");
		taken.release();
		assertThat(first.refCnt()).isZero();
		assertThat(reader.avail()).isZero();
		assertThat(reader.readRetained(1).readableBytes()).isZero();
	}

	@Test
	void readRetainedTakesAtMostMaxLength() {
		try (IOBuffer buffer = IOBuffer.create()) {
			IOBufferReader reader = buffer.allocReader();
			buffer.write("abcdef".getBytes(StandardCharsets.US_ASCII));

			ByteBuf part = reader.readRetained(4);
			try {
				assertThat(part.toString(StandardCharsets.US_ASCII)).isEqualTo("abcd");
				assertThat(reader.readAll(StandardCharsets.US_ASCII)).isEqualTo("ef");
			}
			finally {
				part.release();
			}
			assertThatIllegalArgumentException().isThrownBy(() -> reader.readRetained(0));
		}
	}

	@Test
	void waterMarkFollowsTheFullestReader() {
		try (IOBuffer buffer = IOBuffer.create(10)) {
			IOBufferReader ahead = buffer.allocReader();
			IOBufferReader behind = buffer.allocReader();
			buffer.write(new byte[9]);
			assertThat(buffer.isHighWater()).isFalse();
			buffer.write(new byte[1]);
			assertThat(buffer.isHighWater()).as("at the water mark").isTrue();

			ahead.consume(10);
			assertThat(buffer.isHighWater()).as("a reader still has 10 bytes").isTrue();
			behind.consume(1);
			assertThat(buffer.maxReadAvail()).isEqualTo(9);
			assertThat(buffer.isHighWater()).isFalse();

			buffer.setWaterMark(5);
			assertThat(buffer.waterMark()).isEqualTo(5);
			assertThat(buffer.isHighWater()).isTrue();
			assertThatIllegalArgumentException().isThrownBy(() -> buffer.setWaterMark(0));
			assertThatIllegalArgumentException().isThrownBy(() -> IOBuffer.create(0));
		}
	}

	@Test
	void consumingMoreThanAvailableIsRejected() {
		try (IOBuffer buffer = IOBuffer.create()) {
			IOBufferReader reader = buffer.allocReader();
			buffer.write(new byte[3]);

			assertThatIllegalArgumentException().isThrownBy(() -> reader.consume(4));
			assertThatIllegalArgumentException().isThrownBy(() -> reader.consume(-1));
			assertThat(reader.avail()).isEqualTo(3);
		}
	}

	@Test
	void closeReleasesEverythingAndInvalidatesReaders() {
		RecordingAllocator allocator = new RecordingAllocator();
		ByteBuf handed = block("handed over");
		IOBuffer buffer = IOBuffer.create(allocator, 4096);
		IOBufferReader reader = buffer.allocReader();
		buffer.write(new byte[10_000]);
		buffer.write(handed);
		reader.consume(100);

		buffer.close();
		buffer.close();

		assertThat(buffer.isClosed()).isTrue();
		assertThat(handed.refCnt()).isZero();
		assertThat(allocator.blocks).isNotEmpty().allMatch((b) -> b.refCnt() == 0, "released");
		assertThat(reader.avail()).isZero();
		assertThat(buffer.maxReadAvail()).isZero();
		reader.free();
		ByteBuf late = block("late");
		assertThatIllegalStateException().isThrownBy(() -> buffer.write(late));
		assertThat(late.refCnt()).as("a ByteBuf handed to a closed buffer is released").isZero();
		assertThatIllegalStateException().isThrownBy(() -> buffer.write(new byte[1]));
		assertThatIllegalStateException().isThrownBy(buffer::allocReader);
	}

	@Test
	void emptyByteBufIsReleasedAndAddsNothing() {
		ByteBuf empty = Unpooled.buffer(8);
		try (IOBuffer buffer = IOBuffer.create()) {
			IOBufferReader reader = buffer.allocReader();

			buffer.write(empty);

			assertThat(empty.refCnt()).isZero();
			assertThat(reader.avail()).isZero();
		}
	}

	/** Allocates unpooled heap blocks and remembers them, so tests can check they were released. */
	static final class RecordingAllocator extends AbstractByteBufAllocator {

		final List<ByteBuf> blocks = new ArrayList<>();

		RecordingAllocator() {
			super(false);
		}

		@Override
		protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
			ByteBuf block = Unpooled.buffer(initialCapacity, maxCapacity);
			this.blocks.add(block);
			return block;
		}

		@Override
		protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
			return newHeapBuffer(initialCapacity, maxCapacity);
		}

		@Override
		public boolean isDirectBufferPooled() {
			return false;
		}

	}

}
