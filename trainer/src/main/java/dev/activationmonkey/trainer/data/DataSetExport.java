package dev.activationmonkey.trainer.data;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Writes a job's examples as DL4J DataSet files, one mini-batch per file, from the executors: what training with
 * {@code data.format: datasets} reads. Batches are taken in each worker's first-epoch order (training shuffles the
 * order of files anew every epoch), already normalised.
 */
public final class DataSetExport {
  private DataSetExport() {}

  /** What was written. */
  public record Result(String out, long trainFiles, long trainExamples, long testFiles, long testExamples) {
    public String summary() {
      return String.format(Locale.ROOT, "wrote %,d train files (%,d examples) to %s/train and %,d test files (%,d examples)"
          + "%s%ntrain on them with:%n  data: {format: datasets, path: \"%s/train\"%s}", trainFiles, trainExamples, out,
          testFiles, testExamples, testFiles > 0 ? " to " + out + "/test" : "", out,
          testFiles > 0 ? ", test-path: \"" + out + "/test\"" : ", test-fraction: 0");
    }
  }

  public static Result run(JobSpec spec, String out, PrintStream progress) {
    if (spec.data().format().equals("datasets")) {
      throw new InvalidInputException("data.format: the job's data already is DataSet files (" + spec.data().path() + ")");
    }
    scala.Option<org.apache.spark.SparkContext> active = org.apache.spark.SparkContext$.MODULE$.getActive();
    JavaSparkContext jsc = active.isEmpty()
        ? new JavaSparkContext(new SparkConf().setAppName("activation-monkey data export")
            .setIfMissing("spark.master", spec.training().effectiveMaster()).setIfMissing("spark.ui.enabled", "false"))
        : JavaSparkContext.fromSparkContext(active.get());
    try {
      HadoopConf conf = new HadoopConf(jsc.hadoopConfiguration());
      Path root = new Path(out);
      FileSystem fs = root.getFileSystem(conf.get());
      if (fs.exists(root)) {
        throw new InvalidInputException("--out: " + out + " exists; choose a new directory (nothing was written)");
      }
      ShardedData data = ShardedData.load(jsc, spec.data(), spec.training().workers());
      try {
        int batch = spec.data().batchSize();
        long seed = spec.data().shuffleSeed();
        long[] train = write(data.train(), new Path(root, "train").toString(), batch, seed, conf);
        long[] test = data.test() == null ? new long[2] : write(data.test(), new Path(root, "test").toString(), batch, seed, conf);
        fs.create(new Path(root, "_SUCCESS")).close();
        return new Result(out, train[0], train[1], test[0], test[1]);
      } finally {
        data.release();
      }
    } catch (IOException e) {
      throw new InvalidInputException("--out: cannot write to " + out + ": " + e.getMessage(), e);
    } finally {
      if (active.isEmpty()) {
        jsc.stop();
      }
    }
  }

  /** Files and examples written. */
  private static long[] write(JavaRDD<Shard> shards, String dir, int batch, long seed, HadoopConf conf) {
    List<long[]> counts = shards.map(shard -> {
      long files = 0;
      long examples = 0;
      List<DataSet> batches = shard.batches(0, seed, batch, 0, Integer.MAX_VALUE);
      for (int b = 0; b < batches.size(); b++) {
        Path file = new Path(dir, String.format(Locale.ROOT, "part-%05d-%06d.bin", shard.worker(), b));
        // Overwrite: --out did not exist, so only an earlier attempt of this very task can have written the file.
        try (OutputStream os = file.getFileSystem(conf.get()).create(file, true)) {
          batches.get(b).save(os);
        }
        files++;
        examples += batches.get(b).numExamples();
      }
      return new long[] {files, examples};
    }).collect();
    long[] total = new long[2];
    for (long[] c : counts) {
      total[0] += c[0];
      total[1] += c[1];
    }
    return total;
  }
}
