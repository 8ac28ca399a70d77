package dev.vconn.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Another process a test talks to through the lines it prints (a foreign peer of a takeover or a
 * transfer, written in Python or run as another uid): started, its output collected, awaited line
 * by line, killed at the end.
 */
public final class PeerProcess implements AutoCloseable {

	/** The interpreter of the peer scripts (Debian package python3). */
	public static final Path PYTHON = Path.of("/usr/bin/python3");

	/** Runs a peer as another uid; needs root. */
	public static final Path SETPRIV = Path.of("/usr/bin/setpriv");

	private final Process process;

	private final List<String> output = new CopyOnWriteArrayList<>();

	private PeerProcess(Process process, String name) {
		this.process = process;
		Thread reader = new Thread(this::collectOutput, name + "-output");
		reader.setDaemon(true);
		reader.start();
	}

	/**
	 * Starts a peer, its error output merged into its output.
	 * @param name names the thread that reads its output
	 * @param command the command line
	 * @return the running peer
	 * @throws IOException if it cannot start
	 */
	public static PeerProcess start(String name, String... command) throws IOException {
		return new PeerProcess(new ProcessBuilder(command).redirectErrorStream(true).start(), name);
	}

	/**
	 * Copies a script kept as a test resource next to {@code owner} into {@code directory}.
	 * @return the copy's path
	 */
	public static Path script(Class<?> owner, String resource, Path directory) {
		Path script = directory.resolve(resource);
		try (InputStream in = Objects.requireNonNull(owner.getResourceAsStream(resource), resource)) {
			Files.copy(in, script);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return script;
	}

	/** Waits up to 20 seconds for a line starting with {@code start}; fails at once if the peer died without printing it. */
	public void awaitOutput(String start) {
		await().atMost(Duration.ofSeconds(20))
			.failFast(() -> !this.process.isAlive() && !printed(start))
			.until(() -> printed(start));
	}

	/** Whether the peer ended by itself within {@code timeout}. */
	public boolean exited(Duration timeout) throws InterruptedException {
		return this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
	}

	/** Kills the peer (SIGKILL) and waits for it to be gone. */
	public void kill() throws InterruptedException {
		this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
	}

	@Override
	public void close() throws InterruptedException {
		kill();
	}

	private boolean printed(String start) {
		return this.output.stream().anyMatch((line) -> line.startsWith(start));
	}

	private void collectOutput() {
		try (BufferedReader reader = new BufferedReader(
				new InputStreamReader(this.process.getInputStream(), StandardCharsets.UTF_8))) {
			for (String line = reader.readLine(); line != null; line = reader.readLine()) {
				this.output.add(line);
			}
		}
		catch (IOException ex) {
			this.output.add("output lost: " + ex);
		}
	}

}
