package dev.vconn.demo.origin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;

/**
 * The demo's origin server, on the JDK's built-in HTTP server, so that the demo works on a fresh
 * machine alone. It serves:
 * <ul>
 * <li>{@code /}: a short text;</li>
 * <li>{@code /1m}: 1 MiB of {@link OriginContent};</li>
 * <li>{@code /large}: 100 MiB of {@link OriginContent}, produced as it is sent;</li>
 * <li>{@code /echo}: the request body, unchanged, with the request's {@code Content-Type}; the
 * method comes back in {@code X-Echo-Method}.</li>
 * </ul>
 * Every response carries {@code X-Origin: vconn-demo}.
 *
 * <p>It starts with the application context, before the web server and the VConn listener, and
 * stops after them. {@link #stop()} and {@link #start()} may also be called while the demo runs
 * (see {@code POST /demo/origin/stop}); a restarted origin listens on the same address, even when
 * it was configured with port 0.
 */
public class EmbeddedOrigin implements Origin, SmartLifecycle {

	/** The small text served at {@code /}. */
	public static final String ROOT_TEXT = "Hello from the VConn demo origin\n";

	/** The length of {@code /1m}. */
	public static final int ONE_MIB = 1024 * 1024;

	/** The length of {@code /large}. */
	public static final long LARGE = 100L * 1024 * 1024;

	/** Runs before the web server and the VConn runtime start, and after they stop. */
	private static final int PHASE = 0;

	private static final int CHUNK = 64 * 1024;

	private static final Log logger = LogFactory.getLog(EmbeddedOrigin.class);

	private final int threads;

	private InetSocketAddress address;

	private @Nullable HttpServer server;

	private @Nullable ExecutorService executor;

	/**
	 * Creates an origin, not yet listening.
	 * @param address where to listen; port 0 for any free port
	 * @param threads threads serving requests
	 */
	public EmbeddedOrigin(InetSocketAddress address, int threads) {
		this.address = address;
		this.threads = threads;
	}

	@Override
	public synchronized InetSocketAddress address() {
		return this.address;
	}

	@Override
	public synchronized void start() {
		if (this.server != null) {
			return;
		}
		HttpServer server;
		try {
			server = HttpServer.create(this.address, 128);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("The demo origin cannot listen on " + this.address
					+ " (set demo.origin.address, or demo.origin.embedded=false for an external origin)", ex);
		}
		AtomicInteger count = new AtomicInteger();
		ExecutorService executor = Executors.newFixedThreadPool(this.threads, (task) -> {
			Thread thread = new Thread(task, "demo-origin-" + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
		server.setExecutor(executor);
		server.createContext("/", this::handle);
		server.start();
		// keep the port chosen for port 0, so that a restart comes back where clients expect it
		this.address = server.getAddress();
		this.server = server;
		this.executor = executor;
		logger.info("Demo origin listening on " + this.address);
	}

	@Override
	public synchronized void stop() {
		HttpServer server = this.server;
		ExecutorService executor = this.executor;
		if (server == null || executor == null) {
			return;
		}
		this.server = null;
		this.executor = null;
		server.stop(0);
		executor.shutdownNow();
		logger.info("Demo origin on " + this.address + " stopped");
	}

	@Override
	public synchronized boolean isRunning() {
		return this.server != null;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			exchange.getResponseHeaders().set("X-Origin", "vconn-demo");
			String path = exchange.getRequestURI().getPath();
			switch (path) {
				case "/" -> {
					exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
					send(exchange, ROOT_TEXT.getBytes(StandardCharsets.UTF_8));
				}
				case "/1m" -> {
					exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=us-ascii");
					send(exchange, OriginContent.bytes(ONE_MIB));
				}
				case "/large" -> stream(exchange, LARGE);
				case "/echo" -> echo(exchange);
				default -> {
					exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
					exchange.sendResponseHeaders(404, isHead(exchange) ? -1 : 10);
					if (!isHead(exchange)) {
						exchange.getResponseBody().write("Not found\n".getBytes(StandardCharsets.UTF_8));
					}
				}
			}
		}
	}

	private static void send(HttpExchange exchange, byte[] body) throws IOException {
		if (isHead(exchange)) {
			exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
			exchange.sendResponseHeaders(200, -1);
			return;
		}
		exchange.sendResponseHeaders(200, body.length);
		exchange.getResponseBody().write(body);
	}

	private static void stream(HttpExchange exchange, long length) throws IOException {
		exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
		if (isHead(exchange)) {
			exchange.getResponseHeaders().set("Content-Length", Long.toString(length));
			exchange.sendResponseHeaders(200, -1);
			return;
		}
		exchange.sendResponseHeaders(200, length);
		OutputStream body = exchange.getResponseBody();
		byte[] chunk = new byte[CHUNK];
		for (long sent = 0; sent < length; sent += CHUNK) {
			int n = (int) Math.min(CHUNK, length - sent);
			OriginContent.fill(sent, chunk, 0, n);
			body.write(chunk, 0, n);
		}
	}

	private static void echo(HttpExchange exchange) throws IOException {
		byte[] body;
		try (InputStream in = exchange.getRequestBody()) {
			body = in.readAllBytes();
		}
		String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
		exchange.getResponseHeaders()
			.set("Content-Type", (contentType != null) ? contentType : "application/octet-stream");
		exchange.getResponseHeaders().set("X-Echo-Method", exchange.getRequestMethod());
		send(exchange, body);
	}

	private static boolean isHead(HttpExchange exchange) {
		return "HEAD".equals(exchange.getRequestMethod());
	}

}
