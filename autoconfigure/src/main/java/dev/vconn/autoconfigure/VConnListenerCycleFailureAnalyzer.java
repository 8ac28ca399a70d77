package dev.vconn.autoconfigure;

import dev.vconn.VConnFactory;
import dev.vconn.VConnListener;
import dev.vconn.VConnRuntime;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.BeanCurrentlyInCreationException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;

/**
 * Explains the cycle a {@link VConnListener} bean forms when it depends on the
 * {@link VConnFactory} or {@link VConnRuntime} bean, which needs every listener bean to be built
 * first, and names the way out: {@code ObjectProvider}. Ordered ahead of Spring Boot's generic
 * analysis of circular references, whose advice does not fit this case.
 */
class VConnListenerCycleFailureAnalyzer extends AbstractFailureAnalyzer<BeanCurrentlyInCreationException>
		implements Ordered {

	private final @Nullable ListableBeanFactory beanFactory;

	VConnListenerCycleFailureAnalyzer(BeanFactory beanFactory) {
		this.beanFactory = (beanFactory instanceof ListableBeanFactory listable) ? listable : null;
	}

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, BeanCurrentlyInCreationException cause) {
		String listener = null;
		String runtime = null;
		for (Throwable t = rootFailure; t != null; t = (t.getCause() != t) ? t.getCause() : null) {
			if (t instanceof BeanCreationException creation) {
				String name = creation.getBeanName();
				if (listener == null && isOfType(name, VConnListener.class)) {
					listener = name;
				}
				if (runtime == null && (isOfType(name, VConnRuntime.class) || isOfType(name, VConnFactory.class))) {
					runtime = name;
				}
			}
		}
		if (listener == null || runtime == null) {
			return null;
		}
		String description = String.format("The VConnListener bean '%s' depends on VConn's runtime or factory "
				+ "('%s', directly or through other beans), but the runtime is built with every VConnListener "
				+ "bean, so the beans form a cycle.", listener, runtime);
		String action = String.format("In '%s', inject ObjectProvider<VConnFactory> (or ObjectProvider<VConnRuntime>) "
				+ "instead, and call getObject() when the factory is first needed (in an event, not in the "
				+ "constructor). Or move the code that uses the factory out of the listener into a bean of its own "
				+ "that the listener does not depend on.", listener);
		return new FailureAnalysis(description, action, cause);
	}

	private boolean isOfType(@Nullable String beanName, Class<?> type) {
		if (beanName == null || this.beanFactory == null || !this.beanFactory.containsBean(beanName)) {
			return false;
		}
		return this.beanFactory.isTypeMatch(beanName, type);
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
