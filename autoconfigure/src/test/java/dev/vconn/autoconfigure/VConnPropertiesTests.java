package dev.vconn.autoconfigure;

import java.time.Duration;
import java.util.Map;

import dev.vconn.Transport;
import dev.vconn.intercept.ListenerInheritance;
import dev.vconn.VConnRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

class VConnPropertiesTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class))
		.withPropertyValues("vconn.event-threads=1");

	@Test
	void defaults() {
		VConnProperties properties = new VConnProperties();
		assertThat(properties.isEnabled()).isTrue();
		assertThat(properties.getTransport()).isEqualTo(Transport.AUTO);
		assertThat(properties.getEventThreads()).isNull();
		assertThat(properties.getMaxConnections()).isZero();
		assertThat(properties.getInactivityTimeout()).isNull();
		assertThat(properties.getActiveTimeout()).isNull();
		assertThat(properties.getWriteBuffer().getLowWaterMark()).isEqualTo(DataSize.ofKilobytes(32));
		assertThat(properties.getWriteBuffer().getHighWaterMark()).isEqualTo(DataSize.ofKilobytes(64));
		assertThat(properties.getShutdown().getTimeout()).isEqualTo(Duration.ofSeconds(30));
		assertThat(properties.getMaxPipes()).isEqualTo(256);
		assertThat(properties.getPipeSize()).isEqualTo(DataSize.ofKilobytes(256));
	}

	@Test
	void bindsPipeSize() {
		assertThat(bind(Map.of("vconn.pipe-size", "1MB")).getPipeSize()).isEqualTo(DataSize.ofMegabytes(1));
		assertThat(bind(Map.of("vconn.pipe-size", "0")).getPipeSize()).isEqualTo(DataSize.ofBytes(0));
	}

	@Test
	void listenerDefaults() {
		VConnProperties.Listener listener = new VConnProperties().getListener();
		assertThat(listener.isEnabled()).isFalse();
		assertThat(listener.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
		assertThat(listener.getPort()).isEqualTo(8081);
		assertThat(listener.getMaxHeaderSize()).isEqualTo(DataSize.ofKilobytes(8));
		assertThat(listener.getHeaderTimeout()).isEqualTo(Duration.ofSeconds(10));
		assertThat(listener.getOrigin()).isNull();
		assertThat(listener.isPerTransaction()).isTrue();
		assertThat(listener.isForwardedHeaders()).isTrue();
		assertThat(listener.isSplice()).isTrue();
		assertThat(listener.getInherit()).isEqualTo(ListenerInheritance.AUTO);
	}

	@Test
	void bindsListenerProperties() {
		VConnProperties.Listener listener = bind(Map.of("vconn.listener.enabled", "true", "vconn.listener.address",
				"0.0.0.0", "vconn.listener.port", "0", "vconn.listener.max-header-size", "16KB",
				"vconn.listener.header-timeout", "30s", "vconn.listener.origin", "backend.internal:8443",
				"vconn.listener.splice", "false", "vconn.listener.per-transaction", "false",
				"vconn.listener.forwarded-headers", "false", "vconn.listener.inherit", "required"))
			.getListener();
		assertThat(listener.isEnabled()).isTrue();
		assertThat(listener.getAddress().isAnyLocalAddress()).isTrue();
		assertThat(listener.getPort()).isZero();
		assertThat(listener.getMaxHeaderSize()).isEqualTo(DataSize.ofKilobytes(16));
		assertThat(listener.getHeaderTimeout()).isEqualTo(Duration.ofSeconds(30));
		assertThat(listener.getOrigin()).isEqualTo("backend.internal:8443");
		assertThat(listener.isSplice()).isFalse();
		assertThat(listener.isPerTransaction()).isFalse();
		assertThat(listener.isForwardedHeaders()).isFalse();
		assertThat(listener.getInherit()).isEqualTo(ListenerInheritance.REQUIRED);
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', textBlock = """
			127.0.0.1:8080     | 127.0.0.1 | 8080
			localhost:1        | localhost | 1
			[::1]:65535        | ::1       | 65535
			' origin.test:80 ' | origin.test | 80
			""")
	void parsesOriginsWithoutResolvingThem(String origin, String host, int port) {
		assertThat(VConnProperties.Listener.parseOrigin(origin).getHostString()).isEqualTo(host);
		assertThat(VConnProperties.Listener.parseOrigin(origin).getPort()).isEqualTo(port);
		assertThat(VConnProperties.Listener.parseOrigin(origin).isUnresolved()).isTrue();
	}

	@Test
	void blankOriginMeansNone() {
		assertThat(bind(Map.of("vconn.listener.origin", " ")).getListener().getOrigin()).isNull();
	}

	@Test
	void bindsDataSizesAndDurationsFromStrings() {
		VConnProperties properties = bind(Map.of("vconn.write-buffer.low-water-mark", "16KB",
				"vconn.write-buffer.high-water-mark", "1MB", "vconn.shutdown.timeout", "30s",
				"vconn.inactivity-timeout", "500ms", "vconn.active-timeout", "2m", "vconn.transport", "nio",
				"vconn.event-threads", "3", "vconn.max-connections", "100", "vconn.enabled", "false"));
		assertThat(properties.getWriteBuffer().getLowWaterMark()).isEqualTo(DataSize.ofKilobytes(16));
		assertThat(properties.getWriteBuffer().getHighWaterMark()).isEqualTo(DataSize.ofMegabytes(1));
		assertThat(properties.getShutdown().getTimeout()).isEqualTo(Duration.ofSeconds(30));
		assertThat(properties.getInactivityTimeout()).isEqualTo(Duration.ofMillis(500));
		assertThat(properties.getActiveTimeout()).isEqualTo(Duration.ofMinutes(2));
		assertThat(properties.getTransport()).isEqualTo(Transport.NIO);
		assertThat(properties.getEventThreads()).isEqualTo(3);
		assertThat(properties.getMaxConnections()).isEqualTo(100);
		assertThat(properties.isEnabled()).isFalse();
	}

	@Test
	void bindsPlainNumbersAsBytesAndMilliseconds() {
		VConnProperties properties = bind(Map.of("vconn.write-buffer.low-water-mark", "1024",
				"vconn.write-buffer.high-water-mark", "2048", "vconn.shutdown.timeout", "1500"));
		assertThat(properties.getWriteBuffer().getLowWaterMark()).isEqualTo(DataSize.ofBytes(1024));
		assertThat(properties.getWriteBuffer().getHighWaterMark()).isEqualTo(DataSize.ofBytes(2048));
		assertThat(properties.getShutdown().getTimeout()).isEqualTo(Duration.ofMillis(1500));
	}

	@Test
	void bindsTransportCaseInsensitively() {
		assertThat(bind(Map.of("vconn.transport", "EPOLL")).getTransport()).isEqualTo(Transport.EPOLL);
		assertThat(bind(Map.of("vconn.transport", "Auto")).getTransport()).isEqualTo(Transport.AUTO);
	}

	@Test
	void zeroTimeoutsMeanNone() {
		this.contextRunner.withPropertyValues("vconn.inactivity-timeout=0", "vconn.active-timeout=0s")
			.run((context) -> assertThat(context).hasSingleBean(VConnRuntime.class));
	}

	@Test
	void equalWaterMarksAreAccepted() {
		this.contextRunner
			.withPropertyValues("vconn.write-buffer.low-water-mark=8KB", "vconn.write-buffer.high-water-mark=8KB")
			.run((context) -> assertThat(context).hasSingleBean(VConnRuntime.class));
	}

	@ParameterizedTest(name = "{0}={1}")
	@CsvSource(delimiter = '|', textBlock = """
			vconn.event-threads                | 0     | vconn.event-threads must be at least 1, was 0
			vconn.event-threads                | -3    | vconn.event-threads must be at least 1, was -3
			vconn.max-connections              | -1    | vconn.max-connections must not be negative
			vconn.inactivity-timeout           | -1s   | vconn.inactivity-timeout must not be negative
			vconn.active-timeout               | -5ms  | vconn.active-timeout must not be negative
			vconn.shutdown.timeout             | -1s   | vconn.shutdown.timeout must not be negative
			vconn.pipe-size                    | -1B   | vconn.pipe-size must be between 0 (the kernel's default) and 2GB, was -1B
			vconn.pipe-size                    | 3GB   | vconn.pipe-size must be between 0 (the kernel's default) and 2GB, was 3221225472B
			vconn.write-buffer.low-water-mark  | 0B    | vconn.write-buffer.low-water-mark must be between 1B and
			vconn.write-buffer.high-water-mark | 3GB   | vconn.write-buffer.high-water-mark must be between 1B and
			vconn.transport                    | kqueue | to type [dev.vconn.Transport] for value [kqueue]
			vconn.shutdown.timeout             | soon  | to type [java.time.Duration] for value [soon]
			vconn.write-buffer.low-water-mark  | lots  | to type [org.springframework.util.unit.DataSize] for value [lots]
			vconn.listener.port                | -1    | vconn.listener.port must be between 0 and 65535 (0 picks a free port), was -1
			vconn.listener.port                | 65536 | vconn.listener.port must be between 0 and 65535 (0 picks a free port), was 65536
			vconn.listener.max-header-size     | 255B  | vconn.listener.max-header-size must be between 256B and 2147483647B, was 255B
			vconn.listener.max-header-size     | 4GB   | vconn.listener.max-header-size must be between 256B and 2147483647B
			vconn.listener.header-timeout      | 0s    | vconn.listener.header-timeout must be positive, was PT0S
			vconn.listener.header-timeout      | -1s   | vconn.listener.header-timeout must be positive, was PT-1S
			vconn.listener.origin              | localhost | vconn.listener.origin must be host:port, was 'localhost': expected host:port
			vconn.listener.origin              | :8080 | vconn.listener.origin must be host:port, was ':8080': expected host:port
			vconn.listener.origin              | localhost: | vconn.listener.origin must be host:port, was 'localhost:': expected host:port
			vconn.listener.origin              | localhost:http | the port is not a number
			vconn.listener.origin              | localhost:0 | the port must be between 1 and 65535
			vconn.listener.origin              | localhost:70000 | the port must be between 1 and 65535
			vconn.listener.origin              | ::1:8080 | put an IPv6 address in brackets, as in [::1]:8080
			vconn.listener.address             | no-such-host.invalid | to type [java.net.InetAddress] for value [no-such-host.invalid]
			vconn.listener.enabled             | maybe | to type [boolean] for value [maybe]
			""")
	void invalidValueFailsStartupNamingTheProperty(String property, String value, String reason) {
		this.contextRunner.withPropertyValues(property + "=" + value).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining("Failed to bind properties under 'vconn")
				.hasStackTraceContaining(reason);
		});
	}

	@Test
	void bindsHandoffProperties() {
		VConnProperties.Handoff handoff = bind(Map.of("vconn.handoff.enabled", "true", "vconn.handoff.path",
				"/run/app/handoff.sock", "vconn.handoff.allowed-uids", "1001,1002")).getHandoff();
		assertThat(handoff.isEnabled()).isTrue();
		assertThat(handoff.getPath()).isEqualTo(java.nio.file.Path.of("/run/app/handoff.sock"));
		assertThat(handoff.getAllowedUids()).containsExactly(1001, 1002);
		VConnProperties.Handoff defaults = new VConnProperties().getHandoff();
		assertThat(defaults.isEnabled()).isFalse();
		assertThat(defaults.getPath()).isNull();
		assertThat(defaults.getAllowedUids()).isEmpty();
	}

	@Test
	void handoffWithoutAPathFailsStartupNamingTheProperty() {
		this.contextRunner.withPropertyValues("vconn.listener.enabled=true", "vconn.handoff.enabled=true")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining("vconn.handoff.path")
					.hasStackTraceContaining("must be set when vconn.handoff.enabled=true");
			});
	}

	@Test
	void handoffWithoutTheListenerFailsStartupNamingTheProperty() {
		this.contextRunner.withPropertyValues("vconn.handoff.enabled=true", "vconn.handoff.path=/tmp/handoff.sock")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining("vconn.handoff.enabled")
					.hasStackTraceContaining("needs vconn.listener.enabled=true");
			});
	}

	@Test
	void aNegativeAllowedUidFailsStartupNamingTheProperty() {
		this.contextRunner.withPropertyValues("vconn.handoff.allowed-uids=-1").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining("vconn.handoff.allowed-uids must hold user ids");
		});
	}

	@Test
	void highWaterMarkBelowLowWaterMarkFailsStartupNamingTheProperty() {
		this.contextRunner
			.withPropertyValues("vconn.write-buffer.low-water-mark=64KB", "vconn.write-buffer.high-water-mark=16KB")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining("vconn.write-buffer.high-water-mark")
					.hasStackTraceContaining("must be at least vconn.write-buffer.low-water-mark (65536B)");
			});
	}

	private static VConnProperties bind(Map<String, String> values) {
		Binder binder = new Binder(new MapConfigurationPropertySource(values));
		return binder.bindOrCreate("vconn", Bindable.of(VConnProperties.class));
	}

}
