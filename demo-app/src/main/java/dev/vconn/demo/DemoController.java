package dev.vconn.demo;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.vconn.Adoption;
import dev.vconn.VConn;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /demo/adoptions}: adopts a loopback connection and describes the new VConn. It
 * lives until {@code vconn.inactivity-timeout} aborts it, or until
 * {@code DELETE /actuator/vconn/{id}} does once that access is granted.
 */
@RestController
class DemoController {

	private final LoopbackAdoptions adoptions;

	DemoController(LoopbackAdoptions adoptions) {
		this.adoptions = adoptions;
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
