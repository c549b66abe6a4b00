package dev.activationmonkey.cli;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.localspark.LocalSpark;
import dev.activationmonkey.benchmarks.trainer.ScalingBenchmark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** {@code monkey bench scaling --cluster}: a local standalone cluster ({@link LocalSpark}) for the Spark arms. */
final class BenchCluster implements ScalingBenchmark.Cluster {
  private final LocalSpark spark;
  private final Path jar;

  private BenchCluster(LocalSpark spark, Path jar) {
    this.spark = spark;
    this.jar = jar;
  }

  static BenchCluster start(int workers) {
    String property = System.getProperty(DemoCommand.SPARK_JAR_PROPERTY);
    Path jar = property != null ? Path.of(property)
        : Path.of(System.getProperty("monkey.home", ".")).resolve("deploy/target/spark-app/trainer-spark.jar");
    if (!Files.isRegularFile(jar)) {
      throw new InvalidInputException("--cluster: the trainer's spark-submit jar " + jar + " does not exist; build it "
          + "with `mvn -B -pl deploy -am package -DskipTests` (./monkey bench scaling --cluster does)");
    }
    LocalSpark spark = LocalSpark.builder().stateDir(StateDirectory.root().resolve("bench-spark")).workers(workers)
        .build().start();
    return new BenchCluster(spark, jar);
  }

  @Override
  public String masterUrl() {
    return spark.masterUrl();
  }

  @Override
  public Map<String, String> sparkConf() {
    Map<String, String> conf = spark.clientConf();
    conf.put("spark.jars", jar.toAbsolutePath().toUri().toString());
    return conf;
  }

  @Override
  public void close() {
    spark.stop();
  }
}
