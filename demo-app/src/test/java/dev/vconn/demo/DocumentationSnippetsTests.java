package dev.vconn.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the code shown in the documentation in step with the code that is compiled and tested:
 * a Java snippet introduced by "From `path`:" must consist of lines of that file, in order
 * ({@code ...} marks lines left out).
 */
class DocumentationSnippetsTests {

	private static final Path ROOT = Path.of("..");

	private static final Pattern SNIPPET = Pattern
		.compile("From `([^`]+\\.java)`:\\s*\\n+```java\\n(.*?)\\n```", Pattern.DOTALL);

	@ParameterizedTest
	@ValueSource(strings = { "docs/demo.md", "docs/concepts.md", "docs/migration.md", "docs/operations.md" })
	void snippetsAreTakenFromTheNamedSources(String page) throws IOException {
		String text = Files.readString(ROOT.resolve(page));
		Matcher snippet = SNIPPET.matcher(text);
		List<String> checked = new ArrayList<>();
		while (snippet.find()) {
			Path source = ROOT.resolve(snippet.group(1));
			assertThat(source).as("source named in %s", page).isRegularFile();
			List<String> lines = Files.readAllLines(source).stream().map(String::strip).toList();
			int at = 0;
			for (String line : snippet.group(2).split("\n")) {
				String wanted = line.strip();
				if (wanted.isEmpty() || wanted.equals("...")) {
					continue;
				}
				while (at < lines.size() && !lines.get(at).equals(wanted)) {
					at++;
				}
				assertThat(at).as("'%s' from %s, in order, in %s", wanted, page, source).isLessThan(lines.size());
				at++;
			}
			checked.add(snippet.group(1));
		}
		if (page.equals("docs/demo.md")) {
			assertThat(checked).hasSizeGreaterThanOrEqualTo(5);
		}
	}

}
