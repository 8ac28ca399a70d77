package bench.vertx;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.httpproxy.HttpProxy;

/**
 * Vert.x {@code vertx-http-proxy}: one verticle, a reverse proxy to the origin. Defaults
 * throughout except the origin connection pool, raised from 5 to {@value #ORIGIN_POOL} so that it
 * is not what limits a load of 32 connections.
 *
 * <p>Arguments: the port to listen on (loopback) and the origin's port (loopback).
 */
public final class VertxPeer extends VerticleBase {

	static final int ORIGIN_POOL = 128;

	private final int port;

	private final int originPort;

	VertxPeer(int port, int originPort) {
		this.port = port;
		this.originPort = originPort;
	}

	public static void main(String[] args) {
		VertxPeer peer = new VertxPeer(Integer.parseInt(args[0]), Integer.parseInt(args[1]));
		Vertx.vertx().deployVerticle(peer).toCompletionStage().toCompletableFuture().join();
		System.out.println("vertx-http-proxy listening on 127.0.0.1:" + args[0]);
	}

	@Override
	public Future<?> start() {
		HttpClient client = this.vertx.createHttpClient(new HttpClientOptions(),
				new PoolOptions().setHttp1MaxSize(ORIGIN_POOL));
		HttpProxy proxy = HttpProxy.reverseProxy(client).origin(this.originPort, "127.0.0.1");
		return this.vertx.createHttpServer().requestHandler(proxy).listen(this.port, "127.0.0.1");
	}

}
