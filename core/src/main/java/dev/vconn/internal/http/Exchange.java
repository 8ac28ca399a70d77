package dev.vconn.internal.http;

import io.netty.handler.codec.http.HttpContent;

/** Where the current request of a client connection goes. */
interface Exchange {

	/** Whether to read more of the request body now. */
	boolean wantsRequestContent();

	/** A piece of the request body (ownership passes). */
	void requestContent(HttpContent content);

	/** The client can take more of the response. */
	void clientWritable();

	/** The client connection closed before the exchange ended. */
	void clientClosed();

	/** Whether the head of the final response has gone to the client. */
	boolean responseStarted();

	/** Whether the next hop still takes request body and has not had all of it. */
	boolean awaitsRequestBody();

}
