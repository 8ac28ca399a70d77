package dev.vconn.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * Marks a test class that compares the process's open descriptors before and after its work.
 * Such a count sees every descriptor of the JVM, so a socket another class left to close late
 * would read as one this class lost: the build runs each marked class in a JVM of its own
 * (surefire execution {@code process-fds} in {@code core/pom.xml}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(CountsProcessFds.TAG)
public @interface CountsProcessFds {

	/** The JUnit tag the build selects these classes by. */
	String TAG = "process-fds";

}
