package dev.vconn.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jars as users get them, checked after {@code package} (Failsafe, in {@code verify}): the
 * published modules' jars with their sources and javadoc jars and module names, the BOM, and the
 * demo's executable jar started with {@code java -jar}, which on JDK 24 and later runs with native
 * access denied to everything its manifest does not grant.
 */
class PackagedArtifactsIT {

	private static final Path ROOT = Path.of("..");

	private static final String VERSION = "0.1.0-SNAPSHOT";

	@ParameterizedTest
	@CsvSource({ "core, vconn-core, dev.vconn.core",
			"autoconfigure, vconn-spring-boot-autoconfigure, dev.vconn.autoconfigure",
			"starter, vconn-spring-boot-starter, dev.vconn.starter" })
	void publishedModuleHasSourcesAndJavadocJarsAndAnAutomaticModuleName(String module, String artifact,
			String moduleName) throws IOException {
		for (String classifier : List.of("", "-sources", "-javadoc")) {
			Path jar = ROOT.resolve(module).resolve("target").resolve(artifact + "-" + VERSION + classifier + ".jar");
			assertThat(jar).isRegularFile();
			assertThat(manifest(jar).getMainAttributes().getValue("Automatic-Module-Name")).as("%s", jar)
				.isEqualTo(moduleName);
		}
	}

	@Test
	void bomManagesEveryPublishedArtifact() throws IOException {
		String bom = Files.readString(ROOT.resolve("bom/pom.xml"));
		assertThat(bom).contains("<artifactId>vconn-bom</artifactId>")
			.contains("<artifactId>vconn-core</artifactId>")
			.contains("<artifactId>vconn-spring-boot-autoconfigure</artifactId>")
			.contains("<artifactId>vconn-spring-boot-starter</artifactId>")
			.doesNotContain("<parent>")
			.doesNotContain("vconn-demo-app");
	}

	@Test
	@Timeout(180)
	void executableJarGrantsNativeAccessSoEpollAndRawDescriptorsWorkUnderDeny() throws Exception {
		Path jar = Path.of("target", "vconn-demo-app-" + VERSION + ".jar");
		Manifest manifest = manifest(jar);
		assertThat(manifest.getMainAttributes().getValue("Enable-Native-Access")).isEqualTo("ALL-UNNAMED");
		assertThat(manifest.getMainAttributes().getValue("Automatic-Module-Name")).isEqualTo("dev.vconn.demo");

		List<String> command = new ArrayList<>();
		command.add(ProcessHandle.current().info().command().orElseThrow());
		if (Runtime.version().feature() >= 24) {
			command.add("--illegal-native-access=deny");
		}
		command.addAll(List.of("-jar", jar.toString(), "--server.port=0", "--vconn.listener.port=0",
				"--demo.origin.address=127.0.0.1:0", "--spring.main.banner-mode=off"));
		Process demo = new ProcessBuilder(command).redirectErrorStream(true).start();
		List<String> output = new CopyOnWriteArrayList<>();
		CompletableFuture<Void> started = new CompletableFuture<>();
		Thread reader = new Thread(() -> {
			try (BufferedReader lines = new BufferedReader(
					new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
				String line;
				while ((line = lines.readLine()) != null) {
					output.add(line);
					if (line.contains("Started VConnDemoApplication")) {
						started.complete(null);
					}
				}
				started.completeExceptionally(new IllegalStateException("the demo exited: " + output));
			}
			catch (IOException ex) {
				started.completeExceptionally(ex);
			}
		});
		reader.start();
		try {
			assertThat(started).succeedsWithin(Duration.ofSeconds(150));
			assertThat(output).anyMatch((line) -> line.contains("VConn runtime started: transport EPOLL"))
				.noneMatch((line) -> line.contains("VConn cannot adopt raw file descriptors"))
				.noneMatch((line) -> line.contains("A restricted method"));
		}
		finally {
			demo.destroy();
			assertThat(demo.onExit()).succeedsWithin(Duration.ofSeconds(30));
			reader.join(Duration.ofSeconds(10).toMillis());
		}
	}

	private static Manifest manifest(Path jar) throws IOException {
		try (JarFile file = new JarFile(jar.toFile())) {
			return file.getManifest();
		}
	}

}
