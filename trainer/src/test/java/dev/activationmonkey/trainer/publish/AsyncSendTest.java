package dev.activationmonkey.trainer.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.snapshot.RecordKeys;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.RunEnd;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records handed to {@link SnapshotProducer#sendAsync} with no broker to take them: the publishing thread spills
 * every one, {@code flush} returns only once each is counted, and the spill holds exactly those records, decodable.
 */
class AsyncSendTest {

  @Test
  void everyQueuedRecordIsCountedAfterFlushAndSpilledIntact(@TempDir Path spill) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    KafkaSettings settings = new KafkaSettings("127.0.0.1:" + port, "async-test", 200, 1_000, spill.toString(),
        64L << 20, 1_000, Map.of());
    int records = 300;
    DeliveryCounts counts = new DeliveryCounts();
    try (SnapshotProducer producer = new SnapshotProducer(settings,
        new KafkaProducer<>(SnapshotProducer.producerConfig(settings)))) {
      for (int i = 0; i < records; i++) {
        RunEnd end = RunEnd.newBuilder().setRunId("run-" + i).setTimestampMillis(java.time.Instant.ofEpochMilli(i))
            .setStatus(dev.activationmonkey.snapshot.avro.RunStatus.SUCCEEDED).setEpochs(1).setIterations(i)
            .setDurationMillis(i).setSnapshotsSent(0).setSnapshotsSpilled(0).setSnapshotsResent(0)
            .setSnapshotsDropped(0).build();
        producer.sendAsync(RecordKeys.run("run-" + i), end, counts);
      }
      producer.flush();
      DeliveryTotals totals = counts.totals();
      assertEquals(0, totals.sent());
      assertEquals(records, totals.spilled() + totals.dropped(), "every queued record is accounted for after flush");
      assertEquals(0, totals.dropped(), "64 MB of spill room is plenty");
      assertTrue(producer.hasSpilled());
    }
    List<Path> files;
    try (var stream = java.nio.file.Files.list(spill.resolve("async-test"))) {
      files = stream.filter(java.nio.file.Files::isRegularFile).toList();
    }
    long read = 0;
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (Path file : files) {
      for (SpillStore.Entry entry : SpillStore.read(file)) {
        RunEnd decoded = SnapshotCodec.INSTANCE.decode(entry.value(), RunEnd.class);
        ids.add(decoded.getRunId());
        read++;
      }
    }
    assertEquals(records, read);
    assertEquals(records, ids.size(), "each record spilled once");
  }

  /**
   * Kafka reports "no metadata within max.block.ms" through the send callback, from inside {@code send()}, not by
   * throwing. The producer must then bypass Kafka for a period, as it does for a thrown error: otherwise every record
   * of an outage blocks the publishing thread for max-block-ms.
   */
  @Test
  void aMetadataTimeoutReportedThroughTheCallbackBypassesKafkaForAPeriod(@TempDir Path spill) {
    KafkaSettings settings = new KafkaSettings("127.0.0.1:9", "bypass-test", 200, 1_000, spill.toString(), 64L << 20,
        1_000, Map.of());
    java.util.concurrent.atomic.AtomicInteger reachedKafka = new java.util.concurrent.atomic.AtomicInteger();
    org.apache.kafka.clients.producer.MockProducer<byte[], byte[]> unreachable =
        new org.apache.kafka.clients.producer.MockProducer<byte[], byte[]>(false, null,
            new org.apache.kafka.common.serialization.ByteArraySerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer()) {
          @Override
          public synchronized java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
              org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]> record,
              org.apache.kafka.clients.producer.Callback callback) {
            reachedKafka.incrementAndGet();
            var error = new org.apache.kafka.common.errors.TimeoutException("Topic not present in metadata after 200 ms.");
            callback.onCompletion(null, error); // what KafkaProducer.doSend does with an ApiException
            var future = new java.util.concurrent.CompletableFuture<org.apache.kafka.clients.producer.RecordMetadata>();
            future.completeExceptionally(error);
            return future;
          }
        };
    int records = 300;
    DeliveryCounts counts = new DeliveryCounts();
    try (SnapshotProducer producer = new SnapshotProducer(settings, unreachable)) {
      for (int i = 0; i < records; i++) {
        producer.send(RecordKeys.run("run-" + i), new byte[] {1, 2, 3}, counts);
      }
      producer.flush();
    }
    assertEquals(records, counts.totals().spilled(), "every record is spilled");
    assertTrue(reachedKafka.get() < records / 10,
        "after a timeout, records go to the spill without trying Kafka again; tried " + reachedKafka.get() + " times");
  }
}
