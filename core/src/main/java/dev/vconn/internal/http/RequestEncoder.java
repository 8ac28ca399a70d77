package dev.vconn.internal.http;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's request encoder, the one in every origin connection's pipeline, driven by hand for the
 * next hops that are not channels: a server intercept's end of its pair, the replay a connection
 * intercept's VConn reads first, and the unserved requests a taken-over connection carries to its
 * successor. So a request reaches any of them in exactly the bytes it would reach the origin in.
 *
 * <p><b>Lifecycle:</b> one per request, head then body: it follows where in the message it is.
 * <p><b>Threads:</b> the client connection's event loop.
 */
final class RequestEncoder extends HttpRequestEncoder {

	/** Where the encoder takes its buffers from: the only thing its encoding uses a context for. */
	private final ChannelHandlerContext allocatorSource;

	private final List<Object> encoded = new ArrayList<>(4);

	RequestEncoder(ChannelHandlerContext allocatorSource) {
		this.allocatorSource = allocatorSource;
	}

	/**
	 * Encodes the next part of the request and hands each resulting buffer to {@code sink}.
	 * <p><b>Ownership:</b> takes {@code msg}; the buffers are the sink's.
	 * @throws EncoderException if {@code msg} does not follow what came before (a head after a head)
	 */
	void encode(HttpObject msg, Consumer<ByteBuf> sink) {
		List<Object> parts = this.encoded;
		try {
			encode(this.allocatorSource, msg, parts);
		}
		catch (Exception ex) {
			parts.forEach(ReferenceCountUtil::release);
			parts.clear();
			throw (ex instanceof EncoderException) ? (EncoderException) ex : new EncoderException(ex);
		}
		for (int i = 0; i < parts.size(); i++) {
			sink.accept((ByteBuf) parts.get(i));
		}
		parts.clear();
	}

}
