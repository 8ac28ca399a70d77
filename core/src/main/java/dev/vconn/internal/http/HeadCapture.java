package dev.vconn.internal.http;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.jspecify.annotations.Nullable;

/**
 * First in a client connection's pipeline, in both listener modes: keeps every byte the client sends
 * until the head is read, to replay it unchanged to whoever takes the connection over, and counts
 * every byte (the per-transaction listener's idle timer watches the count).
 */
final class HeadCapture extends ChannelInboundHandlerAdapter {

	final List<ByteBuf> captured = new ArrayList<>(2);

	/** Every byte seen, also after capturing stopped. */
	long total;

	/** Whether bytes are still kept for a replay. */
	boolean capturing = true;

	/** Told of every read, before the bytes go on. */
	@Nullable Runnable onRead;

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (msg instanceof ByteBuf) {
			if (this.onRead != null) {
				this.onRead.run();
			}
			this.total += ((ByteBuf) msg).readableBytes();
			if (this.capturing) {
				this.captured.add(((ByteBuf) msg).retainedDuplicate());
			}
		}
		ctx.fireChannelRead(msg);
	}

	List<ByteBuf> take() {
		List<ByteBuf> bytes = new ArrayList<>(this.captured);
		this.captured.clear();
		return bytes;
	}

	void release() {
		this.captured.forEach(ByteBuf::release);
		this.captured.clear();
	}

	/** Keeps counting, stops keeping: no replay will be needed. */
	void stopCapturing() {
		this.capturing = false;
		release();
	}

}
