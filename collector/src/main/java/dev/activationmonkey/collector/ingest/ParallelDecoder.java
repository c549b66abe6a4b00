package dev.activationmonkey.collector.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decodes a poll's records on a pool of threads and hands them, in order, to one consumer of results
 * on the calling thread. Decoding runs ahead on the pool in chunks while the caller handles the chunks
 * already decoded: the two halves of the work (Avro, Parquet) overlap on different cores, and the
 * caller decodes only the chunks it reaches before a pool thread does.
 */
public final class ParallelDecoder {
  /** Records per decode task: small enough that writing starts soon, large enough to amortize the hand-off. */
  static final int CHUNK = 256;

  /** Receives each record with its decoding, in the order of the poll. */
  @FunctionalInterface
  public interface Handler {
    void handle(ConsumerRecord<byte[], ByteBuffer> record, RecordDecoder.Result result) throws IOException;
  }

  private final RecordDecoder decoder = new RecordDecoder();
  private final ExecutorService pool;

  /** @param pool the decode threads, or null to decode on the calling thread */
  public ParallelDecoder(ExecutorService pool) {
    this.pool = pool;
  }

  /** Decodes {@code records} and hands each to {@code handler} in order, on this thread; returns once all were handled. */
  public void decode(List<ConsumerRecord<byte[], ByteBuffer>> records, Handler handler) throws Exception {
    RecordDecoder.Result[] results = new RecordDecoder.Result[records.size()];
    if (pool == null || records.size() <= CHUNK / 4) {
      decodeRange(records, results, 0, records.size());
      for (int i = 0; i < records.size(); i++) {
        handler.handle(records.get(i), results[i]);
      }
      return;
    }
    int count = (records.size() + CHUNK - 1) / CHUNK;
    // A chunk is decoded by whoever claims it first: a decode thread running ahead, or this thread when
    // it gets there first. On a busy machine a descheduled decode thread then never stalls the writer.
    AtomicBoolean[] claimed = new AtomicBoolean[count];
    List<Future<?>> chunks = new ArrayList<>(count);
    for (int c = 0; c < count; c++) {
      claimed[c] = new AtomicBoolean();
    }
    for (int c = 0; c < count; c++) {
      int chunk = c;
      chunks.add(pool.submit(() -> {
        if (claimed[chunk].compareAndSet(false, true)) {
          decodeRange(records, results, chunk * CHUNK, Math.min(records.size(), (chunk + 1) * CHUNK));
        }
      }));
    }
    try {
      for (int c = 0; c < count; c++) {
        int start = c * CHUNK;
        int end = Math.min(records.size(), start + CHUNK);
        if (claimed[c].compareAndSet(false, true)) {
          decodeRange(records, results, start, end);
        } else {
          chunks.get(c).get(); // happens-before: the chunk's results are visible here
        }
        for (int i = start; i < end; i++) {
          handler.handle(records.get(i), results[i]);
        }
      }
    } finally {
      chunks.forEach(f -> f.cancel(false)); // after a failure, do not leave decoding work queued behind us
    }
  }

  private void decodeRange(List<ConsumerRecord<byte[], ByteBuffer>> records, RecordDecoder.Result[] results, int from, int to) {
    for (int i = from; i < to; i++) {
      ConsumerRecord<byte[], ByteBuffer> r = records.get(i);
      results[i] = decoder.decode(r.value(), r.topic(), r.partition(), r.offset());
    }
  }
}
