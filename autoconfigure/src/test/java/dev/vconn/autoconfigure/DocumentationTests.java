package dev.vconn.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

import dev.vconn.autoconfigure.metrics.VConnMeters;
import dev.vconn.autoconfigure.observation.VConnObservationDocumentation;
import io.micrometer.common.docs.KeyName;
import io.micrometer.core.instrument.Meter;
import org.junit.jupiter.api.Test;

import org.springframework.boot.configurationmetadata.ConfigurationMetadataProperty;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepository;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepositoryJsonBuilder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the reference pages in {@code docs/} in step with the code: every configuration property
 * in the generated metadata, and every meter in {@link VConnMeters}.
 */
class DocumentationTests {

	private static final Path DOCS = Path.of("..", "docs");

	@Test
	void configurationReferenceListsEveryPropertyOfTheGeneratedMetadata() throws IOException {
		Map<String, ConfigurationMetadataProperty> properties = metadata().getAllProperties();
		assertThat(properties).containsKeys("vconn.enabled", "vconn.transport", "vconn.event-threads",
				"vconn.max-connections", "vconn.inactivity-timeout", "vconn.active-timeout",
				"vconn.write-buffer.low-water-mark", "vconn.write-buffer.high-water-mark", "vconn.shutdown.timeout",
				"vconn.listener.enabled", "vconn.listener.address", "vconn.listener.port", "vconn.listener.inherit",
				"vconn.listener.max-header-size", "vconn.listener.header-timeout", "vconn.listener.origin",
				"vconn.listener.per-transaction", "vconn.listener.forwarded-headers", "vconn.listener.splice",
				"management.health.vconn.enabled", "management.endpoint.vconn.access");
		Map<String, List<String>> rows = tableRows(read("configuration.md"));
		assertThat(rows.keySet()).containsExactlyInAnyOrderElementsOf(
				properties.keySet().stream().map((name) -> "`" + name + "`").toList());
		for (ConfigurationMetadataProperty property : properties.values()) {
			List<String> row = rows.get("`" + property.getId() + "`");
			assertThat(property.getDescription()).as("description of %s", property.getId()).isNotBlank();
			Object defaultValue = property.getDefaultValue();
			if (defaultValue != null) {
				String expected = "`" + defaultValue.toString().replace('_', '-') + "`";
				assertThat(row.get(2)).as("default of %s", property.getId()).isEqualToIgnoringCase(expected);
			}
			else {
				assertThat(row.get(2)).as("default of %s", property.getId()).doesNotContain("`");
			}
		}
	}

	@Test
	void metricsReferenceListsEveryMeterWithTypeUnitAndTags() throws IOException {
		Map<String, List<String>> rows = tableRows(read("metrics.md"));
		Map<String, List<String>> meterRows = rows.entrySet()
			.stream()
			.filter((row) -> row.getKey().startsWith("`vconn."))
			.collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
		assertThat(meterRows.keySet()).containsExactlyElementsOf(
				Arrays.stream(VConnMeters.values()).map((meter) -> "`" + meter.getName() + "`").toList());
		for (VConnMeters meter : VConnMeters.values()) {
			List<String> row = meterRows.get("`" + meter.getName() + "`");
			assertThat(row.get(1)).as("type of %s", meter.getName()).isEqualTo(typeName(meter.getType()));
			assertThat(row.get(2)).as("base unit of %s", meter.getName()).isEqualTo(unit(meter));
			String tags = meter.getTagKeys().isEmpty() ? "—"
					: meter.getTagKeys().stream().map((key) -> "`" + key + "`").collect(Collectors.joining(", "));
			assertThat(row.get(3)).as("tags of %s", meter.getName()).isEqualTo(tags);
			assertThat(row.get(4)).as("description of %s", meter.getName()).isEqualTo(meter.getDescription());
		}
		List<String> documentedTags = rows.keySet()
			.stream()
			.filter((key) -> key.matches("`[a-z]+`"))
			.map((key) -> key.substring(1, key.length() - 1))
			.toList();
		assertThat(documentedTags).containsExactlyInAnyOrderElementsOf(Arrays.stream(VConnMeters.Tags.values())
			.map(VConnMeters.Tags::asString)
			.toList());
	}

	@Test
	void tracingReferenceListsEveryObservationAndKey() throws Exception {
		Map<String, List<String>> rows = tableRows(read("tracing.md"));
		Map<String, List<String>> observationsOfKey = new LinkedHashMap<>();
		Map<String, String> cardinalityOfKey = new LinkedHashMap<>();
		for (VConnObservationDocumentation observation : VConnObservationDocumentation.values()) {
			String name = observation.getDefaultConvention().getDeclaredConstructor().newInstance().getName();
			assertThat(rows).as("row of observation %s", name).containsKey("`" + name + "`");
			for (KeyName key : observation.getLowCardinalityKeyNames()) {
				observationsOfKey.computeIfAbsent(key.asString(), (k) -> new ArrayList<>()).add("`" + name + "`");
				cardinalityOfKey.put(key.asString(), "low");
			}
			for (KeyName key : observation.getHighCardinalityKeyNames()) {
				observationsOfKey.computeIfAbsent(key.asString(), (k) -> new ArrayList<>()).add("`" + name + "`");
				cardinalityOfKey.put(key.asString(), "high");
			}
		}
		List<String> documentedKeys = rows.keySet().stream().filter((key) -> !key.startsWith("`vconn.")).toList();
		assertThat(documentedKeys).containsExactlyInAnyOrderElementsOf(
				observationsOfKey.keySet().stream().map((key) -> "`" + key + "`").toList());
		observationsOfKey.forEach((key, observations) -> {
			List<String> row = rows.get("`" + key + "`");
			assertThat(row.get(1)).as("observations of %s", key).isEqualTo(String.join(", ", observations));
			assertThat(row.get(2)).as("cardinality of %s", key).isEqualTo(cardinalityOfKey.get(key));
		});
	}

	@Test
	void referencePagesExist() {
		assertThat(DOCS.resolve("getting-started.md")).isRegularFile();
		assertThat(DOCS.resolve("configuration.md")).isRegularFile();
		assertThat(DOCS.resolve("metrics.md")).isRegularFile();
		assertThat(DOCS.resolve("actuator.md")).isRegularFile();
		assertThat(DOCS.resolve("handoff.md")).isRegularFile();
	}

	private static String typeName(Meter.Type type) {
		return type.name().toLowerCase();
	}

	private static String unit(VConnMeters meter) {
		if (meter.getType() == Meter.Type.TIMER) {
			return "seconds";
		}
		return Objects.requireNonNullElse(meter.getBaseUnit(), "—");
	}

	private static ConfigurationMetadataRepository metadata() throws IOException {
		try (InputStream in = DocumentationTests.class
			.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
			assertThat(in).as("generated configuration metadata").isNotNull();
			return ConfigurationMetadataRepositoryJsonBuilder.create(StandardCharsets.UTF_8).withJsonResource(in).build();
		}
	}

	private static String read(String page) throws IOException {
		return Files.readString(DOCS.resolve(page));
	}

	/** Table rows by their first cell, each row as its trimmed cells. */
	private static Map<String, List<String>> tableRows(String markdown) {
		Map<String, List<String>> rows = new LinkedHashMap<>();
		for (String line : markdown.split("\n")) {
			if (!line.startsWith("| `")) {
				continue;
			}
			List<String> cells = Arrays.stream(line.substring(1, line.length() - 1).split(" \\| "))
				.map(String::trim)
				.toList();
			rows.put(cells.get(0), cells);
		}
		return rows;
	}

}
