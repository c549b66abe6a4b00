package dev.activationmonkey.cli;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The arrows between the modules, checked on the compiled main classes of every module (deploy sees them all): the
 * record format at the bottom; the trainer, the collector and analytics side by side, each on the format alone; the
 * local service launchers (a broker, a Spark cluster) used only by the benchmarks and the launcher; nothing below the
 * launcher knowing it. And no package cycle anywhere. A change that runs an arrow up the stack fails the build here.
 */
@AnalyzeClasses(packages = "dev.activationmonkey", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule modulesOnlyDependDownTheStack = layeredArchitecture().consideringOnlyDependenciesInLayers()
      .layer("format").definedBy("dev.activationmonkey.snapshot..", "dev.activationmonkey.errors..")
      .layer("local services").definedBy("dev.activationmonkey.localkafka..", "dev.activationmonkey.localspark..")
      .layer("trainer").definedBy("dev.activationmonkey.trainer..")
      .layer("collector").definedBy("dev.activationmonkey.collector..")
      .layer("analytics").definedBy("dev.activationmonkey.analytics..")
      .layer("benchmarks").definedBy("dev.activationmonkey.benchmarks..")
      .layer("launcher").definedBy("dev.activationmonkey.cli..")
      .whereLayer("launcher").mayNotBeAccessedByAnyLayer()
      .whereLayer("benchmarks").mayOnlyBeAccessedByLayers("launcher")
      .whereLayer("local services").mayOnlyBeAccessedByLayers("benchmarks", "launcher")
      .whereLayer("trainer").mayOnlyBeAccessedByLayers("benchmarks", "launcher")
      .whereLayer("collector").mayOnlyBeAccessedByLayers("benchmarks", "launcher")
      .whereLayer("analytics").mayOnlyBeAccessedByLayers("benchmarks", "launcher");

  @ArchTest
  static final ArchRule noPackageCycles = slices().matching("dev.activationmonkey.(**)").should().beFreeOfCycles();
}
