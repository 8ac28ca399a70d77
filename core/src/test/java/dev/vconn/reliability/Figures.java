package dev.vconn.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.netty.util.Version;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The figures one test class of the suite produced, in the order recorded. After the class they
 * are written to {@code target/reliability/<Class>.properties}, and, with
 * {@code -Dvconn.reliability.docs=update}, into the section of {@code docs/reliability.md} that
 * the class owns (between {@code <!-- figures:<Class> -->} and {@code <!-- /figures:<Class> -->}),
 * with the date, the machine, the sizes used and the tests that failed, if any. Thread-safe.
 *
 * <p>Register it as a {@code static} field with {@code @RegisterExtension}.
 */
final class Figures implements AfterAllCallback, TestWatcher {

	private static final String DOCS_PROPERTY = "vconn.reliability.docs";

	private final Map<String, String> figures = new LinkedHashMap<>();

	private final List<String> failed = new CopyOnWriteArrayList<>();

	/** Records {@code value} under {@code key} (replacing an earlier value of the same key). */
	synchronized void record(String key, Object value) {
		this.figures.put(key, String.valueOf(value));
	}

	synchronized Map<String, String> all() {
		return new LinkedHashMap<>(this.figures);
	}

	@Override
	public void testFailed(ExtensionContext context, @Nullable Throwable cause) {
		this.failed.add(context.getParent().map(ExtensionContext::getDisplayName).orElse("") + " "
				+ context.getDisplayName() + ": " + ((cause != null) ? firstLine(cause) : "failed"));
	}

	@Override
	public void afterAll(ExtensionContext context) throws IOException {
		String owner = context.getRequiredTestClass().getSimpleName();
		Map<String, String> figures = all();
		Path module = Path.of(System.getProperty("basedir", "."));
		Path properties = module.resolve("target/reliability/" + owner + ".properties");
		Files.createDirectories(properties.getParent());
		StringBuilder text = new StringBuilder("# ").append(runLine()).append('\n');
		this.failed.forEach((failure) -> text.append("# FAILED ").append(failure).append('\n'));
		figures.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
		Files.writeString(properties, text, StandardCharsets.UTF_8);
		if ("update".equals(System.getProperty(DOCS_PROPERTY))) {
			updateDoc(module.resolve("../docs/reliability.md").normalize(), owner, figures, List.copyOf(this.failed));
		}
	}

	private static void updateDoc(Path doc, String owner, Map<String, String> figures, List<String> failed)
			throws IOException {
		String start = "<!-- figures:" + owner + " -->";
		String end = "<!-- /figures:" + owner + " -->";
		String text = Files.readString(doc, StandardCharsets.UTF_8);
		Matcher section = Pattern.compile(Pattern.quote(start) + ".*?" + Pattern.quote(end), Pattern.DOTALL)
			.matcher(text);
		if (!section.find()) {
			throw new IllegalStateException(doc + " has no section " + start + " ... " + end);
		}
		StringBuilder table = new StringBuilder(start).append("\n\n_").append(runLine()).append("_\n\n");
		if (!failed.isEmpty()) {
			table.append("**Failed in this run** (the figures of a failed test may be missing or partial):\n\n");
			failed.forEach((failure) -> table.append("- ").append(failure.replace("|", "\\|")).append('\n'));
			table.append('\n');
		}
		table.append("| figure | value |\n|---|---|\n");
		figures.forEach((key, value) -> table.append("| `").append(key).append("` | ").append(value).append(" |\n"));
		table.append('\n').append(end);
		Files.writeString(doc, section.replaceFirst(Matcher.quoteReplacement(table.toString())), StandardCharsets.UTF_8);
	}

	/** When, where and with what the figures were produced. */
	private static String runLine() {
		Runtime jvm = Runtime.getRuntime();
		return "Last run " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + " on " + hostName() + ": "
				+ jvm.availableProcessors() + " CPUs, " + (jvm.maxMemory() >> 20) + " MiB max heap, "
				+ System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
				+ System.getProperty("os.arch") + ", JDK " + System.getProperty("java.runtime.version") + ", Netty "
				+ nettyVersion() + ", open-file limit "
				+ Reliability.fdLimit() + ", " + (Reliability.FULL ? "full" : "default") + " sizes";
	}

	private static String firstLine(Throwable cause) {
		String message = String.valueOf(cause.getMessage()).strip();
		int end = message.indexOf('\n');
		String first = (end >= 0) ? message.substring(0, end) : message;
		return cause.getClass().getSimpleName() + " " + ((first.length() > 300) ? first.substring(0, 300) + "..." : first);
	}

	private static String nettyVersion() {
		Version common = Version.identify().get("netty-common");
		return (common != null) ? common.artifactVersion() : "unknown";
	}

	private static String hostName() {
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
