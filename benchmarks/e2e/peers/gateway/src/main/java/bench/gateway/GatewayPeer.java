package bench.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Spring Cloud Gateway on WebFlux with defaults and one route to the origin (application.yml). */
@SpringBootApplication
public class GatewayPeer {

	public static void main(String[] args) {
		SpringApplication.run(GatewayPeer.class, args);
	}

}
