package dev.vconn.autoconfigure.observation;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Locale;

import io.micrometer.common.KeyValues;
import org.jspecify.annotations.Nullable;

import dev.vconn.autoconfigure.observation.VConnObservationDocumentation.PeerKeys;

/** How both default conventions write values: peers as an IP address and port, a socket path or unknown; enums in lower case. */
final class KeyValueFormat {

	private KeyValueFormat() {
	}

	static KeyValues peer(@Nullable SocketAddress peer) {
		if (peer instanceof InetSocketAddress) {
			InetSocketAddress inet = (InetSocketAddress) peer;
			String address = (inet.getAddress() != null) ? inet.getAddress().getHostAddress() : inet.getHostString();
			return KeyValues.of(PeerKeys.PEER_ADDRESS.withValue(address),
					PeerKeys.PEER_PORT.withValue(Integer.toString(inet.getPort())));
		}
		return KeyValues.of(PeerKeys.PEER_ADDRESS.withValue((peer != null) ? peer.toString() : "unknown"));
	}

	static String lowerCase(@Nullable Enum<?> value) {
		return (value != null) ? value.name().toLowerCase(Locale.ROOT) : "none";
	}

}
