package dev.activationmonkey.trainer.data;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.trainer.spec.DataSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.SplitTestAndTrain;
import org.nd4j.linalg.dataset.api.preprocessor.DataNormalization;
import org.nd4j.linalg.dataset.api.preprocessor.ImagePreProcessingScaler;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerMinMaxScaler;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.factory.Nd4j;

/** Loads the examples a {@link DataSpec} describes: MNIST IDX or CSV, split, shuffled and normalised. */
public final class Datasets {
  private Datasets() {}

  private static final String BUNDLED_DIR = "/dev/activationmonkey/trainer/data/mnist/";

  public static LoadedData load(DataSpec spec) {
    if (spec.isSequences()) {
      throw new IllegalArgumentException("csv-sequences are read by the executors (ShardedData), not loaded here");
    }
    try {
      Raw train = read(spec, spec.path(), spec.limit());
      int classes = spec.classes() > 0 ? spec.classes() : train.classes;
      DataSet all = train.toDataSet(classes, spec.path());
      DataSet trainSet;
      DataSet testSet;
      if (spec.testPath() != null) {
        all.shuffle(spec.shuffleSeed());
        trainSet = all;
        testSet = read(spec, spec.testPath(), 0).toDataSet(classes, spec.testPath());
      } else if (spec.testFraction() > 0) {
        all.shuffle(spec.shuffleSeed());
        int trainCount = (int) Math.round(all.numExamples() * (1 - spec.testFraction()));
        if (trainCount < 1 || trainCount >= all.numExamples()) {
          throw new InvalidInputException("data.test-fraction: " + spec.testFraction() + " of " + all.numExamples()
              + " examples leaves no training or no test examples");
        }
        SplitTestAndTrain split = all.splitTestAndTrain(trainCount);
        trainSet = split.getTrain();
        testSet = split.getTest();
      } else {
        all.shuffle(spec.shuffleSeed());
        trainSet = all;
        testSet = null;
      }
      DataNormalization normalizer = switch (spec.normalize()) {
        case "scale" -> new ImagePreProcessingScaler(0, 1);
        case "standardize" -> new NormalizerStandardize();
        case "min-max" -> new NormalizerMinMaxScaler(0, 1);
        default -> null;
      };
      if (normalizer != null) {
        normalizer.fit(trainSet);
        normalizer.transform(trainSet);
        if (testSet != null) {
          normalizer.transform(testSet);
        }
      }
      String source = spec.format() + ":" + (spec.path().equals(DataSpec.BUNDLED) ? "bundled MNIST test split" : spec.path());
      return new LoadedData(trainSet, testSet, (int) trainSet.getFeatures().size(1), classes, source);
    } catch (IOException e) {
      throw new InvalidInputException("data: cannot read " + spec.path() + ": " + e.getMessage(), e);
    }
  }

  /** Features as rows and integer labels, before one-hot encoding. */
  private record Raw(float[][] features, int[] labels, int classes) {
    DataSet toDataSet(int classCount, String name) {
      for (int label : labels) {
        if (label >= classCount) {
          throw new InvalidInputException("data: " + name + " has label " + label + " but data.classes is " + classCount);
        }
      }
      float[][] oneHot = new float[labels.length][classCount];
      for (int i = 0; i < labels.length; i++) {
        oneHot[i][labels[i]] = 1f;
      }
      return new DataSet(Nd4j.create(features), Nd4j.create(oneHot));
    }
  }

  private static Raw read(DataSpec spec, String path, int limit) throws IOException {
    return spec.format().equals("mnist") ? mnist(path, limit) : csv(spec, Path.of(path), limit);
  }

  private static Raw mnist(String path, int limit) throws IOException {
    float[][] images;
    int[] labels;
    if (path.equals(DataSpec.BUNDLED)) {
      try (InputStream img = bundled("t10k-images-idx3-ubyte.gz"); InputStream lab = bundled("t10k-labels-idx1-ubyte.gz")) {
        images = Idx.images(img, "bundled images", limit);
        labels = Idx.labels(lab, "bundled labels", limit);
      }
    } else {
      Path dir = Path.of(path);
      if (!Files.isDirectory(dir)) {
        throw new InvalidInputException("data.path: " + path + " is not a directory holding MNIST IDX files"
            + " (or write 'bundled' for the MNIST test split inside the jar)");
      }
      Path imageFile = find(dir, "images-idx3-ubyte");
      Path labelFile = find(dir, "labels-idx1-ubyte");
      try (InputStream img = Files.newInputStream(imageFile); InputStream lab = Files.newInputStream(labelFile)) {
        images = Idx.images(img, imageFile.toString(), limit);
        labels = Idx.labels(lab, labelFile.toString(), limit);
      }
    }
    if (images.length != labels.length) {
      throw new InvalidInputException("data: " + images.length + " MNIST images but " + labels.length + " labels");
    }
    return new Raw(images, labels, 10);
  }

  /** A file of the bundled MNIST test split. */
  static InputStream bundled(String name) {
    InputStream in = Datasets.class.getResourceAsStream(BUNDLED_DIR + name);
    if (in == null) {
      throw new IllegalStateException("bundled MNIST resource missing: " + BUNDLED_DIR + name);
    }
    return in;
  }

  private static Path find(Path dir, String marker) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().contains(marker)).sorted().findFirst()
          .orElseThrow(() -> new InvalidInputException(
              "data.path: no file named *" + marker + "[.gz] in " + dir));
    }
  }

  private static Raw csv(DataSpec spec, Path file, int limit) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("data: CSV file not found: " + file);
    }
    List<float[]> rows = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    CsvLines parser = new CsvLines(spec, file.toString());
    int width = -1;
    int maxLabel = 0;
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int lineNumber = 0;
      while ((line = reader.readLine()) != null && (limit == 0 || rows.size() < limit)) {
        lineNumber++;
        if ((lineNumber == 1 && spec.header()) || line.isBlank()) {
          continue;
        }
        Example e = parser.parse(line, lineNumber, rows.size());
        if (width < 0) {
          width = e.features().length;
        } else if (e.features().length != width) {
          throw new InvalidInputException(file + ":" + lineNumber + ": " + (e.features().length + 1) + " columns, expected "
              + (width + 1));
        }
        rows.add(e.features());
        labels.add(e.label());
        maxLabel = Math.max(maxLabel, e.label());
      }
    }
    if (rows.isEmpty()) {
      throw new InvalidInputException("data: no examples in " + file);
    }
    return new Raw(rows.toArray(new float[0][]), labels.stream().mapToInt(Integer::intValue).toArray(), maxLabel + 1);
  }
}
