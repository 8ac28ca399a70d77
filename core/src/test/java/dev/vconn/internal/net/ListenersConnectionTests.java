package dev.vconn.internal.net;

import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which accepted connections an adoption refuses as a runtime listener's own, by the listener's
 * bound address and the connection's local address (no sockets: the addresses decide).
 */
class ListenersConnectionTests {

	@Test
	void aListenerOnAnIpAcceptsOnlyConnectionsToThatIpAndPort() {
		InetSocketAddress listening = address("127.0.0.1", 8080);
		assertThat(HeldChannels.accepts(listening, address("127.0.0.1", 8080))).isTrue();
		assertThat(HeldChannels.accepts(listening, address("127.0.0.2", 8080))).isFalse();
		assertThat(HeldChannels.accepts(listening, address("127.0.0.1", 8081))).isFalse();
		assertThat(HeldChannels.accepts(listening, address("::1", 8080))).isFalse();
	}

	@Test
	void anIpv4WildcardListenerAcceptsIpv4ConnectionsOnly() {
		InetSocketAddress listening = address("0.0.0.0", 8080);
		assertThat(HeldChannels.accepts(listening, address("10.1.2.3", 8080))).isTrue();
		// an IPv4 connection as a dual-stack socket reports it: the JDK makes it an Inet4Address
		assertThat(HeldChannels.accepts(listening, address("::ffff:127.0.0.1", 8080))).isTrue();
		// an IPv6 connection on the same port came through another socket, bound to an IPv6 address
		assertThat(HeldChannels.accepts(listening, address("::1", 8080))).isFalse();
		assertThat(HeldChannels.accepts(listening, address("10.1.2.3", 9090))).isFalse();
	}

	@Test
	void anIpv6WildcardListenerAcceptsBothFamilies() {
		InetSocketAddress listening = address("::", 8080);
		assertThat(HeldChannels.accepts(listening, address("::1", 8080))).isTrue();
		assertThat(HeldChannels.accepts(listening, address("127.0.0.1", 8080))).isTrue();
		assertThat(HeldChannels.accepts(listening, address("::1", 8081))).isFalse();
	}

	private static InetSocketAddress address(String ip, int port) {
		return new InetSocketAddress(ip, port);
	}

}
