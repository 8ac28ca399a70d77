package dev.vconn.demo;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.vconn.Adoption;
import dev.vconn.VConn;
import dev.vconn.demo.origin.EmbeddedOrigin;
import dev.vconn.demo.origin.Origin;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The demo's own endpoints, outside the actuator:
 * <ul>
 * <li>{@code GET /demo/origin}: where the origin is, and whether the embedded one runs;</li>
 * <li>{@code POST /demo/origin/stop} and {@code POST /demo/origin/start}: stop and start the
 * embedded origin, to watch the intercept fail and recover (409 with an external origin);</li>
 * <li>{@code POST /demo/adoptions}: adopts a loopback connection and describes the new VConn,
 * which lives until {@code vconn.inactivity-timeout} aborts it;</li>
 * <li>{@code GET /demo/history?since=t}: the live page's meter totals, one sample a second for the
 * last two minutes, those after {@code t} (epoch milliseconds) only when given.</li>
 * </ul>
 */
@RestController
class DemoController {

	private final LoopbackAdoptions adoptions;

	private final Origin origin;

	private final @Nullable EmbeddedOrigin embeddedOrigin;

	private final DemoProperties properties;

	private final MeterHistory history;

	DemoController(LoopbackAdoptions adoptions, Origin origin, ObjectProvider<EmbeddedOrigin> embeddedOrigin,
			DemoProperties properties, MeterHistory history) {
		this.history = history;
		this.adoptions = adoptions;
		this.origin = origin;
		this.embeddedOrigin = embeddedOrigin.getIfAvailable();
		this.properties = properties;
	}

	@GetMapping("/demo/origin")
	Map<String, Object> origin() {
		Map<String, Object> body = new LinkedHashMap<>();
		InetSocketAddress address = this.origin.address();
		String host = address.getAddress().getHostAddress();
		body.put("address", ((address.getAddress() instanceof Inet6Address) ? "[" + host + "]" : host) + ":"
				+ address.getPort());
		body.put("embedded", this.embeddedOrigin != null);
		if (this.embeddedOrigin != null) {
			body.put("running", this.embeddedOrigin.isRunning());
		}
		body.put("style", this.properties.getIntercept().getStyle().name().toLowerCase(Locale.ROOT));
		return body;
	}

	@GetMapping("/demo/history")
	Map<String, Object> history(@RequestParam(defaultValue = "0") long since) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("intervalMillis", MeterHistory.INTERVAL.toMillis());
		body.put("capacity", MeterHistory.CAPACITY);
		body.put("samples", this.history.since(since));
		return body;
	}

	@PostMapping("/demo/origin/stop")
	ResponseEntity<Map<String, Object>> stopOrigin() {
		if (this.embeddedOrigin == null) {
			return ResponseEntity.status(HttpStatus.CONFLICT).body(origin());
		}
		this.embeddedOrigin.stop();
		return ResponseEntity.ok(origin());
	}

	@PostMapping("/demo/origin/start")
	ResponseEntity<Map<String, Object>> startOrigin() {
		if (this.embeddedOrigin == null) {
			return ResponseEntity.status(HttpStatus.CONFLICT).body(origin());
		}
		this.embeddedOrigin.start();
		return ResponseEntity.ok(origin());
	}

	@PostMapping("/demo/adoptions")
	ResponseEntity<Map<String, Object>> adopt() throws IOException {
		Adoption adoption = this.adoptions.adoptLoopbackConnection();
		VConn vconn = adoption.vconn();
		Map<String, Object> body = new LinkedHashMap<>();
		if (vconn == null) {
			body.put("reason", String.valueOf(adoption.failureReason()));
			body.put("message", adoption.message());
			return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(body);
		}
		body.put("id", vconn.id());
		body.put("remote", String.valueOf(vconn.remoteAddress()));
		body.put("local", String.valueOf(vconn.localAddress()));
		return ResponseEntity.status(HttpStatus.CREATED).body(body);
	}

}
