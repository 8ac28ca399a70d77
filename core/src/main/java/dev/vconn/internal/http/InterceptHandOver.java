package dev.vconn.internal.http;

import dev.vconn.internal.vconn.ContinuationDelivery;
import java.util.ArrayDeque;
import java.util.List;

import dev.vconn.CloseKind;
import dev.vconn.Continuation;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.internal.vconn.ManagedVConn;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/**
 * Giving a transaction to an intercept: the bytes a connection intercept's VConn replays first, and
 * the {@code NET_ACCEPT} delivery both kinds of intercept get.
 */
final class InterceptHandOver {

	private static final System.Logger logger = System.getLogger(InterceptHandOver.class.getName());

	private InterceptHandOver() {
	}

	/**
	 * Encodes a later request of a connection, head as decoded (with any hook changes) and then the
	 * body read so far from {@code inbound} (which is emptied), into {@code replay}.
	 */
	static void encode(ChannelHandlerContext ctx, HttpRequest request, ArrayDeque<HttpObject> inbound,
			List<ByteBuf> replay) {
		RequestEncoder encoder = new RequestEncoder(ctx);
		encoder.encode(request, replay::add);
		HttpObject queued;
		while ((queued = inbound.pollFirst()) != null) {
			encoder.encode(queued, replay::add);
		}
	}

	/**
	 * Hands {@code vconn} over with NET_ACCEPT. A continuation that throws while handling it never
	 * took the VConn over and will not end it, so it is aborted here: like a continuation that
	 * throws on an I/O event, and what the listener sees of it is an intercept that failed.
	 */
	static void deliverAccept(Channel channel, String hook, Continuation cont, VConn vconn) {
		Continuation guarded = Continuation.withMutex(cont.mutex(), (event, data) -> {
			try {
				cont.handleEvent(event, data);
			}
			catch (Throwable ex) {
				logger.log(System.Logger.Level.WARNING, "The continuation of intercept hook " + hook
						+ " threw on NET_ACCEPT; aborting its VConn", ex);
				((ManagedVConn) vconn).abort(CloseKind.INTERCEPT, 0);
			}
		});
		ContinuationDelivery.deliver(channel.eventLoop(), guarded, VConnEvent.NET_ACCEPT, vconn);
	}

	/** Collects the bytes a decoder hands on when removed, so they follow the replay in order. */
	static final class ReplayCollector extends ChannelInboundHandlerAdapter {

		private final List<ByteBuf> replay;

		ReplayCollector(List<ByteBuf> replay) {
			this.replay = replay;
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (msg instanceof ByteBuf) {
				this.replay.add((ByteBuf) msg);
			}
			else {
				ReferenceCountUtil.release(msg);
			}
		}

	}

}
