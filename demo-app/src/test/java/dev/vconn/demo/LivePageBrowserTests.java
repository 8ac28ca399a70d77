package dev.vconn.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.vconn.demo.origin.EmbeddedOrigin;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import com.jayway.jsonpath.JsonPath;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The live page in a real browser: Debian's headless Chromium driven by chromedriver. The page
 * loads and shows the meters, and its numbers follow requests sent through the listener, and the
 * failures once the origin is stopped from the page itself.
 *
 * <p>Needs Debian's packages {@code chromium} and {@code chromium-driver}
 * ({@code /usr/bin/chromium}, {@code /usr/bin/chromedriver}; other paths with
 * {@code -Ddemo.chromium} and {@code -Ddemo.chromedriver}). Without them the test is skipped with a
 * message naming the packages, so {@code ./mvnw verify} passes on a machine with only a JDK; with
 * {@code -Dvconn.browser.required=true}, which {@code .ci/run} sets after installing them, it fails
 * instead.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ActiveProfiles("test")
@Timeout(180)
class LivePageBrowserTests {

	private static final Path CHROMIUM = Path.of(System.getProperty("demo.chromium", "/usr/bin/chromium"));

	private static final Path CHROMEDRIVER = Path.of(System.getProperty("demo.chromedriver", "/usr/bin/chromedriver"));

	private static final Duration WAIT = Duration.ofSeconds(30);

	/** Whether a missing browser fails the test rather than skipping it ({@code .ci/run} sets it). */
	private static final boolean REQUIRED = Boolean.getBoolean("vconn.browser.required");

	@LocalServerPort
	int port;

	@Autowired
	EmbeddedOrigin origin;

	private @Nullable WebDriver driver;

	@BeforeEach
	void startBrowser(@TempDir Path profile) {
		requireExecutable(CHROMIUM, "demo.chromium");
		requireExecutable(CHROMEDRIVER, "demo.chromedriver");
		ChromeOptions options = new ChromeOptions();
		options.setBinary(CHROMIUM.toFile());
		options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--user-data-dir=" + profile.toAbsolutePath());
		ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
			.usingAnyFreePort()
			.build();
		this.driver = new ChromeDriver(service, options);
		this.origin.start();
	}

	@AfterEach
	void stopBrowser() {
		if (this.driver != null) {
			this.driver.quit();
		}
		this.origin.start();
	}

	@Test
	void pageShowsTheMetersAndFollowsTrafficThroughTheListener() throws Exception {
		WebDriver browser = this.driver;
		assertThat(browser).isNotNull();
		DemoClient client = new DemoClient(this.port);
		int listener = client.listenerPort();
		for (int i = 0; i < 3; i++) {
			assertThat(client.get(listener, "/").statusCode()).isEqualTo(200);
		}
		// the demo keeps a sample a second: let it have some history before the page opens
		await().atMost(WAIT).until(() -> JsonPath.<List<?>>read(client.get(this.port, "/demo/history").body(),
				"$.samples").size() >= 5);
		browser.get("http://127.0.0.1:" + this.port + "/");
		WebDriverWait wait = new WebDriverWait(browser, WAIT);

		// The first update draws the history at once: no empty chart after loading.
		wait.until((page) -> !"never".equals(text(page, "updated")));
		assertThat(chartPoints(browser, "active-chart")).isGreaterThanOrEqualTo(5);
		assertThat(chartPoints(browser, "events-chart")).isGreaterThanOrEqualTo(4 * 4);
		// a time axis: ticks every 30 seconds over the two minutes shown, labelled with the time of day
		assertThat(chartAttribute(browser, "events-chart", "ticks").split(" ")).hasSizeBetween(4, 5)
			.allMatch((tick) -> tick.matches("\\d{2}:\\d{2}:\\d{2}"));

		assertThat(browser.getTitle()).isEqualTo("VConn demo");
		wait.until((page) -> number(page, "adoptions-success") != null && number(page, "active") != null);
		wait.until((page) -> "running".equals(text(page, "origin-state")));
		long adoptions = require(number(browser, "adoptions-success"));
		long aborts = require(number(browser, "aborts"));
		long originFailures = require(number(browser, "origin-failures"));

		for (int i = 0; i < 5; i++) {
			assertThat(client.get(listener, "/").statusCode()).isEqualTo(200);
		}
		// each request: its two pair ends and its origin socket
		wait.until((page) -> require(number(page, "adoptions-success")) >= adoptions + 15);

		browser.findElement(By.id("origin-stop")).click();
		wait.until((page) -> "stopped".equals(text(page, "origin-state")));
		assertThat(client.get(listener, "/").statusCode()).isEqualTo(502);
		wait.until((page) -> require(number(page, "aborts")) > aborts
				&& require(number(page, "origin-failures")) > originFailures);

		browser.findElement(By.id("origin-start")).click();
		wait.until((page) -> "running".equals(text(page, "origin-state")));
		assertThat(client.get(listener, "/").statusCode()).isEqualTo(200);
		assertThat(text(browser, "error")).isEmpty();
	}

	private static void requireExecutable(Path path, String property) {
		String message = path + " is missing: install Debian's packages chromium and chromium-driver"
				+ " (apt-get install chromium chromium-driver) or point -D" + property + " at it";
		if (REQUIRED) {
			assertThat(Files.isExecutable(path)).as(message + " (required by -Dvconn.browser.required=true)").isTrue();
		}
		else {
			assumeTrue(Files.isExecutable(path), message + "; the browser test is skipped");
		}
	}

	private static String chartAttribute(WebDriver page, String id, String name) {
		return String.valueOf(((JavascriptExecutor) page)
			.executeScript("return document.getElementById(arguments[0]).dataset[arguments[1]];", id, name));
	}

	private static int chartPoints(WebDriver page, String id) {
		return Integer.parseInt(chartAttribute(page, id, "points"));
	}

	private static String text(WebDriver page, String id) {
		return page.findElement(By.id(id)).getText().trim();
	}

	private static @Nullable Long number(WebDriver page, String id) {
		String text = text(page, id);
		return text.matches("\\d+") ? Long.valueOf(text) : null;
	}

	private static long require(@Nullable Long value) {
		return (value != null) ? value : -1;
	}

}
