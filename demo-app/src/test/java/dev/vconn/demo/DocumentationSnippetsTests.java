package dev.vconn.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the code shown in the documentation in step with the code that is compiled and tested,
 * and complete enough to be copied:
 * <ul>
 * <li>a Java snippet introduced by "From `path`:" must consist of lines of that file, in order
 * ({@code ...} marks lines left out), and show the file's imports of every type it names;</li>
 * <li>any other Java snippet must import every type it names that the project's sources import
 * somewhere (VConn's own, the JDK's, Spring's, Netty's, Micrometer's).</li>
 * </ul>
 */
class DocumentationSnippetsTests {

	private static final Path ROOT = Path.of("..");

	private static final Pattern SNIPPET = Pattern.compile("(From `([^`]+\\.java)`:\\s*\\n+)?```java\\n(.*?)\\n```",
			Pattern.DOTALL);

	private static final Pattern IMPORT = Pattern.compile("^import (static )?([\\w.]+)\\.(\\w+);$");

	private static final Pattern DECLARED = Pattern.compile("\\b(?:class|record|interface|enum) (\\w+)");

	private static final Pattern WORD = Pattern.compile("\\b[A-Za-z_]\\w*\\b");

	/** Simple names of the types the project's sources import, or declare in their public API. */
	private static final Set<String> KNOWN_TYPES = knownTypes();

	static Stream<String> pages() throws IOException {
		try (Stream<Path> files = Files.list(ROOT.resolve("docs"))) {
			return files.filter((file) -> file.toString().endsWith(".md"))
				.map((file) -> "docs/" + file.getFileName())
				.sorted()
				.toList()
				.stream();
		}
	}

	@ParameterizedTest
	@MethodSource("pages")
	void snippetsAreTakenFromTheNamedSourcesAndShowTheirImports(String page) throws IOException {
		String text = Files.readString(ROOT.resolve(page));
		Matcher snippet = SNIPPET.matcher(text);
		List<String> checked = new ArrayList<>();
		while (snippet.find()) {
			String named = snippet.group(2);
			List<String> lines = snippet.group(3).lines().map(String::strip).toList();
			if (named != null) {
				checkTakenFrom(page, ROOT.resolve(named), lines);
				checked.add(named);
			}
			else {
				checkImportsKnownTypes(page, lines);
			}
		}
		if (page.equals("docs/demo.md")) {
			assertThat(checked).hasSizeGreaterThanOrEqualTo(5);
		}
	}

	private void checkTakenFrom(String page, Path source, List<String> snippet) throws IOException {
		assertThat(source).as("source named in %s", page).isRegularFile();
		List<String> lines = Files.readAllLines(source).stream().map(String::strip).toList();
		int at = 0;
		for (String wanted : snippet) {
			if (wanted.isEmpty() || wanted.equals("...")) {
				continue;
			}
			while (at < lines.size() && !lines.get(at).equals(wanted)) {
				at++;
			}
			assertThat(at).as("'%s' from %s, in order, in %s", wanted, page, source).isLessThan(lines.size());
			at++;
		}
		Set<String> used = namesUsed(snippet);
		for (String line : lines) {
			Matcher imported = IMPORT.matcher(line);
			if (imported.matches() && used.contains(imported.group(3))) {
				assertThat(snippet).as("the snippet from %s in %s uses %s", source, page, imported.group(3))
					.contains(line);
			}
		}
	}

	private void checkImportsKnownTypes(String page, List<String> snippet) {
		Set<String> imported = new LinkedHashSet<>();
		for (String line : snippet) {
			Matcher matcher = IMPORT.matcher(line);
			if (matcher.matches()) {
				imported.add(matcher.group(3));
			}
		}
		Set<String> missing = new LinkedHashSet<>(namesUsed(snippet));
		missing.retainAll(KNOWN_TYPES);
		missing.removeAll(imported);
		for (String line : snippet) {
			Matcher declared = DECLARED.matcher(line);
			while (declared.find()) {
				missing.remove(declared.group(1));
			}
		}
		assertThat(missing).as("types named without an import in a snippet of %s:%n%s", page, String.join("\n", snippet))
			.isEmpty();
	}

	/** Identifiers in code lines, leaving out imports, comments and string literals. */
	private static Set<String> namesUsed(List<String> snippet) {
		Set<String> names = new LinkedHashSet<>();
		for (String line : snippet) {
			if (line.startsWith("import ") || line.startsWith("//") || line.startsWith("*") || line.startsWith("/*")) {
				continue;
			}
			String code = line.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"").replaceAll("//.*$", "");
			Matcher word = WORD.matcher(code);
			while (word.find()) {
				names.add(word.group());
			}
		}
		return names;
	}

	private static Set<String> knownTypes() {
		Map<String, @Nullable String> types = new HashMap<>();
		try (Stream<Path> files = Files.walk(ROOT)) {
			files.filter((file) -> file.toString().endsWith(".java") && !file.toString().contains("/target/"))
				.forEach((file) -> {
					for (String line : readLines(file)) {
						Matcher imported = IMPORT.matcher(line.strip());
						if (imported.matches() && imported.group(1) == null) {
							types.put(imported.group(3), imported.group(2));
						}
					}
					String path = file.toString();
					boolean library = path.contains("/core/src/main/") || path.contains("/autoconfigure/src/main/");
					if (library && !path.contains("/internal/")) {
						String name = file.getFileName().toString().replace(".java", "");
						types.put(name, null);
					}
				});
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		types.remove("package-info");
		return types.keySet();
	}

	private static List<String> readLines(Path file) {
		try {
			return Files.readAllLines(file);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
