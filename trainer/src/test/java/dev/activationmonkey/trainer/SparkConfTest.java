package dev.activationmonkey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.trainer.spec.JobSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The context the trainer creates: spark-submit's master wins; loopback driver only in local mode. */
class SparkConfTest {
  private static final String JOB = """
      network:
        layers:
          - {type: output, size: 10}
      training: {master: "local[3]"}
      """;

  @AfterEach
  void clear() {
    System.clearProperty("spark.master");
  }

  @Test
  void withoutAMasterInSparksConfigurationTheSpecsMasterAppliesAndTheDriverStaysOnLoopback() {
    SparkConf conf = Trainer.sparkConf(JobSpec.parse(JOB, "job.yaml"), "r", null);
    assertEquals("local[3]", conf.get("spark.master"));
    assertEquals("127.0.0.1", conf.get("spark.driver.host"));
  }

  @Test
  void spark_submitsMasterWinsAndTheDriverAddressIsLeftToSpark() {
    System.setProperty("spark.master", "spark://10.0.0.5:7077"); // what spark-submit sets for --master
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SparkConf conf = Trainer.sparkConf(JobSpec.parse(JOB, "job.yaml"), "r", new PrintStream(out, true, StandardCharsets.UTF_8));
    assertEquals("spark://10.0.0.5:7077", conf.get("spark.master"));
    assertFalse(conf.contains("spark.driver.host"), "executors on other hosts must reach the driver");
    assertFalse(conf.contains("spark.driver.bindAddress"));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("local[3]) is ignored"), out.toString(StandardCharsets.UTF_8));
  }
}
