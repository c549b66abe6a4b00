package dev.activationmonkey.trainer.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.junit.jupiter.api.Test;

class SpareCoresTest {

  private static int slots(String master, int processors, String... keyValues) {
    SparkConf conf = new SparkConf(false).set("spark.master", master);
    for (int i = 0; i < keyValues.length; i += 2) {
      conf.set(keyValues[i], keyValues[i + 1]);
    }
    return SpareCores.taskSlots(conf, processors);
  }

  @Test
  void localModeRunsAsManyTasksAsItsThreads() {
    assertEquals(1, slots("local", 8));
    assertEquals(2, slots("local[2]", 8));
    assertEquals(8, slots("local[*]", 8));
    assertEquals(3, slots("local[3, 4]", 8));
    assertEquals(2, slots("local[4]", 8, "spark.task.cpus", "2"));
  }

  @Test
  void anExecutorRunsItsCoresOverTaskCpusAndEveryCoreWithoutASetting() {
    assertEquals(16, slots("spark://host:7077", 16));
    assertEquals(4, slots("spark://host:7077", 16, "spark.executor.cores", "4"));
    assertEquals(2, slots("yarn", 16, "spark.executor.cores", "4", "spark.task.cpus", "2"));
  }

  @Test
  void outsideSparkOneThreadTrainsAndLeavesTheOtherCoresIdle() {
    assumeTrue(SparkEnv.get() == null, "no SparkContext in this JVM");
    assertEquals(Runtime.getRuntime().availableProcessors() > 1, SpareCores.inThisJvm());
  }
}
