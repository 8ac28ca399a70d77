package dev.vconn.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.vconn.demo.intercept.Style;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The demo's own settings, under {@code demo.*}.
 */
@ConfigurationProperties("demo")
public class DemoProperties {

	private final Origin origin = new Origin();

	private final Intercept intercept = new Intercept();

	private final Observations observations = new Observations();

	public Origin getOrigin() {
		return this.origin;
	}

	public Intercept getIntercept() {
		return this.intercept;
	}

	public Observations getObservations() {
		return this.observations;
	}

	/**
	 * The origin server the intercept connects to.
	 */
	public static class Origin {

		/**
		 * Whether to start the embedded origin server. When false, the intercept connects to an
		 * origin already listening at the address.
		 */
		private boolean embedded = true;

		/**
		 * Address of the origin as host:port. The embedded origin binds it; port 0 binds any free
		 * port.
		 */
		private String address = "127.0.0.1:60000";

		/**
		 * Number of threads of the embedded origin.
		 */
		private int threads = 4;

		public boolean isEmbedded() {
			return this.embedded;
		}

		public void setEmbedded(boolean embedded) {
			this.embedded = embedded;
		}

		public String getAddress() {
			return this.address;
		}

		public void setAddress(String address) {
			this.address = address;
		}

		public int getThreads() {
			return this.threads;
		}

		public void setThreads(int threads) {
			if (threads < 1) {
				throw new IllegalArgumentException("demo.origin.threads must be at least 1, was " + threads);
			}
			this.threads = threads;
		}

	}

	/**
	 * The intercept example.
	 */
	public static class Intercept {

		/**
		 * How the intercept moves bytes: vio (the seed plugin's VIO handlers, ported) or tunnel
		 * (VConnFactory.connect and Tunnel.start).
		 */
		private Style style = Style.VIO;

		/**
		 * Request path prefixes the intercept leaves alone: those requests pass through the
		 * listener to its origin (by default this application).
		 */
		private List<String> passThrough = new ArrayList<>(List.of("/actuator"));

		/**
		 * Longest time a connect to the origin may take.
		 */
		private Duration connectTimeout = Duration.ofSeconds(5);

		/**
		 * Inactivity timeout of both sides of an intercept; when it fires, both are closed.
		 */
		private Duration inactivityTimeout = Duration.ofSeconds(30);

		/**
		 * Number of threads waiting, off the event threads, for the connects to the origin that are not
		 * made at once.
		 */
		private int connectThreads = 4;

		public Style getStyle() {
			return this.style;
		}

		public void setStyle(Style style) {
			this.style = style;
		}

		public List<String> getPassThrough() {
			return this.passThrough;
		}

		public void setPassThrough(List<String> passThrough) {
			this.passThrough = passThrough;
		}

		public Duration getConnectTimeout() {
			return this.connectTimeout;
		}

		public void setConnectTimeout(Duration connectTimeout) {
			if (connectTimeout.isNegative() || connectTimeout.isZero()) {
				throw new IllegalArgumentException("demo.intercept.connect-timeout must be positive");
			}
			this.connectTimeout = connectTimeout;
		}

		public Duration getInactivityTimeout() {
			return this.inactivityTimeout;
		}

		public void setInactivityTimeout(Duration inactivityTimeout) {
			if (inactivityTimeout.isNegative() || inactivityTimeout.isZero()) {
				throw new IllegalArgumentException("demo.intercept.inactivity-timeout must be positive");
			}
			this.inactivityTimeout = inactivityTimeout;
		}

		public int getConnectThreads() {
			return this.connectThreads;
		}

		public void setConnectThreads(int connectThreads) {
			if (connectThreads < 1) {
				throw new IllegalArgumentException(
						"demo.intercept.connect-threads must be at least 1, was " + connectThreads);
			}
			this.connectThreads = connectThreads;
		}

	}

	/**
	 * What the demo shows of VConn's Micrometer observations besides their timers.
	 */
	public static class Observations {

		/**
		 * Whether to log each VConn observation (transaction, adoption, connect) as it stops.
		 */
		private boolean log;

		public boolean isLog() {
			return this.log;
		}

		public void setLog(boolean log) {
			this.log = log;
		}

	}

}
