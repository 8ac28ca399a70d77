package dev.vconn.testing;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vconn.testing.HttpWire.Message;
import org.jspecify.annotations.Nullable;

/**
 * A blocking HTTP/1.1 origin on loopback, one thread per connection, written by hand so that tests
 * control keep-alive, framing, interim responses, closes and resets. It counts the connections it
 * accepted and records every request it read, with the body as it arrived.
 *
 * <p>An origin made with a {@link ConnectionHandler} (for example {@link StreamingRoutes}) hands
 * each connection's raw streams to it instead, for bodies too large to read into memory; it then
 * records no requests.
 */
public final class TestOrigin implements AutoCloseable {

	/** One request as the origin read it. */
	public record Received(int connection, Message request) {
	}

	/** How the origin answers a request. */
	@FunctionalInterface
	public interface Behaviour {

		/**
		 * Writes the response to {@code request}.
		 * @return whether to keep the connection open for another request
		 */
		boolean serve(Message request, Exchange exchange) throws IOException;

	}

	/** Serves a whole connection from its raw streams. */
	@FunctionalInterface
	public interface ConnectionHandler {

		void serve(Socket socket, InputStream in, OutputStream out) throws IOException;

	}

	/** The connection a request came on. */
	public record Exchange(int connection, Socket socket, OutputStream out) {
	}

	/** The default: {@link Responses#responseTo}, closing after close-delimited responses. */
	public static final Behaviour STANDARD = (request, exchange) -> {
		exchange.out().write(Responses.responseTo(request, "origin"));
		exchange.out().flush();
		return !Responses.closeDelimited(request)
				&& !request.connectionTokens().contains("close");
	};

	private final ServerSocket server;

	private final ExecutorService threads = Executors.newCachedThreadPool((task) -> {
		Thread thread = new Thread(task, "test-origin");
		thread.setDaemon(true);
		return thread;
	});

	private final AtomicInteger accepted = new AtomicInteger();

	private final List<Received> received = new CopyOnWriteArrayList<>();

	private final List<Socket> sockets = new CopyOnWriteArrayList<>();

	private final AtomicInteger closedConnections = new AtomicInteger();

	private final AtomicInteger malformed = new AtomicInteger();

	private final @Nullable ConnectionHandler connectionHandler;

	private volatile Behaviour behaviour = STANDARD;

	/** Opened by the test before the origin reads a request body; {@code null} to read at once. */
	private volatile @Nullable CountDownLatch bodyGate;

	/** Whether the origin answers {@code Expect: 100-continue} with 100 before reading the body. */
	private volatile boolean sendContinue = true;

	/** An origin that reads requests and answers each as its {@link #behave behaviour} says. */
	public TestOrigin() throws IOException {
		this(null);
	}

	/** An origin that hands every connection to {@code connectionHandler}. */
	public TestOrigin(@Nullable ConnectionHandler connectionHandler) throws IOException {
		this.connectionHandler = connectionHandler;
		this.server = new ServerSocket(0, 2048, InetAddress.getLoopbackAddress());
		this.threads.execute(this::acceptLoop);
	}

	public InetSocketAddress address() {
		return (InetSocketAddress) this.server.getLocalSocketAddress();
	}

	public void behave(Behaviour behaviour) {
		this.behaviour = behaviour;
	}

	/** Makes the origin wait for {@code gate} after each request head, before reading the body. */
	public void holdBodies(CountDownLatch gate) {
		this.bodyGate = gate;
	}

	public void sendContinue(boolean sendContinue) {
		this.sendContinue = sendContinue;
	}

	/** Connections accepted so far. */
	public int accepted() {
		return this.accepted.get();
	}

	/** Connections that ended so far (peer closed or the origin closed). */
	public int closedConnections() {
		return this.closedConnections.get();
	}

	/** Connections accepted and not yet ended. */
	public int openConnections() {
		return accepted() - closedConnections();
	}

	/**
	 * Connections on which the origin read bytes that do not parse as HTTP/1.1 requests (an end of
	 * stream inside a request, or a reset, does not count: a peer may leave at any time).
	 */
	public int malformed() {
		return this.malformed.get();
	}

	/** Every request read so far, in order. */
	public List<Received> received() {
		return List.copyOf(this.received);
	}

	public List<Message> requests() {
		return this.received.stream().map(Received::request).toList();
	}

	private void acceptLoop() {
		while (!this.server.isClosed()) {
			Socket socket;
			try {
				socket = this.server.accept();
			}
			catch (IOException ex) {
				return;
			}
			int connection = this.accepted.incrementAndGet();
			this.sockets.add(socket);
			try {
				this.threads.execute(() -> serve(connection, socket));
			}
			catch (RuntimeException ex) {
				closeQuietly(socket);
			}
		}
	}

	private void serve(int connection, Socket socket) {
		try (socket) {
			socket.setTcpNoDelay(true);
			InputStream in = new BufferedInputStream(socket.getInputStream());
			OutputStream out = socket.getOutputStream();
			if (this.connectionHandler != null) {
				this.connectionHandler.serve(socket, in, out);
				out.flush();
				return;
			}
			while (true) {
				Message request = HttpWire.readRequest(in, (headers) -> {
					boolean expects = headers.stream()
						.anyMatch((h) -> h.name().equalsIgnoreCase("Expect")
								&& h.value().equalsIgnoreCase("100-continue"));
					if (expects && this.sendContinue) {
						out.write(HttpWire.ascii("HTTP/1.1 100 Continue\r\n\r\n"));
						out.flush();
					}
					CountDownLatch gate = this.bodyGate;
					if (gate != null) {
						try {
							gate.await();
						}
						catch (InterruptedException ex) {
							Thread.currentThread().interrupt();
							throw new InterruptedIOException();
						}
					}
				});
				if (request == null) {
					return;
				}
				this.received.add(new Received(connection, request));
				if (!this.behaviour.serve(request, new Exchange(connection, socket, out))) {
					return;
				}
			}
		}
		catch (EOFException | SocketException | InterruptedIOException ex) {
			// the peer went away or the test closed the origin
		}
		catch (IOException | RuntimeException ex) {
			this.malformed.incrementAndGet();
		}
		finally {
			this.sockets.remove(socket);
			this.closedConnections.incrementAndGet();
		}
	}

	@Override
	public void close() throws InterruptedException {
		closeQuietly(this.server);
		for (Socket socket : this.sockets) {
			closeQuietly(socket);
		}
		this.threads.shutdownNow();
		this.threads.awaitTermination(10, TimeUnit.SECONDS);
	}

	public static void closeQuietly(AutoCloseable closeable) {
		try {
			closeable.close();
		}
		catch (Exception ex) {
			// closing anyway
		}
	}

	/** Closes with a TCP reset. */
	public static void reset(Socket socket) {
		try {
			socket.setSoLinger(true, 0);
		}
		catch (SocketException ex) {
			// closed already
		}
		closeQuietly(socket);
	}

}
