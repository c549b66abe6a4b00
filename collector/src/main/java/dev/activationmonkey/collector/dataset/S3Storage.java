package dev.activationmonkey.collector.dataset;

import com.amazonaws.AmazonClientException;
import com.amazonaws.AmazonServiceException;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.model.ObjectMetadata;
import com.amazonaws.services.s3.model.PutObjectRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Arrays;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.s3a.S3AFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dataset root on S3 (or an S3-compatible store) through Hadoop's s3a connector. S3 has no rename that refuses
 * to replace, but it has conditional writes: a PutObject with {@code If-None-Match: *} succeeds only if no object
 * has that key, and of two concurrent ones exactly one does (Amazon S3 since August 2024; MinIO, S3Mock 4.x). The
 * commit fence ({@link #publishExclusive}) is such a PUT of the manifest under its final key, sent by the
 * connector's own S3 client, so it has the connector's endpoint, credentials and signing ({@code hadoop.fs.s3a.*}).
 *
 * <p>A store that ignores the header (S3Mock 3.x, older S3 clones) replaces instead: the fence is then only the
 * existence check in front of the PUT, as with a plain rename. One that refuses it ({@code 501 Not Implemented})
 * is told apart, warned about once, and gets that check and a rename.
 */
final class S3Storage extends HadoopStorage {
  private static final Logger log = LoggerFactory.getLogger(S3Storage.class);
  private static final int CONFLICT_ATTEMPTS = 5;

  private final S3AFileSystem s3a;
  private final AmazonS3 s3;
  private volatile boolean conditionalWrites = true;

  S3Storage(S3AFileSystem fs, Path root) {
    super(fs, root);
    this.s3a = fs;
    // The connector's configured client (hadoop-aws 3.3 exposes it under this name only); building a second one from
    // fs.s3a.* would have to repeat its credential chain, endpoint, region and signer logic.
    this.s3 = fs.getAmazonS3ClientForTesting("the collector's conditional manifest PUT");
  }

  /** S3A's hsync is not a sync (the object is uploaded when the stream closes) and only logs a warning. */
  @Override
  boolean hsyncs() {
    return false;
  }

  @Override
  public boolean publishExclusive(Path source, Path target) throws IOException {
    try {
      // A cheap way out for a zombie, and all the fence there is on a store that ignores If-None-Match.
      if (fs.exists(target)) {
        return false;
      }
      Boolean put = conditionalWrites ? putIfAbsent(target, read(source)) : null;
      return put != null ? put : rename(source, target);
    } finally {
      try {
        fs.delete(source, false);
      } catch (IOException e) {
        // The outcome stands: a failed cleanup must not turn a won commit into an error (the caller would take the
        // published manifest for another writer's and drop the batch it names). The next recovery removes leftovers.
        log.warn("could not delete the pending manifest {}: {}", source, e.toString());
      }
    }
  }

  /**
   * PUTs {@code bytes} as {@code target} unless an object has that key.
   *
   * @return false if one had (another writer's); null if the store does not support conditional writes
   */
  Boolean putIfAbsent(Path target, byte[] bytes) throws IOException {
    String key = s3a.pathToKey(target);
    for (int attempt = 1; ; attempt++) {
      ObjectMetadata metadata = new ObjectMetadata();
      metadata.setContentLength(bytes.length);
      PutObjectRequest put = new PutObjectRequest(s3a.getBucket(), key, new ByteArrayInputStream(bytes), metadata);
      put.putCustomRequestHeader("If-None-Match", "*");
      try {
        s3.putObject(put);
        return true;
      } catch (AmazonServiceException e) {
        switch (e.getStatusCode()) {
          case 412: // PreconditionFailed: the key exists. Ours, if the SDK retried a PUT whose first try succeeded
            // unanswered: a manifest with files names its batch's temp directory (a UUID), so no other writer's has
            // these bytes; two without files are the same commit (same offsets, nothing to move).
            return Arrays.equals(bytes, read(target));
          case 409: // ConditionalRequestConflict: a conditional write to this key is in flight; S3 says to retry
            if (attempt < CONFLICT_ATTEMPTS) {
              pause(attempt);
              continue;
            }
            break;
          case 501: // NotImplemented: a store without conditional writes
            conditionalWrites = false;
            log.warn("{} does not support conditional writes (If-None-Match on PutObject: {}); the collector's commit "
                + "fence there is a check and a rename: run one collector group per dataset", target, e.getErrorMessage());
            return null;
          default:
            break;
        }
        throw new IOException(target + ": conditional PutObject (If-None-Match: *) failed: " + e.getMessage(), e);
      } catch (AmazonClientException e) {
        throw new IOException(target + ": conditional PutObject (If-None-Match: *) failed: " + e.getMessage(), e);
      }
    }
  }

  private static void pause(int attempt) throws InterruptedIOException {
    try {
      Thread.sleep(50L * attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while retrying a conditional PutObject");
    }
  }
}
