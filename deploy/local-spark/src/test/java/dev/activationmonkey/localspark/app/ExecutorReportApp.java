package dev.activationmonkey.localspark.app;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A tiny Spark application for LocalSparkIT, packed into a jar at test time and run through spark-submit: each task
 * reports the executor it ran on, that JVM's pid, its OMP_NUM_THREADS and whether it has the vector module; the main
 * then exits with the status given as its argument.
 */
public final class ExecutorReportApp {
  private ExecutorReportApp() {}

  public static void main(String[] args) throws Exception {
    JavaSparkContext sc = new JavaSparkContext(new SparkConf());
    List<String> reports;
    try {
      reports = sc.parallelize(IntStream.range(0, 8).boxed().toList(), 8).mapPartitions(ignored -> {
        Thread.sleep(300);
        boolean vector = ManagementFactory.getRuntimeMXBean().getInputArguments()
            .contains("--add-modules=jdk.incubator.vector");
        List<String> one = new ArrayList<>();
        one.add(SparkEnv.get().executorId() + "|" + ProcessHandle.current().pid() + "|"
            + System.getenv("OMP_NUM_THREADS") + "|" + vector);
        return one.iterator();
      }).collect();
    } finally {
      sc.stop();
    }
    System.out.println("master " + sc.master());
    System.out.println("executors " + String.join(",", new TreeSet<>(reports)));
    System.exit(Integer.parseInt(args[0]));
  }
}
