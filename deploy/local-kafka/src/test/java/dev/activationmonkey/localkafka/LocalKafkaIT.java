package dev.activationmonkey.localkafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKafkaIT {
  @TempDir Path dir;

  @Test
  void startsIdempotentlyStopsAndKeepsDataAcrossRestart() throws Exception {
    LocalKafka broker = LocalKafka.builder().dataDir(dir).port(0).build();
    try {
      broker.start();
      long pid = broker.status().pid().orElseThrow();
      broker.start();
      assertEquals(pid, broker.status().pid().orElseThrow(), "a second start reuses the running broker");

      broker.createTopic("t", 2);
      produce(broker.bootstrapServers(), "t", List.of("a", "b", "c"));
      String bootstrap = broker.bootstrapServers();

      broker.stop();
      assertFalse(broker.isRunning());
      assertFalse(broker.status().running());
      assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the broker process ended");

      // Another handle on the same directory (as `monkey kafka start` in a new process) finds the same port and data.
      LocalKafka again = LocalKafka.builder().dataDir(dir).port(0).build().start();
      assertEquals(bootstrap, again.bootstrapServers());
      assertEquals(List.of("a", "b", "c"), consumeAll(again.bootstrapServers(), "t", 3));
    } finally {
      broker.stop();
    }
  }

  /**
   * A broker in a small heap starts: the log cleaner's dedupe buffer (Kafka's default is 128 MiB, allocated at start-up)
   * is sized to the heap. With the default, a 128 MiB heap fails at once with OutOfMemoryError.
   */
  @Test
  void startsAndServesInA128MiBHeap() throws Exception {
    LocalKafka broker = LocalKafka.builder().dataDir(dir.resolve("small")).port(0).heap("128m").build();
    try {
      broker.start();
      broker.createTopic("small", 1);
      produce(broker.bootstrapServers(), "small", List.of("a", "b"));
      assertEquals(List.of("a", "b"), consumeAll(broker.bootstrapServers(), "small", 2));
      assertEquals(16L << 20, LocalKafka.dedupeBufferBytes("128m"));
      assertEquals(128L << 20, LocalKafka.dedupeBufferBytes("2g"));
      assertEquals(4L << 20, LocalKafka.dedupeBufferBytes("16384k"));
    } finally {
      broker.stop();
    }
  }

  @Test
  void stopLeavesForeignProcessesAlone() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "60").start();
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("broker.pid"), Long.toString(sleeper.pid()));
      LocalKafka broker = LocalKafka.builder().dataDir(dir).build();
      assertFalse(broker.status().running(), "a pid file pointing at a non-broker process is not a running broker");
      broker.stop();
      assertTrue(sleeper.isAlive(), "stop killed a process it did not start");
    } finally {
      sleeper.destroyForcibly();
    }
  }

  @Test
  void missingBrokerJarsNameTheDirectoryAndTheFix() {
    LocalKafka broker = LocalKafka.builder().dataDir(dir).libDir(dir.resolve("nowhere")).build();
    InvalidInputException e = assertThrows(InvalidInputException.class, broker::start);
    assertTrue(e.getMessage().contains("nowhere"), e.getMessage());
    assertTrue(e.getMessage().contains("mvn -pl deploy/local-kafka"), e.getMessage());
  }

  @Test
  void sharedFixtureServesProduceAndConsume() {
    KafkaBroker broker = KafkaFixture.shared();
    broker.createTopic("fixture", 1);
    produce(broker.bootstrapServers(), "fixture", List.of("x"));
    assertEquals(List.of("x"), consumeAll(broker.bootstrapServers(), "fixture", 1));
  }

  /**
   * A topic is writable the moment createTopic returns: a producer that never retries writes every partition at once.
   * (A produce request that reaches a new partition before the broker has opened it fails; an idempotent producer can
   * then lose the batch for good, see {@link Topics}.)
   */
  @Test
  void createdTopicsAreWritableAtOnceByAProducerThatNeverRetries() throws Exception {
    KafkaBroker broker = KafkaFixture.shared();
    Map<String, Object> config = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
        ProducerConfig.ACKS_CONFIG, "1",
        ProducerConfig.RETRIES_CONFIG, 0);
    for (int round = 0; round < 5; round++) {
      String topic = "ready-" + round;
      int partitions = 8;
      broker.createTopic(topic, partitions);
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int partition = 0; partition < partitions; partition++) {
          sent.add(producer.send(new ProducerRecord<>(topic, partition, "key", "value")));
        }
        for (Future<RecordMetadata> ack : sent) {
          assertEquals(0, ack.get(30, TimeUnit.SECONDS).offset()); // NOT_LEADER_OR_FOLLOWER would throw here
        }
      }
    }
  }

  static void produce(String bootstrap, String topic, List<String> values) {
    Map<String, Object> config = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG, false);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
      for (String value : values) {
        producer.send(new ProducerRecord<>(topic, "key", value));
      }
      producer.flush();
    }
  }

  static List<String> consumeAll(String bootstrap, String topic, int expected) {
    Map<String, Object> config = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "test-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      while (values.size() < expected && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          values.add(record.value());
        }
      }
    }
    return values;
  }
}
