package dev.activationmonkey.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.activationmonkey.collector.deadletter.DeadLetterQueue;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Producing, reading the dataset back with DuckDB and reading the dead-letter topic, for the ITs. */
final class Fixtures {
  private Fixtures() {}

  /** Where a produced record landed, and the payload field the test checks in the dataset. */
  record Produced(int partition, long offset, String payload) {}

  static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("acks", "all");
    p.put("linger.ms", "5");
    p.put("batch.size", String.valueOf(256 * 1024));
    p.put("compression.type", "lz4");
    // The shared 2-core CI machines can starve the broker for a while: never let a send expire, or the
    // test could not know whether that record is in the topic.
    p.put("delivery.timeout.ms", "600000");
    p.put("request.timeout.ms", "120000");
    p.put("max.block.ms", "600000");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static RecordMetadata sendSync(KafkaProducer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record) throws Exception {
    return producer.send(record).get();
  }

  /** {@code (kafka_partition, kafka_offset) -> payload} of every row of the snapshots table, failing on duplicates. */
  static Map<String, String> readSnapshots(java.nio.file.Path root, String payloadSql) throws Exception {
    Map<String, String> rows = new HashMap<>();
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT kafka_partition, kafka_offset, " + payloadSql + " AS payload FROM read_parquet('"
          + root.resolve("snapshots") + "/**/*.parquet', hive_partitioning = true)");
      while (rs.next()) {
        String key = rs.getInt(1) + "/" + rs.getLong(2);
        String previous = rows.put(key, rs.getString(3));
        if (previous != null) {
          throw new AssertionError("duplicate row for partition/offset " + key);
        }
      }
    }
    return rows;
  }

  static Map<String, String> expected(List<Produced> produced) {
    Map<String, String> map = new HashMap<>();
    produced.forEach(p -> map.put(p.partition() + "/" + p.offset(), p.payload()));
    assertEquals(produced.size(), map.size(), "produced records have distinct offsets");
    return map;
  }

  /** Every record of a topic, from the beginning, until {@code expected} were read or the timeout passed. */
  static List<ConsumerRecord<byte[], byte[]>> readTopic(String bootstrap, String topic, int expected, Duration timeout) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "reader-" + UUID.randomUUID());
    p.put("auto.offset.reset", "earliest");
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (records.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      // a little longer, to see any surplus
      consumer.poll(Duration.ofMillis(500)).forEach(records::add);
    }
    return records;
  }

  static Map<String, String> headers(ConsumerRecord<byte[], byte[]> record) {
    return DeadLetterQueue.describe(record.headers());
  }
}
