package dev.activationmonkey.trainer.publish;

import dev.activationmonkey.snapshot.SnapshotCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The one idempotent Kafka producer of an executor JVM for a topic, shared by every task and thread, with a
 * local spill directory behind it. Training threads never wait longer than {@code maxBlockMillis} in
 * {@link #send}: a record the producer cannot take, or that it fails to deliver within the delivery timeout,
 * is appended to the spill directory and re-sent by {@link #resendSpilled} once the broker answers again.
 * After a send that blocked and failed, the producer is bypassed (records go straight to the spill) for the
 * same period, so that a broker outage costs training at most one blocked send per period.
 *
 * <p>{@link #sendAsync} takes work off the training thread: a hand-off (one record, or a {@link Deferred} that makes
 * a callback's records, statistics included, when the publishing thread reaches it) is queued (bounded,
 * {@value #QUEUE_CAPACITY} hand-offs) and one publishing thread per producer makes, encodes and sends the records in
 * queue order. A training thread waits at most {@code maxBlockMillis} for room in the queue; if there is none by then,
 * it makes and encodes the records itself and spills them (counted), so training never waits on a slow broker for
 * longer than that. {@link #flush} first waits until every hand-off queued before the call has been handed to Kafka,
 * then flushes Kafka, so counts read after it are complete.
 *
 * <p>Get instances with {@link #forSettings}; they are flushed and closed at JVM shutdown.
 */
public final class SnapshotProducer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SnapshotProducer.class.getName());
  private static final Map<KafkaSettings, SnapshotProducer> INSTANCES = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(SnapshotProducer::closeAll, "activation-monkey-producer-shutdown"));
  }

  private final KafkaSettings settings;
  private final Producer<byte[], byte[]> producer;
  private final SpillStore spill;
  private final Object resendLock = new Object();
  private final AtomicInteger dropWarnings = new AtomicInteger();
  private volatile long bypassUntilNanos;
  private volatile boolean lastSendFailed;

  /**
   * Hand-offs queued for the publishing thread, each one listener callback's snapshots (finished records, or array
   * copies whose records it makes): seconds of the heaviest logging.
   */
  static final int QUEUE_CAPACITY = 4096;
  private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  /** Records accepted by {@link #sendAsync}, and records fully handled (given to Kafka, spilled or dropped). */
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong handled = new AtomicLong();
  private final Object publisherLock = new Object();
  private volatile Thread publisher;
  private volatile boolean closing;

  private record Pending(byte[] key, Deferred records, DeliveryCounts counts) {}

  /**
   * Records made on the publishing thread when it reaches them, e.g. statistics of arrays the training thread copied:
   * the work leaves the training thread, and the records keep their place in the queue's order.
   */
  @FunctionalInterface
  public interface Deferred {
    /** The records, all sent with the key they were queued with; called once, on one thread. */
    List<? extends SpecificRecordBase> records();
  }

  /** The shared producer of this JVM for these settings, created on first use. */
  public static SnapshotProducer forSettings(KafkaSettings settings) {
    return INSTANCES.computeIfAbsent(settings, s -> new SnapshotProducer(s, new KafkaProducer<>(producerConfig(s))));
  }

  SnapshotProducer(KafkaSettings settings, Producer<byte[], byte[]> producer) {
    this.settings = settings;
    this.producer = producer;
    this.spill = new SpillStore(
        Path.of(settings.spillDirectory()).resolve(settings.topic().replaceAll("[^A-Za-z0-9._-]", "_")),
        settings.spillMaxBytes());
  }

  /** The producer configuration: safe defaults first, then the user's properties unchanged. */
  static final int LINGER_MS = 5;

  static Properties producerConfig(KafkaSettings s) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    // Snapshots are float-heavy and repetitive; lz4 compresses them well at the lowest CPU cost.
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(LINGER_MS));
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(s.maxBlockMillis()));
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(s.deliveryTimeoutMillis()));
    // Kafka requires delivery.timeout.ms >= linger.ms + request.timeout.ms.
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
        String.valueOf(Math.min(30_000, s.deliveryTimeoutMillis() - LINGER_MS)));
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "activation-monkey-" + ProcessHandle.current().pid());
    p.putAll(s.properties());
    return p;
  }

  /** Whether {@link #close} ran (then {@link #forSettings} hands out a new producer). */
  public boolean isClosed() {
    return closing;
  }

  public KafkaSettings settings() {
    return settings;
  }

  public Path spillDirectory() {
    return spill.directory();
  }

  /**
   * Queues a record to be encoded and sent by this producer's publishing thread; the outcome is counted in
   * {@code counts}. Waits at most {@code maxBlockMillis} for room in the queue, then spills the record itself.
   */
  public void sendAsync(byte[] key, SpecificRecordBase record, DeliveryCounts counts) {
    sendAsync(key, () -> List.of(record), counts);
  }

  /**
   * Queues records to be made (see {@link Deferred}), encoded and sent by the publishing thread, all with
   * {@code key}; like {@link #sendAsync(byte[], SpecificRecordBase, DeliveryCounts)} otherwise. If the queue has no
   * room within {@code maxBlockMillis}, they are made here and spilled.
   */
  public void sendAsync(byte[] key, Deferred records, DeliveryCounts counts) {
    Pending pending = new Pending(key, records, counts);
    accepted.incrementAndGet();
    startPublisher();
    boolean queued = queue.offer(pending);
    if (!queued) {
      try {
        queued = queue.offer(pending, settings.maxBlockMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (queued && closing) {
      awaitQueued(); // close() drained the queue already: handle what came after it here (copies go back to their pool)
    }
    if (!queued) {
      // The publisher cannot keep up (or is gone): keep the records on disk rather than stall training.
      try {
        for (SpecificRecordBase record : make(pending)) {
          spill(key, SnapshotCodec.INSTANCE.encode(record), counts, null);
        }
      } finally {
        handled.incrementAndGet();
      }
    }
  }

  private void startPublisher() {
    Thread current = publisher;
    if (current == null || !current.isAlive()) {
      synchronized (publisherLock) {
        if ((publisher == null || !publisher.isAlive()) && !closing) {
          Thread t = new Thread(this::publish, "activation-monkey-publisher-" + settings.topic());
          t.setDaemon(true); // drained by task ends and the shutdown hook; never the reason a JVM stays up
          t.start();
          publisher = t;
        }
      }
    }
  }

  /**
   * Polls instead of blocking in {@code take()}: a blocked consumer makes every {@code offer} signal it (a futex
   * wake-up and, on a busy executor, a context switch on the training thread's core, measured at tens of µs per
   * snapshot under load). Polling with a backoff from 1 ms to 50 ms when idle costs the training thread nothing and
   * delays a record by at most a few ms while logging.
   */
  private void publish() {
    awaitMetadata();
    long idleNanos = 1_000_000L;
    while (true) {
      Pending p = queue.poll();
      if (p != null) {
        handle(p);
        idleNanos = 1_000_000L;
        continue;
      }
      if (closing) {
        return; // close() drains what is left
      }
      LockSupport.parkNanos(idleNanos);
      Thread.interrupted(); // close() interrupts to end the park early
      idleNanos = Math.min(50_000_000L, idleNanos * 2);
    }
  }

  /**
   * A new producer's first metadata request: in a fresh executor JVM on a busy machine it can take longer than
   * {@code max-block-ms} (class loading, the connection, the broker's answer), and a record sent before it arrives
   * would be spilled and the producer bypassed for a period (found: 4 steps' snapshots spilled on a 2-core machine
   * starting two executors). Only this thread waits, up to the delivery timeout, and only while the queue has room
   * for half its capacity, so training never notices; a broker that is truly away ends the wait and sends spill.
   */
  private void awaitMetadata() {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.deliveryTimeoutMillis());
    while (!closing && System.nanoTime() < deadline && queue.size() < QUEUE_CAPACITY / 2) {
      try {
        producer.partitionsFor(settings.topic());
        return;
      } catch (TimeoutException slow) {
        // Not yet: ask again (each attempt waits max-block-ms).
      } catch (KafkaException | IllegalStateException other) {
        return; // authorization, a closed producer, an interrupt: the sends will report it
      }
    }
  }

  private void handle(Pending p) {
    try {
      for (SpecificRecordBase record : make(p)) {
        try {
          send(p.key(), SnapshotCodec.INSTANCE.encode(record), p.counts());
        } catch (RuntimeException e) {
          drop(p.counts(), "it could not be encoded", e);
        }
      }
    } finally {
      handled.incrementAndGet();
    }
  }

  /**
   * The pending records, or none (one drop counted and logged) if making them failed; an {@code Error} too (JavaCPP's
   * native-memory limit is an {@code OutOfMemoryError}) must not end the publishing thread.
   */
  private List<? extends SpecificRecordBase> make(Pending p) {
    try {
      return p.records().records();
    } catch (RuntimeException | Error e) {
      drop(p.counts(), "its statistics could not be computed", e);
      return List.of();
    }
  }

  /** Waits until every record accepted before the call is given to Kafka, spilled or dropped. */
  private void awaitQueued() {
    long target = accepted.get();
    Thread woken = publisher;
    if (woken != null && handled.get() < target) {
      LockSupport.unpark(woken); // it may be parked in its idle backoff (up to 50 ms): a flush should not wait for that
    }
    while (handled.get() < target) {
      Thread t = publisher;
      if (t == null || !t.isAlive()) {
        Pending p = queue.poll(); // no publishing thread (closed): drain here
        if (p != null) {
          handle(p);
        } else {
          LockSupport.parkNanos(100_000); // a sendAsync between accepting and spilling
        }
        continue;
      }
      LockSupport.parkNanos(100_000);
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Sends a record; the outcome is counted in {@code counts} when known (acknowledged, spilled or dropped).
   * Blocks at most {@code maxBlockMillis}.
   */
  public void send(byte[] key, byte[] value, DeliveryCounts counts) {
    if (System.nanoTime() < bypassUntilNanos) {
      spill(key, value, counts, null);
      return;
    }
    try {
      producer.send(new ProducerRecord<>(settings.topic(), key, value), (metadata, error) -> {
        if (error == null) {
          lastSendFailed = false;
          counts.acknowledged(false);
        } else {
          failed(key, value, counts, error);
        }
      });
    } catch (KafkaException e) {
      // Thrown from send() itself: metadata not available within max.block.ms, buffer full, or closed.
      bypass();
      failed(key, value, counts, e);
    } catch (IllegalStateException closed) {
      failed(key, value, counts, closed);
    }
  }

  /** Sends go straight to the spill for the next max(1 s, max-block-ms): one blocked send per period of an outage. */
  private void bypass() {
    bypassUntilNanos = System.nanoTime() + Duration.ofMillis(Math.max(1000, settings.maxBlockMillis())).toNanos();
  }

  private void failed(byte[] key, byte[] value, DeliveryCounts counts, Exception error) {
    lastSendFailed = true;
    if (error instanceof TimeoutException) {
      // No metadata within max.block.ms, or no acknowledgement within the delivery timeout: the broker is away. Kafka
      // reports the first kind through the callback, from inside send(), not by throwing; without this every record
      // of an outage would block the publishing thread for max-block-ms (found: 300 records took 60 s at 200 ms).
      bypass();
    }
    if (error instanceof RetriableException || error instanceof TimeoutException || error instanceof InterruptException
        || error instanceof IllegalStateException) {
      spill(key, value, counts, error);
    } else {
      drop(counts, "the broker rejected it for good", error);
    }
  }

  private void spill(byte[] key, byte[] value, DeliveryCounts counts, Exception cause) {
    if (spill.append(key, value)) {
      counts.spilled();
    } else {
      drop(counts, "the spill directory " + spill.directory() + " is full or not writable", cause);
    }
  }

  private void drop(DeliveryCounts counts, String why, Throwable cause) {
    counts.dropped();
    // Every drop is counted and reported in the run summary; log the first few with their cause.
    if (dropWarnings.incrementAndGet() <= 10) {
      LOG.log(Level.WARNING, "dropped a snapshot record for topic " + settings.topic() + ": " + why, cause);
    }
  }

  /**
   * Waits until every record sent or queued so far is acknowledged, spilled or dropped (the queue's drain, then at
   * most the delivery timeout).
   */
  public void flush() {
    awaitQueued();
    try {
      producer.flush();
    } catch (InterruptException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether the broker appeared reachable at the last send (used to skip pointless re-send attempts). */
  public boolean brokerLooksReachable() {
    return !lastSendFailed && System.nanoTime() >= bypassUntilNanos;
  }

  /** Whether spilled records are waiting in this producer's spill directory. */
  public boolean hasSpilled() {
    return spill.hasPending();
  }

  /**
   * Re-sends spilled records (this JVM's and any other writer's sealed files in the directory). Stops at
   * the first failed file: its failed records are spilled again (not counted again), and the remaining
   * files are left for a later attempt. Returns true if nothing is left.
   */
  public boolean resendSpilled(DeliveryCounts counts) {
    synchronized (resendLock) {
      List<Path> files = spill.claimAll();
      boolean failedOnce = false;
      for (Path file : files) {
        if (failedOnce) {
          unclaim(file);
          continue;
        }
        List<SpillStore.Entry> entries = SpillStore.read(file);
        List<SpillStore.Entry> failures = Collections.synchronizedList(new ArrayList<>());
        for (SpillStore.Entry entry : entries) {
          try {
            producer.send(new ProducerRecord<>(settings.topic(), entry.key(), entry.value()), (metadata, error) -> {
              if (error == null) {
                counts.acknowledged(true);
              } else if (error instanceof RetriableException || error instanceof TimeoutException) {
                failures.add(entry);
              } else {
                drop(counts, "the broker rejected a re-sent record for good", error);
              }
            });
          } catch (KafkaException | IllegalStateException e) {
            failures.add(entry);
          }
        }
        flush();
        for (SpillStore.Entry entry : failures) {
          if (!spill.append(entry.key(), entry.value())) {
            drop(counts, "it could not be spilled again", null);
          }
        }
        failedOnce = !failures.isEmpty();
        if (failedOnce) {
          lastSendFailed = true;
        }
        try {
          spill.released(Files.size(file));
          Files.deleteIfExists(file);
        } catch (java.io.IOException e) {
          LOG.log(Level.WARNING, "cannot delete re-sent spill file " + file + "; it will not be sent again", e);
        }
      }
      spill.seal();
      return !failedOnce && !spill.hasPending();
    }
  }

  private static void unclaim(Path claimed) {
    String name = claimed.getFileName().toString();
    try {
      Files.move(claimed, claimed.resolveSibling(name.substring(0, name.indexOf(".claimed-"))));
    } catch (java.io.IOException e) {
      LOG.log(Level.WARNING, "cannot give back spill file " + claimed, e);
    }
  }

  @Override
  public void close() {
    try {
      flush();
      Thread t;
      synchronized (publisherLock) {
        closing = true;
        t = publisher;
      }
      if (t != null) {
        t.interrupt();
        try {
          t.join(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      awaitQueued(); // anything queued meanwhile is handled here
      producer.close(Duration.ofMillis(settings.deliveryTimeoutMillis()));
    } finally {
      spill.seal();
      INSTANCES.remove(settings, this);
    }
  }

  /** Flushes and closes every producer of this JVM (shutdown hook; also used by tests and the benchmark). */
  public static void closeAll() {
    for (SnapshotProducer p : List.copyOf(INSTANCES.values())) {
      try {
        p.close();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "closing the snapshot producer for " + p.settings.topic(), e);
      }
    }
  }
}
