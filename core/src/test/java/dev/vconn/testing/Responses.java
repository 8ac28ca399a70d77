package dev.vconn.testing;

import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import org.jspecify.annotations.Nullable;

/**
 * The response the test origin and the test intercepts give, chosen by the request target
 * {@code /<route>/<framing>/<size>[/<anything>]} with framing {@code cl}, {@code chunked} or
 * {@code close}: status 200, a body of {@code size} bytes of {@link HttpWire#body(String, int)}
 * seeded with the target, framed that way, and headers naming who served it and what request body
 * it saw. Other targets get a short {@code Content-Length} body.
 */
public final class Responses {

	private Responses() {
	}

	/** What a target asks for. */
	public record Plan(Framing framing, int size) {

		/** The plan of a target, or {@code null} if it does not follow the pattern. */
		public static @Nullable Plan parse(String target) {
			String[] parts = target.split("/");
			if (parts.length >= 4 && parts[3].matches("[0-9]+")) {
				Framing framing = switch (parts[2]) {
					case "cl" -> Framing.LENGTH;
					case "chunked" -> Framing.CHUNKED;
					case "close" -> Framing.CLOSE;
					default -> null;
				};
				if (framing != null) {
					return new Plan(framing, Integer.parseInt(parts[3]));
				}
			}
			return null;
		}

	}

	/** The body the client must receive for a GET or POST of {@code target}. */
	public static byte[] expectedBody(String target) {
		Plan plan = Plan.parse(target);
		return (plan != null) ? HttpWire.body(target, plan.size()) : HttpWire.ascii("ok");
	}

	/** The response to {@code request}, as bytes, served by {@code servedBy} ("origin" or "intercept"). */
	public static byte[] responseTo(Message request, String servedBy) {
		Plan plan = Plan.parse(request.target());
		Framing framing = (plan != null) ? plan.framing() : Framing.LENGTH;
		byte[] body = expectedBody(request.target());
		String head = "HTTP/1.1 200 OK\r\n" + "X-Served-By: " + servedBy + "\r\n" + "X-Target: " + request.target()
				+ "\r\n" + "X-Request-Body-Length: " + request.body().length + "\r\n"
				+ HttpWire.framingHeader(framing, body.length) + "\r\n";
		if (request.method().equals("HEAD")) {
			return HttpWire.ascii(head);
		}
		return HttpWire.concat(HttpWire.ascii(head), HttpWire.frame(body, framing));
	}

	/** Whether the response to {@code request} ends with the connection. */
	public static boolean closeDelimited(Message request) {
		Plan plan = Plan.parse(request.target());
		return plan != null && plan.framing() == Framing.CLOSE && !request.method().equals("HEAD");
	}

}
