package dev.vconn.internal.net;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The runtime's epoll loops give epoll a channel's interest just before they wait, not each time
 * Netty changes it: a read asked for gets the bytes already waiting, bytes nobody asked for stay in
 * the socket, and a connect and a write that waits for room complete, on one loop shared by every
 * channel as under load.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DeferredInterestTests {

	private static final long WAIT_SECONDS = 10;

	private MultiThreadIoEventLoopGroup loop;

	private Channel server;

	private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();

	@BeforeEach
	void setUp() {
		assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
		this.loop = new MultiThreadIoEventLoopGroup(1, EpollRegistrations.factory());
		this.server = new ServerBootstrap().group(this.loop)
			.channel(EpollServerSocketChannel.class)
			.childOption(ChannelOption.AUTO_READ, false)
			.childHandler(new ChannelInitializer<>() {

				@Override
				protected void initChannel(Channel channel) {
					channel.pipeline().addLast(new Reads());
					DeferredInterestTests.this.accepted.add(channel);
				}

			})
			.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
			.syncUninterruptibly()
			.channel();
	}

	@AfterEach
	void tearDown() {
		if (this.server != null) {
			this.server.close().syncUninterruptibly();
		}
		if (this.loop != null) {
			this.loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
		}
	}

	@Test
	void eachReadAskedForGetsTheBytesWaitingThen() throws Exception {
		try (Socket client = connect()) {
			Channel channel = nextAccepted();
			Reads reads = channel.pipeline().get(Reads.class);
			for (String message : new String[] { "first", "second", "third" }) {
				send(client, message);
				if (message.equals("third")) {
					channel.eventLoop().execute(channel::read); // asked from a task on the loop
				}
				else {
					channel.read();
				}
				assertThat(reads.next()).isEqualTo(message);
			}
		}
	}

	@Test
	void bytesNobodyAskedForStayInTheSocketUntilAskedFor() throws Exception {
		try (Socket quiet = connect(); Socket busy = connect()) {
			Channel quietChannel = nextAccepted();
			Channel busyChannel = nextAccepted();
			Reads quietReads = quietChannel.pipeline().get(Reads.class);
			send(quiet, "asked");
			quietChannel.read();
			assertThat(quietReads.next()).isEqualTo("asked");

			send(quiet, "not yet");
			// the loop waits on epoll again after those bytes came: it reads the other channel's
			send(busy, "other");
			busyChannel.read();
			assertThat(busyChannel.pipeline().get(Reads.class).next()).isEqualTo("other");
			CompletableFuture<Void> turn = new CompletableFuture<>();
			this.loop.next().execute(() -> turn.complete(null));
			turn.get(WAIT_SECONDS, TimeUnit.SECONDS);
			assertThat(quietReads.received).isEmpty();

			quietChannel.read();
			assertThat(quietReads.next()).isEqualTo("not yet");
		}
	}

	@Test
	void aConnectAndAWriteThatWaitsForRoomComplete() throws Exception {
		int size = 32 * 1024 * 1024;
		try (ServerSocket origin = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			ChannelFuture connect = new Bootstrap().group(this.loop)
				.channel(EpollSocketChannel.class)
				.handler(new ChannelInboundHandlerAdapter())
				.connect(origin.getLocalSocketAddress());
			try (Socket peer = origin.accept()) {
				assertThat(connect.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
				assertThat(connect.isSuccess()).as("connect: %s", connect.cause()).isTrue();
				ChannelFuture written = connect.channel().writeAndFlush(Unpooled.wrappedBuffer(new byte[size]));
				InputStream in = peer.getInputStream();
				byte[] chunk = new byte[64 * 1024];
				long received = 0;
				while (received < size) {
					int n = in.read(chunk);
					assertThat(n).as("bytes after %d", received).isPositive();
					received += n;
				}
				assertThat(written.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
				assertThat(written.isSuccess()).as("write: %s", written.cause()).isTrue();
				assertThat(received).isEqualTo(size);
			}
			finally {
				connect.channel().close().syncUninterruptibly();
			}
		}
	}

	private Socket connect() throws Exception {
		return new Socket(InetAddress.getLoopbackAddress(), ((InetSocketAddress) this.server.localAddress()).getPort());
	}

	private Channel nextAccepted() throws InterruptedException {
		Channel channel = this.accepted.poll(WAIT_SECONDS, TimeUnit.SECONDS);
		assertThat(channel).as("accepted connection").isNotNull();
		return channel;
	}

	private static void send(Socket socket, String message) throws Exception {
		OutputStream out = socket.getOutputStream();
		out.write(message.getBytes(StandardCharsets.US_ASCII));
		out.flush();
	}

	/** What a channel read, one string per read. */
	private static final class Reads extends ChannelInboundHandlerAdapter {

		final BlockingQueue<String> received = new LinkedBlockingQueue<>();

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			ByteBuf bytes = (ByteBuf) msg;
			try {
				this.received.add(bytes.toString(StandardCharsets.US_ASCII));
			}
			finally {
				bytes.release();
			}
		}

		String next() throws InterruptedException {
			String next = this.received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
			assertThat(next).as("a read").isNotNull();
			return next;
		}

	}

}
