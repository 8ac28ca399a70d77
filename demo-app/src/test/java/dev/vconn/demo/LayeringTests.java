package dev.vconn.demo;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import dev.vconn.Continuation;
import dev.vconn.Tunnel;
import dev.vconn.VConnPair;
import dev.vconn.VConnReceiver;
import dev.vconn.VConnRuntime;
import dev.vconn.VConnSender;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.VConnHandoff;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The arrows between VConn's packages, checked on the compiled main classes of every module (this module's test classpath is the only one that holds
 * them all): the public API on top, the intercept layer above the engine, {@code internal} used
 * only inside core, core free of Spring and Micrometer, no package cycles.
 */
@AnalyzeClasses(packages = "dev.vconn", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTests {

	/** The packages of {@code vconn-core}. */
	private static final String[] CORE = { "dev.vconn", "dev.vconn.intercept..", "dev.vconn.metrics..",
			"dev.vconn.internal.." };

	@ArchTest
	static final ArchRule coreIsFreeOfSpringAndMicrometer = noClasses().that()
		.resideInAnyPackage(CORE)
		.should()
		.dependOnClassesThat()
		.resideInAnyPackage("org.springframework..", "io.micrometer..")
		.because("vconn-core is the Spring-free engine; Micrometer binds to it from the starter");

	@ArchTest
	static final ArchRule theCorePackageDoesNotKnowTheInterceptLayer = noClasses().that()
		.resideInAPackage("dev.vconn")
		.should()
		.dependOnClassesThat()
		.resideInAnyPackage("dev.vconn.intercept..", "dev.vconn.metrics..")
		.because("the HTTP intercept layer and the statistics sit above the engine");

	@ArchTest
	static final ArchRule internalIsUsedOnlyInsideCore = noClasses().that()
		.resideInAnyPackage("dev.vconn.autoconfigure..", "dev.vconn.demo..")
		.should()
		.dependOnClassesThat()
		.resideInAPackage("dev.vconn.internal..")
		.because("code in internal packages may change in any release");

	@ArchTest
	static final ArchRule publicApiExposesNoInternalType = classes().that()
		.arePublic()
		.and()
		.resideOutsideOfPackage("dev.vconn.internal..")
		.should(exposeNoInternalTypeInPublicSignatures());

	/**
	 * No cycles between any two packages of {@code dev.vconn}, with two kinds of arrows left out
	 * until the engine is restructured further; every other arrow, a new one included, is checked.
	 * <ul>
	 * <li>The public facades build their engines: {@code VConnRuntime} and {@code Continuation}
	 * reach {@code internal.runtime}, {@code VConnPair} {@code internal.pair}, {@code Tunnel}
	 * {@code internal.tunnel}, {@code InterceptListener} {@code internal.http} and
	 * {@code internal.runtime}, {@code VConnHandoff} {@code internal.handoff}, {@code internal.http} and
	 * {@code internal.net} (the listener's socket and connections it hands over or takes),
	 * {@code VConnSender} and {@code VConnReceiver} {@code internal.handoff}, {@code internal.net} and
	 * {@code internal.runtime} (the VConns they send and adopt), while those packages implement the public types
	 * ({@code dev.vconn ⇄ internal.*}, {@code intercept ⇄ internal.http}).</li>
	 * <li>{@code internal.runtime → internal.net}: {@code RuntimeCore} creates the
	 * {@code NetVConnFactory}, takes its loop factory from {@code EpollRegistrations}, closes owned
	 * descriptors with {@code LibC} and reads {@code NetVConn.source()}, while {@code internal.net}
	 * uses the runtime's slots, gate, loops and listener.</li>
	 * </ul>
	 */
	@ArchTest
	static final ArchRule packagesAreFreeOfCycles = slices().assignedFrom(eachPackage())
		.should()
		.beFreeOfCycles()
		.ignoreDependency(belongToAnyOf(VConnRuntime.class, Continuation.class, VConnPair.class, Tunnel.class,
				InterceptListener.class, VConnHandoff.class, VConnSender.class, VConnReceiver.class),
				resideInAPackage("dev.vconn.internal.."))
		.ignoreDependency(resideInAPackage("dev.vconn.internal.runtime"), resideInAPackage("dev.vconn.internal.net"));

	/** Every package of {@code dev.vconn}, the root included, is a slice of its own. */
	private static SliceAssignment eachPackage() {
		return new SliceAssignment() {

			@Override
			public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
				String name = javaClass.getPackageName();
				return (name.equals("dev.vconn") || name.startsWith("dev.vconn.")) ? SliceIdentifier.of(name)
						: SliceIdentifier.ignore();
			}

			@Override
			public String getDescription() {
				return "each package of dev.vconn";
			}

		};
	}

	private static ArchCondition<JavaClass> exposeNoInternalTypeInPublicSignatures() {
		return new ArchCondition<>("expose no type of an internal package in a public or protected signature") {

			@Override
			public void check(JavaClass javaClass, ConditionEvents events) {
				check(javaClass, javaClass.getRawSuperclass().map(Set::of).orElse(Set.of()), "superclass", events);
				check(javaClass, javaClass.getRawInterfaces(), "interface", events);
				for (JavaMember member : javaClass.getMembers()) {
					if (!isVisible(member)) {
						continue;
					}
					if (member instanceof JavaField field) {
						check(javaClass, field.getType().getAllInvolvedRawTypes(), field.getFullName(), events);
					}
					else if (member instanceof JavaCodeUnit codeUnit) {
						check(javaClass, codeUnit.getReturnType().getAllInvolvedRawTypes(), codeUnit.getFullName(), events);
						for (JavaType parameter : codeUnit.getParameterTypes()) {
							check(javaClass, parameter.getAllInvolvedRawTypes(), codeUnit.getFullName(), events);
						}
					}
				}
			}

			private void check(JavaClass owner, Collection<JavaClass> types, String where, ConditionEvents events) {
				Set<String> internal = types.stream()
					.filter(isInternal())
					.map(JavaClass::getName)
					.collect(Collectors.toCollection(TreeSet::new));
				if (!internal.isEmpty()) {
					events.add(SimpleConditionEvent.violated(owner, where + " exposes " + internal));
				}
			}

		};
	}

	private static boolean isVisible(JavaMember member) {
		return member.getModifiers().contains(JavaModifier.PUBLIC)
				|| member.getModifiers().contains(JavaModifier.PROTECTED);
	}

	private static DescribedPredicate<JavaClass> isInternal() {
		return DescribedPredicate.describe("in an internal package",
				(type) -> type.getPackageName().startsWith("dev.vconn.internal"));
	}

}
