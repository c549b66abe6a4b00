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

  @Test
  void defaultOfEveryKey() {
    Map<String, String> expected = new java.util.LinkedHashMap<>();
    expected.put("topics", "monkey.snapshots");
    expected.put("group.id", "monkey-collector");
    expected.put("group.instance.id", "auto");
    expected.put("dataset.root", "monkey-data");
    expected.put("rotate.records", "1000000");
    expected.put("rotate.bytes", String.valueOf(128L << 20));
    expected.put("flush.idle.ms", "10000");
    expected.put("flush.max.age.ms", "300000");
    expected.put("max.open.files", "64");
    expected.put("buffer.memory.bytes", String.valueOf(256L << 20));
    expected.put("buffer.pool.bytes", String.valueOf(160L << 20));
    expected.put("parquet.row.group.bytes", String.valueOf(64L << 20));
    expected.put("parquet.zstd.level", "3");
    expected.put("dead.letter.topic", "");
    expected.put("status.interval.ms", "10000");
    expected.put("startup.timeout.ms", "30000");
    expected.put("decode.threads", String.valueOf(Math.min(3, Math.max(1, Runtime.getRuntime().availableProcessors() - 1))));
    assertEquals(expected, CollectorConfig.defaults());
    List<String> names = CollectorConfig.keys().stream().map(CollectorConfig.Key::name).toList();
    assertEquals("bootstrap.servers", names.get(0), "the one required key");
    assertEquals(expected.keySet(), new java.util.HashSet<>(names.subList(1, names.size())));
    assertEquals(dev.activationmonkey.snapshot.Topics.DEFAULT_SNAPSHOT_TOPIC, CollectorConfig.defaults().get("topics"));
  }

  @Test
  void explicitMappingOfEveryKeyByItsBuilderMethodAndByName() {
    CollectorConfig typed = CollectorConfig.builder()
        .bootstrapServers("a:1,b:2")
        .topics("x", "y")
        .groupId("g")
        .groupInstanceId("c-1")
        .datasetRoot("s3a://bucket/root")
        .rotateRecords(11)
        .rotateBytes(12)
        .flushIdle(Duration.ofMillis(13))
        .flushMaxAge(Duration.ofMillis(14))
        .maxOpenFiles(15)
        .bufferMemoryBytes(16)
        .bufferPoolBytes(17)
        .rowGroupBytes(18)
        .zstdLevel(19)
        .deadLetterTopic("dead")
        .statusInterval(Duration.ofMillis(20))
        .startupTimeout(Duration.ofMillis(21))
        .decodeThreads(0)
        .build();
    assertEquals("a:1,b:2", typed.bootstrapServers());
    assertEquals(List.of("x", "y"), typed.topics());
    assertEquals("g", typed.groupId());
    assertEquals("c-1", typed.groupInstanceId());
    assertEquals("s3a://bucket/root", typed.datasetRoot());
    assertEquals(11, typed.rotateRecords());
    assertEquals(12, typed.rotateBytes());
    assertEquals(Duration.ofMillis(13), typed.flushIdle());
    assertEquals(Duration.ofMillis(14), typed.flushMaxAge());
    assertEquals(15, typed.maxOpenFiles());
    assertEquals(16, typed.bufferMemoryBytes());
    assertEquals(17, typed.bufferPoolBytes());
    assertEquals(18, typed.rowGroupBytes());
    assertEquals(19, typed.zstdLevel());
    assertEquals("dead", typed.deadLetterTopic("x"));
    assertEquals(Duration.ofMillis(20), typed.statusInterval());
    assertEquals(Duration.ofMillis(21), typed.startupTimeout());
    assertEquals(0, typed.decodeThreads());

    Map<String, String> byName = new java.util.LinkedHashMap<>();
    byName.put("bootstrap.servers", "a:1,b:2");
    byName.put("topics", "x,y");
    byName.put("group.id", "g");
    byName.put("group.instance.id", "c-1");
    byName.put("dataset.root", "s3a://bucket/root");
    byName.put("rotate.records", "11");
    byName.put("rotate.bytes", "12");
    byName.put("flush.idle.ms", "13");
    byName.put("flush.max.age.ms", "14");
    byName.put("max.open.files", "15");
    byName.put("buffer.memory.bytes", "16");
    byName.put("buffer.pool.bytes", "17");
    byName.put("parquet.row.group.bytes", "18");
    byName.put("parquet.zstd.level", "19");
    byName.put("dead.letter.topic", "dead");
    byName.put("status.interval.ms", "20");
    byName.put("startup.timeout.ms", "21");
    byName.put("decode.threads", "0");
    assertEquals(CollectorConfig.keys().size(), byName.size(), "every key mapped");
    assertEquals(typed.values(), CollectorConfig.builder().setAll(byName).build().values());
    assertEquals(new java.util.TreeMap<>(byName), typed.values());
  }

  @Test
  void everyKeyHasABuilderMethod() {
    for (CollectorConfig.Key key : CollectorConfig.keys()) {
      String[] words = key.name().replaceFirst("^parquet\\.", "").replaceFirst("\\.ms$", "").split("\\.");
      StringBuilder method = new StringBuilder(words[0]);
      for (int i = 1; i < words.length; i++) {
        method.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
      }
      assertTrue(java.util.Arrays.stream(CollectorConfig.Builder.class.getMethods()).anyMatch(m -> m.getName().equals(method.toString())),
          "CollectorConfig.Builder." + method + "(...) for " + key.name());
    }
  }

  @Test
  void unknownKafkaPropertiesAreRejectedNamingTheKeyAndTheKnownOnes() {
    String message = failure(CollectorConfig.builder().bootstrapServers("b").set("kafka.sesion.timeout.ms", "6000"));
    assertTrue(message.contains("unknown Kafka client property 'kafka.sesion.timeout.ms'"), message);
    assertTrue(message.contains("session.timeout.ms"), "lists the known ones: " + message);
    assertTrue(message.contains("linger.ms") && message.contains("security.protocol"), message);
    assertFalse(message.contains("enable.auto.commit"), "managed properties are not offered: " + message);
    // Consumer, producer and admin properties all pass.
    CollectorConfig config = CollectorConfig.builder().bootstrapServers("b").set("kafka.session.timeout.ms", "6000")
        .set("kafka.linger.ms", "20").set("kafka.security.protocol", "SSL").build();
    assertEquals(Map.of("session.timeout.ms", "6000", "linger.ms", "20", "security.protocol", "SSL"), config.kafkaProperties());
    String unknown = failure(CollectorConfig.builder().bootstrapServers("b").set("rotate.recordz", "5"));
    assertTrue(unknown.contains("Known keys: bootstrap.servers, topics, group.id"), unknown);
  }
}
