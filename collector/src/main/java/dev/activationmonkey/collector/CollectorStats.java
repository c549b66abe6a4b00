package dev.activationmonkey.collector;

/**
 * A snapshot of a collector's progress.
 *
 * @param recordsWritten rows made visible in the dataset since start
 * @param filesWritten Parquet files made visible since start
 * @param deadLetters records sent to the dead-letter topic since start
 * @param commits batches committed
 * @param fencedCommits batches dropped because another collector had committed their offsets first
 * @param lag records in the owned partitions not yet visible in the dataset
 * @param partitions partitions owned now
 * @param openFiles Parquet files open now
 * @param bufferedBytes bytes held by the open files
 * @param recordsPerSecond rows made visible per second since the previous stats
 */
public record CollectorStats(
    long recordsWritten,
    long filesWritten,
    long deadLetters,
    long commits,
    long fencedCommits,
    long lag,
    int partitions,
    int openFiles,
    long bufferedBytes,
    double recordsPerSecond) {

  /** One status line. */
  public String statusLine() {
    return String.format(java.util.Locale.ROOT,
        "%,.0f rec/s | written %,d rows in %,d files | lag %,d | dead letters %,d | partitions %d | open files %d (%,d KiB)%s",
        recordsPerSecond, recordsWritten, filesWritten, lag, deadLetters, partitions, openFiles, bufferedBytes / 1024,
        fencedCommits > 0 ? " | fenced " + fencedCommits : "");
  }
}
