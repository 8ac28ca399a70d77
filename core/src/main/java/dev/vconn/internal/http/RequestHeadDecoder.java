package dev.vconn.internal.http;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Netty's request decoder behind the listener's own reading of each head ({@link RequestHeadRules}):
 * a head is parsed only once it is complete and valid, so Netty's more lenient parsing never
 * decides anything. A refused head comes out as a request whose decoder result is the failure,
 * and nothing after it on the connection is decoded.
 */
final class RequestHeadDecoder extends HttpRequestDecoder {

	private final HttpLimits limits;

	/** The next bytes start a request head. */
	private boolean atHead = true;

	private boolean refused;

	RequestHeadDecoder(HttpLimits limits) {
		// Netty's own bounds sit above ours: a head that passed our check never trips them
		super(new HttpDecoderConfig().setMaxInitialLineLength(limits.maxRequestLine() + 2)
			.setMaxHeaderSize(limits.maxHeaderSize() + 2)
			.setMaxChunkSize(HttpLimits.MAX_CHUNK_SIZE));
		this.limits = limits;
	}

	/**
	 * Whether no request is half decoded: the bytes held here, if any, are the start of the next
	 * head, and no head was refused.
	 */
	boolean betweenRequests() {
		return this.atHead && !this.refused;
	}

	/** A copy of the bytes held here, read from the client and not yet decoded; they stay here too. */
	byte[] copyHeldBytes() {
		ByteBuf held = internalBuffer();
		byte[] copy = new byte[held.readableBytes()];
		held.getBytes(held.readerIndex(), copy);
		return copy;
	}

	@Override
	protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
		if (this.refused) {
			in.skipBytes(in.readableBytes());
			return;
		}
		if (this.atHead) {
			try {
				if (RequestHeadRules.check(in, this.limits) < 0) {
					return;
				}
			}
			catch (RequestHeadRules.Rejected ex) {
				this.refused = true;
				in.skipBytes(in.readableBytes());
				HttpRequest invalid = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request");
				invalid.setDecoderResult(DecoderResult.failure(ex));
				out.add(invalid);
				return;
			}
			this.atHead = false;
		}
		int before = out.size();
		super.decode(ctx, in, out);
		for (int i = before; i < out.size(); i++) {
			if (out.get(i) instanceof LastHttpContent) {
				this.atHead = true;
			}
		}
	}

}
