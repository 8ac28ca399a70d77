package dev.vconn.internal.net;

import java.util.Locale;

import dev.vconn.Transport;
import io.netty.channel.epoll.Epoll;
import org.jspecify.annotations.Nullable;

/**
 * Whether a runtime can adopt raw descriptors, and if not, why and what fixes it. Two native parts
 * are needed: Netty's epoll library and the libc calls made through JNA. Both are loaded with
 * restricted methods, so on JDK 24 and later they fail with {@link IllegalCallerException} when
 * the JVM denies native access ({@code --illegal-native-access=deny}, the announced default).
 */
public final class NativeAccess {

	static final String GRANT = "start the JVM with --enable-native-access=ALL-UNNAMED, or add "
			+ "'Enable-Native-Access: ALL-UNNAMED' to the manifest of the executable jar";

	private NativeAccess() {
	}

	/**
	 * Why raw descriptors cannot be adopted on a runtime with the given transport.
	 * @param requested the transport asked for
	 * @param transport the runtime's transport, never {@link Transport#AUTO}
	 * @return the reason, or {@code null} if they can be adopted
	 */
	public static @Nullable String fdAdoptionUnavailable(Transport requested, Transport transport) {
		if (transport != Transport.EPOLL) {
			String why = (requested == Transport.AUTO) ? "epoll unavailable: " + describe(Epoll.unavailabilityCause())
					: "configured";
			return "raw descriptors need the epoll transport; this runtime uses " + transport + " (" + why + ")";
		}
		if (!LibC.isAvailable()) {
			return "the libc calls raw descriptors need could not be loaded: " + describe(LibC.unavailabilityCause());
		}
		return null;
	}

	/**
	 * The warning to log when raw descriptors cannot be adopted on Linux, where epoll is expected,
	 * because a native part did not load: an automatic fall-back to NIO, or libc calls missing.
	 * @param requested the transport asked for
	 * @param transport the runtime's transport, never {@link Transport#AUTO}
	 * @return the warning, with the cause and the fix, or {@code null} when there is nothing to warn of
	 */
	public static @Nullable String warning(Transport requested, Transport transport) {
		String unavailable = fdAdoptionUnavailable(requested, transport);
		if (unavailable == null || !isLinux()) {
			return null;
		}
		Throwable cause = (transport == Transport.EPOLL) ? LibC.unavailabilityCause()
				: (requested == Transport.AUTO) ? Epoll.unavailabilityCause() : null;
		if (cause == null) {
			return null;
		}
		return "VConn cannot adopt raw file descriptors: " + unavailable + ". To fix: " + fix(cause);
	}

	/**
	 * What the user can do so that the native parts load, for a warning log line.
	 * @param cause why a native part did not load
	 * @return the fix
	 */
	static String fix(Throwable cause) {
		if (isDenied(cause)) {
			return GRANT;
		}
		if (Boolean.getBoolean("io.netty.transport.noNative")) {
			return "remove -Dio.netty.transport.noNative=true";
		}
		return "put io.netty:netty-transport-native-epoll with the classifier linux-x86_64 or linux-aarch_64 "
				+ "(vconn-core brings both) on the class path, or set vconn.transport=nio to choose NIO";
	}

	/**
	 * Whether the JVM runs on Linux, where epoll is expected and its absence deserves a warning.
	 * @return {@code true} on Linux
	 */
	static boolean isLinux() {
		return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
	}

	static String describe(@Nullable Throwable cause) {
		if (cause == null) {
			return "unknown cause";
		}
		Throwable denial = denial(cause);
		return (denial != null) ? "native access is denied (" + denial.getMessage() + ")" : cause.toString();
	}

	static boolean isDenied(Throwable cause) {
		return denial(cause) != null;
	}

	/**
	 * The JDK's refusal of a restricted method, if {@code cause}, one of its causes or anything
	 * they suppressed is one (Netty keeps each failed attempt to load its library as suppressed).
	 */
	private static @Nullable Throwable denial(@Nullable Throwable cause) {
		for (Throwable t = cause; t != null; t = (t.getCause() != t) ? t.getCause() : null) {
			if (t instanceof IllegalCallerException) {
				return t;
			}
			for (Throwable suppressed : t.getSuppressed()) {
				Throwable found = denial(suppressed);
				if (found != null) {
					return found;
				}
			}
		}
		return null;
	}

}
