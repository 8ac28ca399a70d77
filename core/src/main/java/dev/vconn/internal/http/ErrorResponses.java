package dev.vconn.internal.http;

import java.io.IOException;
import java.nio.channels.NotYetConnectedException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

/**
 * The listener's own responses, and how a connection it ends is closed: every error response says
 * {@code Connection: close} and holds nothing internal, and the close is graceful (RFC 9112
 * section 9.6): the response is flushed, the output shut down (FIN), and what the client still sends
 * is read and dropped until it closes too or a short linger ends, so that no unread byte turns the
 * close into a reset that could destroy the response before the client read it.
 */
final class ErrorResponses {

	/** How long a client may keep sending after the listener ended the connection. */
	static final long LINGER_MILLIS = 2000;

	private ErrorResponses() {
	}

	/** The status for a request whose head the decoder refused. */
	/**
	 * Whether a next hop's failure seen now is the runtime stopping: its event loops then close every
	 * channel, origins among them, so the transaction was abandoned rather than refused.
	 */
	static boolean runtimeStopping(Channel channel) {
		return channel.eventLoop().isShuttingDown();
	}

	static int statusOf(DecoderResult result) {
		Throwable cause = result.cause();
		if (cause instanceof RequestHeadRules.Rejected) {
			return ((RequestHeadRules.Rejected) cause).status();
		}
		return (cause instanceof TooLongFrameException) ? 431 : 400;
	}

	/** A complete response with {@code Connection: close} and a one-line text body. */
	static ByteBuf response(int status) {
		String reason = reason(status);
		String body = status + " " + reason + "\n";
		String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain; charset=utf-8\r\n"
				+ "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n";
		return Unpooled.copiedBuffer(head + body, StandardCharsets.US_ASCII);
	}

	/**
	 * Writes {@code status} from {@code ctx} (so it passes only the handlers before it) and closes
	 * gracefully after it.
	 */
	static void send(ChannelHandlerContext ctx, int status) {
		closeGracefully(ctx.writeAndFlush(response(status)));
	}

	/** Writes {@code status} from the tail of the pipeline and closes gracefully after it. */
	static void send(Channel channel, int status) {
		closeGracefully(channel.writeAndFlush(response(status)));
	}

	/**
	 * Once {@code written} is flushed: shuts the output down, drops what the client still sends, and
	 * closes when the client has finished or after {@link #LINGER_MILLIS}.
	 */
	static void closeGracefully(ChannelFuture written) {
		written.addListener((ChannelFutureListener) (f) -> {
			Channel channel = f.channel();
			if (!f.isSuccess() || !(channel instanceof DuplexChannel) || !channel.isActive()
					|| ((DuplexChannel) channel).isInputShutdown()) {
				// failed, gone, or the client finished sending first: nothing is left to drain
				channel.close();
				return;
			}
			channel.pipeline().addFirst(new Drain());
			// From here the client's end of stream only means "close now". Without half-closure Netty
			// closes at it, instead of first shutting the input down: by then the connection is fully
			// closed, so that call fails, and Netty builds an exception with its stack trace for it.
			channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
			shutdownOutput((DuplexChannel) channel);
			channel.config().setAutoRead(true);
			Future<?> linger = channel.eventLoop().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
			// a client that closes at once must not leave its channel in the loop's timers for the linger
			channel.closeFuture().addListener((ChannelFutureListener) (closed) -> linger.cancel(false));
		});
	}

	static String reason(int status) {
		switch (status) {
			case 400:
				return "Bad Request";
			case 408:
				return "Request Timeout";
			case 414:
				return "URI Too Long";
			case 431:
				return "Request Header Fields Too Large";
			case 500:
				return "Internal Server Error";
			case 501:
				return "Not Implemented";
			case 502:
				return "Bad Gateway";
			case 503:
				return "Service Unavailable";
			case 504:
				return "Gateway Timeout";
			case 505:
				return "HTTP Version Not Supported";
			default:
				return "Error";
		}
	}

	/** First in the pipeline of a closing connection: drops what arrives, closes at the client's end. */
	/**
	 * Sends the FIN. An epoll socket is shut down directly, with its state kept where the channel
	 * reads it ({@code isOutputShutdown()}): Netty's own half-close builds an exception with its stack
	 * trace on every call, to fail writes still queued (none here: the response was flushed), which
	 * costs every connection closed after its response a few microseconds.
	 */
	private static void shutdownOutput(DuplexChannel channel) {
		if (channel instanceof UnixChannel && ((UnixChannel) channel).fd() instanceof Socket) {
			try {
				((Socket) ((UnixChannel) channel).fd()).shutdown(false, true);
			}
			catch (IOException | NotYetConnectedException ex) {
				channel.close(); // the peer is gone already (a reset: ENOTCONN)
			}
			return;
		}
		channel.shutdownOutput();
	}

	private static final class Drain extends ChannelInboundHandlerAdapter {

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			ReferenceCountUtil.release(msg);
		}

		@Override
		public void channelReadComplete(ChannelHandlerContext ctx) {
			// nobody after this handler reads any more
		}

		@Override
		public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
			if (evt instanceof ChannelInputShutdownEvent || evt instanceof ChannelInputShutdownReadComplete) {
				ctx.close();
				return;
			}
			ctx.fireUserEventTriggered(evt);
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			ctx.close();
		}

	}

}
