package dev.activationmonkey.trainer.data;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.trainer.spec.DataSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * A job's examples, read by the executors from where they live and kept in their memory, one {@link Shard} per
 * worker: RDD partition {@code w} is worker {@code w}'s shard. The driver reads no examples (for pre-batched DataSet
 * directories it lists the files and reads the first one for its shape).
 *
 * <p>Formats: MNIST IDX ({@code bundled}: the split inside the jar, read by the executor; or a directory URI), CSV
 * (any Hadoop URI, split across tasks by Spark's text input), directories of DL4J DataSet files, one mini-batch
 * each ({@code DataSet.save}, as {@code monkey data export} writes them), and directories of CSV sequence files, one
 * sequence each ({@link CsvSequences}; the driver lists the files, each worker's executor reads its own).
 *
 * <p>Which examples are test examples, and which worker trains an example, follows from a seeded permutation of the
 * example numbers ({@link Permutation}, {@code data.shuffle-seed}): the first {@code train} positions train, position
 * {@code p} goes to worker {@code p mod workers}. Workers' shards differ by at most one example (one file for
 * pre-batched data). Each epoch, each worker shuffles its own examples anew ({@link Shard#batches}); examples never
 * move between workers.
 */
public record ShardedData(JavaRDD<Shard> train, JavaRDD<Shard> test, int features, int classes, long trainExamples,
    long testExamples, String source) {

  /** Reads, assigns and caches the examples; returns once every shard is in the executors' memory. */
  public static ShardedData load(JavaSparkContext jsc, DataSpec spec, int workers) {
    HadoopConf conf = new HadoopConf(jsc.hadoopConfiguration());
    if (spec.format().equals("datasets")) {
      return batches(jsc, spec, workers, conf);
    }
    if (spec.isSequences()) {
      return sequences(jsc, spec, workers, conf);
    }
    JavaRDD<Example> all = examples(jsc, spec, spec.path(), conf, spec.limit()).persist(StorageLevel.MEMORY_AND_DISK_SER());
    JavaRDD<Example> testSource = null;
    try {
      Summary summary = all.aggregate(Summary.EMPTY, Summary::add, Summary::merge);
      if (summary.count() == 0) {
        throw new InvalidInputException("data: no examples in " + spec.path());
      }
      summary.checkWidth(spec.path());
      long n = summary.count();
      long trainCount = n;
      Summary testSummary = null;
      if (spec.testPath() != null) {
        testSource = examples(jsc, spec, spec.testPath(), conf, 0).persist(StorageLevel.MEMORY_AND_DISK_SER());
        testSummary = testSource.aggregate(Summary.EMPTY, Summary::add, Summary::merge);
        if (testSummary.count() == 0) {
          throw new InvalidInputException("data.test-path: no examples in " + spec.testPath());
        }
        testSummary.checkWidth(spec.testPath());
        if (testSummary.minWidth() != summary.minWidth()) {
          throw new InvalidInputException("data.test-path: " + spec.testPath() + " has " + testSummary.minWidth()
              + " features per example, " + spec.path() + " has " + summary.minWidth());
        }
      } else if (spec.testFraction() > 0) {
        trainCount = Math.round(n * (1 - spec.testFraction()));
        if (trainCount < 1 || trainCount >= n) {
          throw new InvalidInputException("data.test-fraction: " + spec.testFraction() + " of " + n
              + " examples leaves no training or no test examples");
        }
      }
      int classes = spec.classes() > 0 ? spec.classes()
          : spec.format().equals("mnist") ? 10 : Math.max(summary.maxLabel(), testSummary == null ? 0 : testSummary.maxLabel()) + 1;
      int maxLabel = Math.max(summary.maxLabel(), testSummary == null ? 0 : testSummary.maxLabel());
      if (maxLabel >= classes) {
        throw new InvalidInputException("data: " + spec.path() + " has label " + maxLabel + " but data.classes is " + classes);
      }
      boolean scale = spec.normalize().equals("scale");
      Permutation order = new Permutation(n, spec.shuffleSeed());
      long train = trainCount;
      JavaRDD<Shard> rawTrain = shards(all.filter(e -> order.apply(e.index()) < train)
          .mapToPair(e -> new Tuple2<>(order.apply(e.index()), e)), workers, classes, scale);
      JavaRDD<Shard> rawTest;
      long testCount;
      if (testSource != null) {
        rawTest = shards(testSource.mapToPair(e -> new Tuple2<>(e.index(), e)), workers, classes, scale);
        testCount = testSummary.count();
      } else if (trainCount < n) {
        rawTest = shards(all.filter(e -> order.apply(e.index()) >= train)
            .mapToPair(e -> new Tuple2<>(order.apply(e.index()) - train, e)), workers, classes, scale);
        testCount = n - trainCount;
      } else {
        rawTest = null;
        testCount = 0;
      }
      String source = spec.format() + ":" + (spec.path().equals(DataSpec.BUNDLED) ? "bundled MNIST test split" : spec.path());
      return scaledAndCached(spec, rawTrain, rawTest, summary.minWidth(), classes, trainCount, testCount, source);
    } finally {
      all.unpersist(false);
      if (testSource != null) {
        testSource.unpersist(false);
      }
    }
  }

  /**
   * Scales the shards as {@code data.normalize} says (fitted on the training shards), caches them in the executors'
   * memory and returns them; cached shards are released if caching fails.
   */
  private static ShardedData scaledAndCached(DataSpec spec, JavaRDD<Shard> rawTrain, JavaRDD<Shard> rawTest,
      int features, int classes, long trainCount, long testCount, String source) {
    FeatureScaling scaling = FeatureScaling.fit(spec.normalize(), rawTrain);
    JavaRDD<Shard> trainShards = scaling == null ? rawTrain : rawTrain.map(s -> s.scaled(scaling));
    JavaRDD<Shard> testShards = rawTest == null ? null : scaling == null ? rawTest : rawTest.map(s -> s.scaled(scaling));
    ShardedData data = new ShardedData(trainShards, testShards, features, classes, trainCount, testCount, source);
    try {
      cache(trainShards);
      if (testShards != null) {
        cache(testShards);
      }
    } catch (RuntimeException e) {
      data.release();
      throw e;
    }
    return data;
  }

  /** Drops the cached shards. */
  public void release() {
    train.unpersist(false);
    if (test != null) {
      test.unpersist(false);
    }
  }

  private static JavaRDD<Shard> cache(JavaRDD<Shard> shards) {
    shards.persist(StorageLevel.MEMORY_ONLY());
    shards.count();
    return shards;
  }

  /** Examples keyed by their position, into {@code workers} shards: position p to worker p mod workers. */
  private static JavaRDD<Shard> shards(JavaPairRDD<Long, Example> byPosition, int workers, int classes, boolean scale) {
    return byPosition
        .mapToPair(t -> new Tuple2<>((int) (t._1() % workers), t))
        .partitionBy(new HashPartitioner(workers))
        .mapPartitionsWithIndex((worker, it) -> {
          List<Tuple2<Long, Example>> rows = new ArrayList<>();
          it.forEachRemaining(t -> rows.add(t._2()));
          rows.sort(Comparator.comparingLong(Tuple2::_1));
          return List.of(Shard.ofExamples(worker, toDataSet(rows, classes, scale))).iterator();
        }, true);
  }

  private static DataSet toDataSet(List<Tuple2<Long, Example>> rows, int classes, boolean scale) {
    if (rows.isEmpty()) {
      return null;
    }
    int width = rows.get(0)._2().features().length;
    float[] features = new float[rows.size() * width];
    float[] labels = new float[rows.size() * classes];
    for (int i = 0; i < rows.size(); i++) {
      Example e = rows.get(i)._2();
      float[] f = e.features();
      if (scale) {
        for (int j = 0; j < width; j++) {
          features[i * width + j] = f[j] / 255f;
        }
      } else {
        System.arraycopy(f, 0, features, i * width, width);
      }
      labels[i * classes + e.label()] = 1f;
    }
    INDArray x = Nd4j.create(features, new long[] {rows.size(), width}, 'c');
    INDArray y = Nd4j.create(labels, new long[] {rows.size(), classes}, 'c');
    return new DataSet(x, y);
  }

  /** The examples of one source, numbered in file order, read on the executors. */
  private static JavaRDD<Example> examples(JavaSparkContext jsc, DataSpec spec, String path, HadoopConf conf, int limit) {
    JavaRDD<Example> examples;
    if (spec.format().equals("mnist")) {
      MnistFiles files = MnistFiles.find(path, conf, path.equals(spec.path()) ? "data.path" : "data.test-path");
      examples = jsc.parallelize(List.of(files), 1).flatMap(f -> f.read(conf).iterator());
    } else {
      checkExists(path, conf, "data: CSV file not found: ");
      boolean header = spec.header();
      CsvLines parser = new CsvLines(spec, path);
      // Line numbers for messages, then dense example numbers (a header and blank lines are not examples). With a
      // header, every line equal to the first is one: a directory of part files repeats it in each.
      JavaRDD<String> lines = jsc.textFile(path, Math.max(2, jsc.defaultParallelism()));
      String headerLine = null;
      if (header) {
        List<String> first = lines.take(1);
        if (first.isEmpty()) {
          throw new InvalidInputException("data: no examples in " + path);
        }
        headerLine = first.get(0);
      }
      String skip = headerLine;
      examples = lines.zipWithIndex()
          .filter(t -> !(header && t._1().equals(skip)) && !t._1().isBlank())
          .map(t -> parser.parse(t._1(), t._2() + 1, -1))
          .zipWithIndex().map(t -> new Example(t._2(), t._1().features(), t._1().label()));
    }
    return limit > 0 ? examples.filter(e -> e.index() < limit) : examples;
  }

  private static void checkExists(String path, HadoopConf conf, String message) {
    try {
      Path p = new Path(path);
      FileStatus[] matches = p.getFileSystem(conf.get()).globStatus(p);
      if (matches == null || matches.length == 0) {
        throw new InvalidInputException(message + path);
      }
    } catch (IOException e) {
      throw new InvalidInputException("data: cannot reach " + path + ": " + e.getMessage(), e);
    }
  }

  /** MNIST's two IDX files of one split, found by name in a directory (any Hadoop URI), or the bundled split. */
  record MnistFiles(String images, String labels) implements Serializable {
    static MnistFiles find(String path, HadoopConf conf, String role) {
      if (path.equals(DataSpec.BUNDLED)) {
        return new MnistFiles(null, null);
      }
      try {
        Path dir = new Path(path);
        FileSystem fs = dir.getFileSystem(conf.get());
        if (!fs.exists(dir) || !fs.getFileStatus(dir).isDirectory()) {
          throw new InvalidInputException("data.path: " + path + " is not a directory holding MNIST IDX files"
              + " (or write 'bundled' for the MNIST test split inside the jar)");
        }
        FileStatus[] list = fs.listStatus(dir);
        return new MnistFiles(pick(list, "images-idx3-ubyte", dir, role), pick(list, "labels-idx1-ubyte", dir, role));
      } catch (IOException e) {
        throw new InvalidInputException("data.path: cannot list " + path + ": " + e.getMessage(), e);
      }
    }

    /**
     * The file of {@code dir} whose name holds {@code marker}; where a directory holds both MNIST splits (as the
     * download does: train-* and t10k-*), the training split for data.path and the test split for data.test-path.
     */
    private static String pick(FileStatus[] list, String marker, Path dir, String role) {
      List<FileStatus> found = Arrays.stream(list).filter(s -> s.getPath().getName().contains(marker))
          .sorted(Comparator.comparing(s -> s.getPath().getName())).toList();
      if (found.size() > 1) {
        String prefix = role.equals("data.test-path") ? "t10k" : "train";
        List<FileStatus> preferred = found.stream().filter(s -> s.getPath().getName().startsWith(prefix)).toList();
        if (preferred.size() != 1) {
          throw new InvalidInputException(role + ": " + dir + " holds " + found.size() + " files named *" + marker
              + "* (" + found.stream().map(s -> s.getPath().getName()).toList() + "); keep one split per directory");
        }
        found = preferred;
      }
      if (found.isEmpty()) {
        throw new InvalidInputException(role + ": no file named *" + marker + "[.gz] in " + dir);
      }
      return found.get(0).getPath().toString();
    }

    List<Example> read(HadoopConf conf) throws IOException {
      float[][] pixels;
      int[] classes;
      try (InputStream img = open(images, "t10k-images-idx3-ubyte.gz", conf);
          InputStream lab = open(labels, "t10k-labels-idx1-ubyte.gz", conf)) {
        pixels = Idx.images(img, images == null ? "bundled images" : images, 0);
        classes = Idx.labels(lab, labels == null ? "bundled labels" : labels, 0);
      }
      if (pixels.length != classes.length) {
        throw new InvalidInputException("data: " + pixels.length + " MNIST images but " + classes.length + " labels");
      }
      List<Example> out = new ArrayList<>(pixels.length);
      for (int i = 0; i < pixels.length; i++) {
        out.add(new Example(i, pixels[i], classes[i]));
      }
      return out;
    }

    private static InputStream open(String file, String bundled, HadoopConf conf) throws IOException {
      if (file == null) {
        return Datasets.bundled(bundled);
      }
      Path p = new Path(file);
      return p.getFileSystem(conf.get()).open(p);
    }
  }

  /** Count, widest and narrowest row, largest label. */
  record Summary(long count, int minWidth, int maxWidth, int maxLabel) implements Serializable {
    static final Summary EMPTY = new Summary(0, Integer.MAX_VALUE, 0, 0);

    Summary add(Example e) {
      return new Summary(count + 1, Math.min(minWidth, e.features().length), Math.max(maxWidth, e.features().length),
          Math.max(maxLabel, e.label()));
    }

    Summary merge(Summary o) {
      return new Summary(count + o.count, Math.min(minWidth, o.minWidth), Math.max(maxWidth, o.maxWidth),
          Math.max(maxLabel, o.maxLabel));
    }

    void checkWidth(String path) {
      if (minWidth != maxWidth) {
        throw new InvalidInputException("data: " + path + " has rows of " + (minWidth + 1) + " to " + (maxWidth + 1)
            + " columns; every row needs the same number");
      }
    }
  }

  /** Pre-batched DataSet files: the driver lists them; each worker loads its own files. */
  private static ShardedData batches(JavaSparkContext jsc, DataSpec spec, int workers, HadoopConf conf) {
    List<String> files = listBatches(spec.path(), conf);
    List<String> testFiles;
    List<String> trainFiles;
    if (spec.testPath() != null) {
      trainFiles = shuffled(files, spec.shuffleSeed());
      testFiles = listBatches(spec.testPath(), conf);
    } else {
      List<String> all = shuffled(files, spec.shuffleSeed());
      int trainCount = spec.testFraction() > 0 ? (int) Math.round(all.size() * (1 - spec.testFraction())) : all.size();
      if (trainCount < 1 || (spec.testFraction() > 0 && trainCount >= all.size())) {
        throw new InvalidInputException("data.test-fraction: " + spec.testFraction() + " of " + all.size()
            + " DataSet files leaves no training or no test files");
      }
      trainFiles = all.subList(0, trainCount);
      testFiles = all.subList(trainCount, all.size());
    }
    DataSet first = loadBatch(trainFiles.get(0), conf);
    int features = (int) first.getFeatures().size(1);
    int classes = (int) first.getLabels().size(1);
    JavaRDD<Shard> train = cache(batchShards(jsc, trainFiles, workers, conf));
    JavaRDD<Shard> test = testFiles.isEmpty() ? null : cache(batchShards(jsc, testFiles, workers, conf));
    long trainExamples = train.map(Shard::examples).reduce(Long::sum);
    long testExamples = test == null ? 0 : test.map(Shard::examples).reduce(Long::sum);
    return new ShardedData(train, test, features, classes, trainExamples, testExamples, "datasets:" + spec.path());
  }

  /**
   * CSV sequence files: the driver lists them (sorted by name; {@code data.limit} keeps the first), splits them into
   * train and test by the seeded permutation (or reads {@code data.test-path}'s), and deals position p to worker
   * p mod workers; each worker's executor reads and checks its files, then builds its shard once the classes are known.
   */
  private static ShardedData sequences(JavaSparkContext jsc, DataSpec spec, int workers, HadoopConf conf) {
    List<String> files = listSequences(spec.path(), conf, "data.path");
    if (spec.limit() > 0 && files.size() > spec.limit()) {
      files = files.subList(0, spec.limit());
    }
    List<String> trainFiles;
    List<String> testFiles;
    if (spec.testPath() != null) {
      trainFiles = shuffled(files, spec.shuffleSeed());
      testFiles = listSequences(spec.testPath(), conf, "data.test-path");
    } else {
      List<String> all = shuffled(files, spec.shuffleSeed());
      int trainCount = (int) Math.round(all.size() * (1 - spec.testFraction()));
      if (trainCount < 1 || (spec.testFraction() > 0 && trainCount >= all.size())) {
        throw new InvalidInputException("data.test-fraction: " + spec.testFraction() + " of " + all.size()
            + " sequence files leaves no training or no test sequences");
      }
      trainFiles = all.subList(0, trainCount);
      testFiles = all.subList(trainCount, all.size());
    }
    CsvSequences reader = new CsvSequences(spec);
    JavaRDD<CsvSequences.Sequence> train = readSequences(jsc, trainFiles, workers, reader, conf);
    JavaRDD<CsvSequences.Sequence> test = testFiles.isEmpty() ? null : readSequences(jsc, testFiles, workers, reader, conf);
    try {
      SequenceSummary summary = train.aggregate(SequenceSummary.EMPTY, SequenceSummary::add, SequenceSummary::merge);
      SequenceSummary testSummary = test == null ? null
          : test.aggregate(SequenceSummary.EMPTY, SequenceSummary::add, SequenceSummary::merge);
      summary.checkWidth(spec.path());
      if (testSummary != null) {
        testSummary.checkWidth(spec.testPath() == null ? spec.path() : spec.testPath());
        if (testSummary.minWidth() != summary.minWidth()) {
          throw new InvalidInputException((spec.testPath() != null ? "data.test-path: " + spec.testPath()
              : "data.path: the held-out test sequences of " + spec.path()) + " have " + (testSummary.minWidth() - 1)
              + " features per step, the training sequences " + (summary.minWidth() - 1)
              + " (every sequence file needs the same columns)");
        }
      }
      int maxLabel = Math.max(summary.maxLabel(), testSummary == null ? 0 : testSummary.maxLabel());
      int classes = spec.classes() > 0 ? spec.classes() : maxLabel + 1;
      if (maxLabel >= classes) {
        throw new InvalidInputException("data: " + spec.path() + " has label " + maxLabel + " but data.classes is "
            + classes);
      }
      JavaRDD<Shard> rawTrain = sequenceShards(train, reader, classes);
      JavaRDD<Shard> rawTest = test == null ? null : sequenceShards(test, reader, classes);
      return scaledAndCached(spec, rawTrain, rawTest, summary.minWidth() - 1, classes, summary.count(),
          testSummary == null ? 0 : testSummary.count(), "csv-sequences:" + spec.path() + " (" + summary.steps()
          + " steps, lengths " + summary.minLength() + "-" + summary.maxLength() + ", " + spec.sequenceLabels()
          + " labels)");
    } finally {
      train.unpersist(false);
      if (test != null) {
        test.unpersist(false);
      }
    }
  }

  /** The files' sequences as read by the executors, partition w holding worker w's (the i-th file: worker i mod n). */
  private static JavaRDD<CsvSequences.Sequence> readSequences(JavaSparkContext jsc, List<String> files, int workers,
      CsvSequences reader, HadoopConf conf) {
    List<Tuple2<Integer, Tuple2<Long, String>>> assigned = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      assigned.add(new Tuple2<>(i % workers, new Tuple2<>((long) i, files.get(i))));
    }
    return jsc.parallelizePairs(assigned, workers).partitionBy(new HashPartitioner(workers))
        .mapPartitions(it -> {
          List<CsvSequences.Sequence> read = new ArrayList<>();
          while (it.hasNext()) {
            Tuple2<Long, String> file = it.next()._2();
            read.add(reader.read(file._1(), file._2(), conf));
          }
          return read.iterator();
        }, true)
        .persist(StorageLevel.MEMORY_AND_DISK_SER());
  }

  private static JavaRDD<Shard> sequenceShards(JavaRDD<CsvSequences.Sequence> sequences, CsvSequences reader,
      int classes) {
    return sequences.mapPartitionsWithIndex((worker, it) -> {
      List<DataSet> out = new ArrayList<>();
      while (it.hasNext()) {
        out.add(reader.toDataSet(it.next(), classes));
      }
      return List.of(Shard.ofSequences(worker, out)).iterator();
    }, true);
  }

  /** Sequences, time steps, shortest and longest sequence, narrowest and widest step, largest label. */
  record SequenceSummary(long count, long steps, int minLength, int maxLength, int minWidth, int maxWidth,
      int maxLabel, String widestFile, String narrowestFile) implements Serializable {
    static final SequenceSummary EMPTY = new SequenceSummary(0, 0, Integer.MAX_VALUE, 0, Integer.MAX_VALUE, 0, 0,
        null, null);

    SequenceSummary add(CsvSequences.Sequence s) {
      return merge(new SequenceSummary(1, s.steps().size(), s.steps().size(), s.steps().size(), s.width(), s.width(),
          s.maxLabel(), s.file(), s.file()));
    }

    SequenceSummary merge(SequenceSummary o) {
      return new SequenceSummary(count + o.count, steps + o.steps, Math.min(minLength, o.minLength),
          Math.max(maxLength, o.maxLength), Math.min(minWidth, o.minWidth), Math.max(maxWidth, o.maxWidth),
          Math.max(maxLabel, o.maxLabel), maxWidth >= o.maxWidth ? widestFile : o.widestFile,
          minWidth <= o.minWidth ? narrowestFile : o.narrowestFile);
    }

    void checkWidth(String path) {
      if (minWidth != maxWidth) {
        throw new InvalidInputException("data: the sequence files in " + path + " differ in their columns: "
            + narrowestFile + " has " + minWidth + ", " + widestFile + " has " + maxWidth);
      }
    }
  }

  private static List<String> listSequences(String path, HadoopConf conf, String key) {
    try {
      Path dir = new Path(path);
      FileSystem fs = dir.getFileSystem(conf.get());
      if (!fs.exists(dir) || !fs.getFileStatus(dir).isDirectory()) {
        throw new InvalidInputException(key + ": " + path + " is not a directory of CSV sequence files (one file per"
            + " sequence, a line per time step)");
      }
      List<String> files = new ArrayList<>();
      for (FileStatus s : fs.listStatus(dir)) {
        String name = s.getPath().getName();
        if (s.isFile() && !name.startsWith(".") && !name.startsWith("_")) {
          files.add(s.getPath().toString());
        }
      }
      if (files.isEmpty()) {
        throw new InvalidInputException(key + ": no sequence files in " + path);
      }
      files.sort(null);
      return files;
    } catch (IOException e) {
      throw new InvalidInputException(key + ": cannot list " + path + ": " + e.getMessage(), e);
    }
  }

  private static List<String> shuffled(List<String> files, long seed) {
    Permutation p = new Permutation(files.size(), seed);
    String[] out = new String[files.size()];
    for (int i = 0; i < out.length; i++) {
      out[(int) p.apply(i)] = files.get(i);
    }
    return List.of(out);
  }

  private static JavaRDD<Shard> batchShards(JavaSparkContext jsc, List<String> files, int workers, HadoopConf conf) {
    List<Tuple2<Integer, String>> assigned = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      assigned.add(new Tuple2<>(i % workers, files.get(i)));
    }
    return jsc.parallelizePairs(assigned, workers).partitionBy(new HashPartitioner(workers))
        .mapPartitionsWithIndex((worker, it) -> {
          List<DataSet> batches = new ArrayList<>();
          while (it.hasNext()) {
            batches.add(loadBatch(it.next()._2(), conf));
          }
          return List.of(Shard.ofBatches(worker, batches)).iterator();
        }, true);
  }

  private static List<String> listBatches(String path, HadoopConf conf) {
    try {
      Path dir = new Path(path);
      FileSystem fs = dir.getFileSystem(conf.get());
      if (!fs.exists(dir) || !fs.getFileStatus(dir).isDirectory()) {
        throw new InvalidInputException("data.path: " + path + " is not a directory of DataSet files"
            + " (write them with 'monkey data export' or DataSet.save)");
      }
      List<String> files = new ArrayList<>();
      for (FileStatus s : fs.listStatus(dir)) {
        String name = s.getPath().getName();
        if (s.isFile() && !name.startsWith(".") && !name.startsWith("_")) {
          files.add(s.getPath().toString());
        }
      }
      if (files.isEmpty()) {
        throw new InvalidInputException("data.path: no DataSet files in " + path);
      }
      files.sort(null);
      return files;
    } catch (IOException e) {
      throw new InvalidInputException("data.path: cannot list " + path + ": " + e.getMessage(), e);
    }
  }

  static DataSet loadBatch(String file, HadoopConf conf) {
    try {
      Path p = new Path(file);
      try (InputStream in = p.getFileSystem(conf.get()).open(p)) {
        DataSet d = new DataSet();
        d.load(in);
        return d;
      }
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException("data: " + file + " is not a DL4J DataSet file: " + e.getMessage(), e);
    }
  }
}
