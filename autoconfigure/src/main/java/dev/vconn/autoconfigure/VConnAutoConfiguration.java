package dev.vconn.autoconfigure;

import java.time.Duration;

import dev.vconn.Transport;
import dev.vconn.VConnFactory;
import dev.vconn.VConnListener;
import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.InterceptObserver;
import dev.vconn.intercept.VConnHandoff;
import dev.vconn.metrics.VConnStatistics;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.annotation.OrderUtils;

/**
 * Auto-configuration of VConn: a {@link VConnRuntime} bound to the application lifecycle, its
 * {@link VConnFactory}, the {@link InterceptHookRegistry} and the {@link VConnStatistics} that
 * the runtime and the intercept listener report to, and, with {@code vconn.listener.enabled=true}, an {@link InterceptListener} run by an
 * {@link InterceptListenerLifecycle}. Every bean backs off when the application defines its own.
 *
 * <p>The runtime is built from {@link VConnProperties}, with every {@link VConnListener} bean
 * added in {@code @Order}, then every {@link VConnRuntimeBuilderCustomizer} bean applied. The
 * intercept listener reports to every {@link InterceptObserver} bean, in {@code @Order}. An
 * application that defines its own {@code VConnRuntime} bean should add the listener beans
 * itself, or the statistics, the metrics and the endpoint totals stay at zero.
 *
 * @since 0.1.0
 */
@AutoConfiguration
@ConditionalOnClass(VConnRuntime.class)
@ConditionalOnBooleanProperty(name = "vconn.enabled", matchIfMissing = true)
@EnableConfigurationProperties(VConnProperties.class)
public final class VConnAutoConfiguration {

	/**
	 * Creates the auto-configuration; Spring Boot does so when its conditions match.
	 */
	public VConnAutoConfiguration() {
	}

	@Bean
	@ConditionalOnMissingBean
	VConnStatistics vconnStatistics() {
		return new VConnStatistics();
	}

	@Bean
	@ConditionalOnMissingBean
	VConnRuntime vconnRuntime(VConnProperties properties, ObjectProvider<VConnListener> listeners,
			ObjectProvider<VConnRuntimeBuilderCustomizer> customizers) {
		VConnRuntime.Builder builder = VConnRuntime.builder()
			.transport(properties.getTransport())
			.maxConnections(properties.getMaxConnections())
			.maxPipes(properties.getMaxPipes())
			.pipeSize((int) properties.getPipeSize().toBytes())
			.inactivityTimeout(orZero(properties.getInactivityTimeout()))
			.activeTimeout(orZero(properties.getActiveTimeout()))
			.writeBufferWaterMarks((int) properties.getWriteBuffer().getLowWaterMark().toBytes(),
					(int) properties.getWriteBuffer().getHighWaterMark().toBytes())
			.shutdownTimeout(properties.getShutdown().getTimeout());
		Integer eventThreads = properties.getEventThreads();
		if (eventThreads != null) {
			builder.eventThreads(eventThreads);
		}
		listeners.orderedStream().forEach(builder::addListener);
		customizers.orderedStream().forEach((customizer) -> customizer.customize(builder));
		try {
			return builder.build();
		}
		catch (IllegalStateException ex) {
			if (properties.getTransport() == Transport.EPOLL) {
				throw new TransportUnavailableException(Transport.EPOLL, ex);
			}
			throw ex;
		}
	}

	@Bean
	@ConditionalOnMissingBean
	VConnRuntimeLifecycle vconnRuntimeLifecycle(VConnRuntime runtime) {
		return new VConnRuntimeLifecycle(runtime);
	}

	@Bean
	@ConditionalOnMissingBean
	VConnFactory vconnFactory(VConnRuntime runtime) {
		return runtime.factory();
	}

	@Bean
	@ConditionalOnMissingBean
	InterceptHookRegistry interceptHookRegistry(ListableBeanFactory beanFactory) {
		InterceptHookRegistry registry = new InterceptHookRegistry();
		for (String name : beanFactory.getBeanNamesForType(InterceptHook.class)) {
			InterceptHook hook = beanFactory.getBean(name, InterceptHook.class);
			registry.register(hook, orderOf(beanFactory, name, hook));
		}
		return registry;
	}

	// Opt-in: the listener binds a port.
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBooleanProperty("vconn.listener.enabled")
	static class InterceptListenerConfiguration {

		@Bean
		@ConditionalOnMissingBean({ InterceptListener.class, InterceptListenerLifecycle.class })
		InterceptListenerLifecycle interceptListenerLifecycle(VConnRuntime runtime, InterceptHookRegistry hooks,
				VConnProperties properties, ObjectProvider<WebServerOrigin> webServer,
				ObjectProvider<InterceptObserver> observers, ObjectProvider<VConnHandoff.Observer> handoffObservers,
				ApplicationContext context) {
			return new InterceptListenerLifecycle(runtime, hooks, properties.getListener(), () -> {
				WebServerOrigin origin = webServer.getIfAvailable();
				return (origin != null) ? origin.get() : null;
			}, () -> observers.orderedStream().toList(), properties.getHandoff(), properties.getShutdown().getTimeout(),
					() -> handoffObservers.orderedStream().toList(), () -> closeInTheBackground(context));
		}

		/** Closes the context on a thread of its own: the handoff thread that asks must not wait for itself. */
		private static void closeInTheBackground(ApplicationContext context) {
			if (context instanceof ConfigurableApplicationContext configurable) {
				Thread closing = new Thread(configurable::close, "vconn-handoff-close");
				closing.start();
			}
		}

		// The default origin is the application's web server, known once it has started.
		@Configuration(proxyBeanMethods = false)
		@ConditionalOnClass(name = "org.springframework.boot.web.server.context.WebServerInitializedEvent")
		static class WebServerOriginConfiguration {

			@Bean
			@ConditionalOnMissingBean(WebServerOrigin.class)
			WebServerOriginListener vconnWebServerOrigin(ApplicationContext context, Environment environment) {
				return new WebServerOriginListener(context, environment);
			}

		}

	}

	private static int orderOf(ListableBeanFactory beanFactory, String name, InterceptHook hook) {
		if (hook instanceof Ordered ordered) {
			return ordered.getOrder();
		}
		Order order = beanFactory.findAnnotationOnBean(name, Order.class);
		if (order != null) {
			return order.value();
		}
		Integer priority = OrderUtils.getPriority(hook.getClass());
		return (priority != null) ? priority : Ordered.LOWEST_PRECEDENCE;
	}

	private static Duration orZero(@Nullable Duration duration) {
		return (duration != null) ? duration : Duration.ZERO;
	}

}
