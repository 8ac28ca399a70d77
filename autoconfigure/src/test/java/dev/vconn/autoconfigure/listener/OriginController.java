package dev.vconn.autoconfigure.listener;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The application's own endpoints: the intercept listener's default origin. Every response but
 * {@code /kept}'s closes its connection, so that each request through the listener is one tunnel;
 * {@code /kept} leaves keep-alive as the client asked.
 */
@RestController
class OriginController {

	static final String HELLO = "Hello from the origin\n";

	@GetMapping("/hello")
	ResponseEntity<String> hello() {
		return ResponseEntity.ok()
			.header(HttpHeaders.CONNECTION, "close")
			.contentType(MediaType.TEXT_PLAIN)
			.body(HELLO);
	}

	@GetMapping("/kept")
	ResponseEntity<String> kept() {
		return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(HELLO);
	}

	@PostMapping("/echo")
	ResponseEntity<byte[]> echo(@RequestBody byte[] body) {
		return ResponseEntity.ok()
			.header(HttpHeaders.CONNECTION, "close")
			.contentType(MediaType.APPLICATION_OCTET_STREAM)
			.body(body);
	}

}
