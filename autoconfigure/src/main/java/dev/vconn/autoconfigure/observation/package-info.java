/**
 * Micrometer Observation support: adoptions, connects and intercept-listener transactions observed
 * through core's {@link dev.vconn.VConnListener} and {@link dev.vconn.intercept.InterceptObserver}
 * callbacks, documented by {@link dev.vconn.autoconfigure.observation.VConnObservationDocumentation}.
 * The classes here need only {@code micrometer-observation}, not Spring: an application without
 * Spring Boot registers {@link dev.vconn.autoconfigure.observation.ObservationVConnListener} and
 * {@link dev.vconn.autoconfigure.observation.ObservationInterceptObserver} itself.
 */
@NullMarked
package dev.vconn.autoconfigure.observation;

import org.jspecify.annotations.NullMarked;
