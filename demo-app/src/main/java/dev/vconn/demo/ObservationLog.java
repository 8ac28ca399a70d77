package dev.vconn.demo;

import dev.vconn.autoconfigure.observation.AdoptionObservationContext;
import dev.vconn.autoconfigure.observation.TransactionObservationContext;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Logs each of VConn's observations as it stops: its name, contextual name and keys, and the
 * error if there was one. The demo's stand-in for a tracing backend
 * ({@code demo.observations.log=true}); one line per request, so it is off by default.
 */
final class ObservationLog implements ObservationHandler<Observation.Context> {

	private static final Log logger = LogFactory.getLog(ObservationLog.class);

	@Override
	public boolean supportsContext(Observation.Context context) {
		// the name is not set yet when handlers are chosen: the context's type tells VConn's apart
		return context instanceof TransactionObservationContext || context instanceof AdoptionObservationContext;
	}

	@Override
	public void onStop(Observation.Context context) {
		StringBuilder line = new StringBuilder(context.getName()).append(" '").append(context.getContextualName())
			.append('\'');
		for (KeyValue keyValue : context.getAllKeyValues()) {
			line.append(' ').append(keyValue.getKey()).append('=').append(keyValue.getValue());
		}
		if (context.getError() != null) {
			line.append(" error=").append(context.getError());
		}
		logger.info(line);
	}

}
