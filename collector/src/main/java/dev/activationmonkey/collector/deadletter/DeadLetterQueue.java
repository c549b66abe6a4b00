package dev.activationmonkey.collector.deadletter;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.collector.ingest.Rejection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Sends records the collector cannot write to a dead-letter topic: the original key, value and
 * headers, plus headers saying why and where from. Sends are asynchronous; {@link #flush()} is
 * called before the batch that covers their offsets is committed, so a dead letter is never lost
 * (it may be sent twice if the collector dies between the send and the commit).
 */
public final class DeadLetterQueue implements AutoCloseable {
  /** Header names, the same on every dead letter. */
  public static final String REASON = "monkey.dlq.reason";
  public static final String MESSAGE = "monkey.dlq.message";
  public static final String TOPIC = "monkey.dlq.topic";
  public static final String PARTITION = "monkey.dlq.partition";
  public static final String OFFSET = "monkey.dlq.offset";
  public static final String TIMESTAMP = "monkey.dlq.timestamp";

  private static final int MAX_MESSAGE_BYTES = 4096;

  private final Producer<byte[], byte[]> producer;
  private final Function<String, String> topicFor;
  private final AtomicReference<Exception> failure = new AtomicReference<>();

  public DeadLetterQueue(Producer<byte[], byte[]> producer, Function<String, String> topicFor) {
    this.producer = requireNonNull(producer, "producer is null");
    this.topicFor = requireNonNull(topicFor, "topicFor is null");
  }

  public void send(ConsumerRecord<byte[], ByteBuffer> record, Rejection rejection) {
    RecordHeaders headers = new RecordHeaders();
    for (Header header : record.headers()) {
      headers.add(header);
    }
    headers.add(REASON, utf8(rejection.reason()));
    String message = rejection.message();
    byte[] messageBytes = utf8(message);
    if (messageBytes.length > MAX_MESSAGE_BYTES) {
      messageBytes = utf8(message.substring(0, Math.min(message.length(), MAX_MESSAGE_BYTES / 4)) + "...");
    }
    headers.add(MESSAGE, messageBytes);
    headers.add(TOPIC, utf8(record.topic()));
    headers.add(PARTITION, utf8(String.valueOf(record.partition())));
    headers.add(OFFSET, utf8(String.valueOf(record.offset())));
    headers.add(TIMESTAMP, utf8(String.valueOf(record.timestamp())));
    producer.send(
        new ProducerRecord<>(topicFor.apply(record.topic()), null, null, record.key(), bytes(record.value()), headers),
        (metadata, exception) -> {
          if (exception != null) {
            failure.compareAndSet(null, exception);
          }
        });
  }

  /** Waits until every dead letter sent so far is acknowledged; fails if any could not be written. */
  public void flush() throws IOException {
    producer.flush();
    Exception e = failure.get();
    if (e != null) {
      throw new IOException("could not write to the dead-letter topic: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    producer.close(java.time.Duration.ofSeconds(10));
  }

  /** The headers of a dead letter as strings, for readers of the dead-letter topic. */
  public static Map<String, String> describe(Iterable<Header> headers) {
    Map<String, String> result = new java.util.TreeMap<>();
    for (Header header : headers) {
      if (header.key().startsWith("monkey.dlq.")) {
        result.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
      }
    }
    return result;
  }

  /** A copy of the value's bytes, leaving the buffer (shared with the decoder) untouched. */
  private static byte[] bytes(ByteBuffer value) {
    if (value == null) {
      return null;
    }
    byte[] copy = new byte[value.remaining()];
    value.duplicate().get(copy);
    return copy;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
