package dev.vconn.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard and the Prometheus scrape configuration in {@code docs/monitoring} against
 * the running demo: every metric name in every PromQL expression of the dashboard is one the demo
 * actually serves on {@code /actuator/prometheus}, and the scrape configuration points there.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ActiveProfiles("test")
@Timeout(60)
class DashboardQueriesTests {

	private static final Path MONITORING = Path.of("..", "docs", "monitoring");

	/** PromQL functions, aggregations and keywords that may appear beside metric names. */
	private static final Set<String> PROMQL_WORDS = Set.of("sum", "avg", "min", "max", "count", "rate", "irate",
			"increase", "delta", "histogram_quantile", "by", "without", "on", "ignoring", "group_left",
			"group_right", "bool", "and", "or", "unless", "offset", "topk", "bottomk", "abs", "clamp_min",
			"clamp_max", "absent", "label_values", "vector", "scalar", "time");

	private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

	@LocalServerPort
	int port;

	@Test
	void everyMetricInTheDashboardIsServedByTheDemo() throws Exception {
		DemoClient client = new DemoClient(this.port);
		client.get(client.listenerPort(), "/"); // traffic of every kind the dashboard shows
		String scrape = client.app("/actuator/prometheus").body();
		Set<String> served = servedNames(scrape);
		assertThat(served).contains("vconn_adoptions_total", "vconn_active_connections", "demo_origin_connects_total");

		String dashboard = Files.readString(MONITORING.resolve("vconn-dashboard.json"));
		List<String> expressions = JsonPath.read(dashboard, "$.panels[*].targets[*].expr");
		List<String> variables = JsonPath.read(dashboard, "$.templating.list[*].query.query");
		assertThat(expressions).hasSizeGreaterThanOrEqualTo(10);
		Set<String> used = new TreeSet<>();
		for (String expression : expressions) {
			Set<String> names = metricNames(expression);
			assertThat(names).as("metric names in %s", expression).isNotEmpty();
			used.addAll(names);
		}
		for (String variable : variables) {
			used.addAll(metricNames(variable));
		}

		assertThat(served).as("meters served on /actuator/prometheus").containsAll(used);
	}

	@Test
	void scrapeConfigurationPointsAtTheDemosPrometheusEndpoint() throws Exception {
		String config = Files.readString(MONITORING.resolve("prometheus.yml"));
		Matcher path = Pattern.compile("metrics_path:\\s*(\\S+)").matcher(config);
		assertThat(path.find()).isTrue();
		DemoClient client = new DemoClient(this.port);

		assertThat(client.app(path.group(1)).statusCode()).isEqualTo(200);
		assertThat(config).contains("127.0.0.1:8080");
	}

	@Test
	void metricNamesOfAnExpressionLeaveOutFunctionsLabelsAndRanges() {
		assertThat(metricNames("sum by (reason) (rate(vconn_adoptions_total{outcome=\"failure\", "
				+ "instance=~\"$instance\"}[$__rate_interval])) / vconn_active_connections > 0.8"))
			.containsExactly("vconn_adoptions_total", "vconn_active_connections");
		assertThat(metricNames("label_values(vconn_active_connections, instance)"))
			.containsExactly("vconn_active_connections");
	}

	/** Sample names in the Prometheus text format. */
	private static Set<String> servedNames(String scrape) {
		Set<String> names = new TreeSet<>();
		for (String line : scrape.split("\n")) {
			if (line.isBlank() || line.startsWith("#")) {
				continue;
			}
			Matcher name = NAME.matcher(line);
			if (name.lookingAt()) {
				names.add(name.group());
			}
		}
		return names;
	}

	/**
	 * The metric names a PromQL expression reads: label matchers, ranges, strings, grouping
	 * clauses and Grafana variables removed, then every name that is not a function or keyword.
	 */
	static Set<String> metricNames(String expression) {
		String query = expression.replaceAll("\"[^\"]*\"", "\"\"")
			.replaceAll("\\$\\{?\\w+}?", "")
			.replaceAll("\\{[^}]*}", " ")
			.replaceAll("\\[[^]]*]", " ")
			.replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
			.replaceAll("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,[^)]*\\)", "$1");
		Set<String> names = new LinkedHashSet<>();
		Matcher matcher = NAME.matcher(query);
		while (matcher.find()) {
			String word = matcher.group();
			boolean call = query.substring(matcher.end()).stripLeading().startsWith("(");
			boolean number = matcher.start() > 0 && Character.isDigit(query.charAt(matcher.start() - 1));
			if (!call && !number && !PROMQL_WORDS.contains(word)) {
				names.add(word);
			}
		}
		return names;
	}

}
