package dev.vconn.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs every test of the class once per {@link TransportMode} whose tunnels behave differently
 * from the others' where no tunnel is made: epoll (splicing allowed, as configured by default) and
 * NIO. The class takes the mode in a field annotated {@link org.junit.jupiter.params.Parameter}.
 * Suites that make tunnels use all three modes: {@code @EnumSource(TransportMode.class)}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ParameterizedClass(name = "{0}")
@EnumSource(value = TransportMode.class, names = { "EPOLL_SPLICE", "NIO" })
public @interface OnEachTransport {

}
