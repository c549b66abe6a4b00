package dev.activationmonkey.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectorConfigTest {
  @TempDir Path dir;

  @Test
  void defaults() {
    CollectorConfig config = CollectorConfig.builder().bootstrapServers("b:9092").build();
    assertEquals("b:9092", config.bootstrapServers());
    assertEquals(List.of("monkey.snapshots"), config.topics());
    assertEquals("monkey-collector", config.groupId());
    assertEquals("monkey-data", config.datasetRoot());
    assertEquals(Duration.ofSeconds(10), config.flushIdle());
    assertEquals(1_000_000, config.rotateRecords());
    assertEquals(128L << 20, config.rotateBytes());
    assertEquals(64, config.maxOpenFiles());
    assertEquals(160L << 20, config.bufferPoolBytes());
    assertEquals(0, CollectorConfig.builder().bootstrapServers("b").set("buffer.pool.bytes", "0").build().bufferPoolBytes());
    assertEquals("monkey.snapshots.dlq", config.deadLetterTopic("monkey.snapshots"));
    assertEquals(Duration.ofSeconds(10), config.statusInterval());
    assertTrue(config.kafkaProperties().isEmpty());
  }

  @Test
  void yamlFileWithNestedKeysThenFlagsOverride() throws Exception {
    Path file = dir.resolve("collector.yaml");
    Files.writeString(file, """
        bootstrap.servers: file:9092
        topics: [a, b]
        rotate:
          records: 5000
        kafka:
          security.protocol: SASL_SSL
          sasl.jaas.config: secret-stuff
        hadoop:
          fs.s3a.endpoint: http://minio:9000
        dead.letter.topic: bad
        """);
    CollectorConfig config = CollectorConfig.builder().file(file).set("rotate.records", "7000").build();
    assertEquals("file:9092", config.bootstrapServers());
    assertEquals(List.of("a", "b"), config.topics());
    assertEquals(7000, config.rotateRecords());
    assertEquals(Map.of("security.protocol", "SASL_SSL", "sasl.jaas.config", "secret-stuff"), config.kafkaProperties());
    assertEquals(Map.of("fs.s3a.endpoint", "http://minio:9000"), config.hadoopProperties());
    assertEquals("bad", config.deadLetterTopic("a"));
    assertFalse(config.toString().contains("secret-stuff"), "secrets never printed: " + config);
  }

  @Test
  void propertiesFile() throws Exception {
    Path file = dir.resolve("collector.properties");
    Files.writeString(file, "bootstrap.servers=p:9092\nflush.idle.ms=2500\n");
    CollectorConfig config = CollectorConfig.builder().file(file).build();
    assertEquals(Duration.ofMillis(2500), config.flushIdle());
  }

  private static String failure(CollectorConfig.Builder builder) {
    InvalidInputException e = assertThrows(InvalidInputException.class, builder::build);
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    return e.getMessage();
  }

  @Test
  void invalidValuesNameTheirKey() {
    assertTrue(failure(CollectorConfig.builder()).contains("bootstrap.servers is required"));
    assertTrue(failure(CollectorConfig.builder().bootstrapServers("b").set("rotate.records", "lots")).contains("rotate.records must be a whole number"));
    assertTrue(failure(CollectorConfig.builder().bootstrapServers("b").set("max.open.files", "0")).contains("max.open.files must be positive"));
    assertTrue(failure(CollectorConfig.builder().bootstrapServers("b").set("topics", "ok,not ok")).contains("'not ok' is not a legal Kafka topic"));
    assertTrue(failure(CollectorConfig.builder().bootstrapServers("b").set("buffer.pool.bytes", "-1")).contains("buffer.pool.bytes must be positive (or 0: no reuse), got -1"));
    assertTrue(failure(CollectorConfig.builder().bootstrapServers("b").set("parquet.zstd.level", "23")).contains("parquet.zstd.level"));
    assertTrue(failure(CollectorConfig.builder().bootstrapServers("b").set("rotate.recordz", "5")).contains("unknown configuration key 'rotate.recordz'"));
    assertTrue(failure(CollectorConfig.builder().bootstrapServers("b").set("kafka.enable.auto.commit", "true")).contains("kafka.enable.auto.commit cannot be set"));
    assertTrue(failure(CollectorConfig.builder().bootstrapServers("b").topics("t").deadLetterTopic("t")).contains("dead.letter.topic"));
  }

  @Test
  void missingOrBrokenFilesAreInvalidInput() throws Exception {
    assertTrue(assertThrows(InvalidInputException.class, () -> CollectorConfig.builder().file(dir.resolve("nope.yaml")))
        .getMessage().contains("does not exist"));
    Path broken = dir.resolve("broken.yaml");
    Files.writeString(broken, "- just\n- a list\n");
    assertTrue(assertThrows(InvalidInputException.class, () -> CollectorConfig.builder().file(broken)).getMessage().contains("expected a map"));
  }
}
