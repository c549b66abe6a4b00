package dev.activationmonkey.trainer.spec;

import java.util.List;

/**
 * Where the examples come from and how they are batched.
 *
 * @param format {@code mnist} (IDX files), {@code csv}, {@code datasets} (a directory of DL4J DataSet files, one
 *     mini-batch each, as {@code monkey data export} or {@code DataSet.save} write them) or {@code csv-sequences} (a
 *     directory of CSV files, one sequence each, a line per time step: the step's features and its label)
 * @param path any Hadoop file system URI or local path, read by the executors. MNIST: {@code bundled} (the MNIST
 *     test split inside the jar) or a directory holding {@code *images-idx3-ubyte[.gz]} and
 *     {@code *labels-idx1-ubyte[.gz]}; CSV: a file (or a directory or glob of files); datasets and csv-sequences: a
 *     directory
 * @param testPath a separate test set in the same format, or null to split {@code path}
 * @param testFraction share of the examples held out for testing when there is no {@code testPath}
 * @param limit use at most this many examples of {@code path} (0 = all; csv-sequences: the first files by name)
 * @param batchSize examples per mini-batch on each worker
 * @param shuffleSeed seed of the shuffle before the split
 * @param normalize {@code scale} (divide by 255, images), {@code standardize}, {@code min-max} or {@code none}
 * @param labelColumn CSV: the label's column index (negative counts from the end: -1 = last)
 * @param header CSV: whether the first line is a header (csv-sequences: of every file)
 * @param delimiter CSV: the field delimiter
 * @param classes number of classes (0 = infer: 10 for MNIST, max label + 1 for CSV)
 * @param sequenceLabels csv-sequences: {@code per-step} (every step's label is trained and evaluated) or
 *     {@code last-step} (a label per sequence: only the last step's counts, the others are masked); null otherwise
 */
public record DataSpec(String format, String path, String testPath, double testFraction, int limit, int batchSize,
    long shuffleSeed, String normalize, int labelColumn, boolean header, String delimiter, int classes,
    String sequenceLabels) {

  static final List<String> FORMATS = List.of("mnist", "csv", "datasets", "csv-sequences");
  static final List<String> SEQUENCE_LABELS = List.of("per-step", "last-step");
  static final List<String> NORMALIZATIONS = List.of("scale", "standardize", "min-max", "none");
  public static final String BUNDLED = "bundled";

  /** Examples are sequences {@code [features, time]} with masks (csv-sequences). */
  public boolean isSequences() {
    return format.equals("csv-sequences");
  }

  static DataSpec read(SpecNode n) {
    String format = n.choice("format", "mnist", FORMATS);
    boolean sequences = format.equals("csv-sequences");
    String path = format.equals("mnist") ? n.string("path", BUNDLED)
        : n.requiredString("path", switch (format) {
          case "csv" -> "the CSV file";
          case "csv-sequences" -> "the directory of CSV files, one sequence each";
          default -> "the directory of DataSet files";
        });
    String testPath = n.string("test-path", null);
    double testFraction = n.number("test-fraction", testPath == null ? 0.2 : 0.0, 0.0, 0.9);
    if (testPath != null && n.has("test-fraction") && testFraction > 0) {
      throw n.invalidKey("test-fraction", "set either test-path or test-fraction, not both");
    }
    int limit = n.integer("limit", 0, 0, Integer.MAX_VALUE);
    int batchSize = n.integer("batch-size", 64, 1, 1 << 20);
    long seed = n.integer("shuffle-seed", 42L, Long.MIN_VALUE, Long.MAX_VALUE);
    String normalize = n.choice("normalize", switch (format) {
      case "mnist" -> "scale";
      case "csv" -> "standardize";
      default -> "none";
    }, NORMALIZATIONS);
    if (sequences && normalize.equals("scale")) {
      throw n.invalidKey("normalize", "scale (divide by 255) is for images; sequences take standardize, min-max or none");
    }
    if (format.equals("datasets") && !normalize.equals("none")) {
      throw n.invalidKey("normalize", "DataSet files are trained as they are; normalise them when you write them"
          + " (monkey data export does) and set normalize: none");
    }
    if (format.equals("datasets") && n.has("limit")) {
      throw n.invalidKey("limit", "does not apply to format: datasets (train on fewer files instead)");
    }
    SpecNode csv = n.object("csv");
    int labelColumn = csv.integer("label-column", 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
    boolean header = csv.bool("header", false);
    String delimiter = csv.string("delimiter", ",");
    if (delimiter.length() != 1) {
      throw csv.invalidKey("delimiter", "expected one character, got '" + delimiter + "'");
    }
    csv.done();
    if (!format.equals("csv") && !sequences && n.has("csv")) {
      throw n.invalidKey("csv", "only applies to format: csv and csv-sequences");
    }
    String sequenceLabels = sequences ? n.choice("sequence-labels", "per-step", SEQUENCE_LABELS) : null;
    if (!sequences && n.has("sequence-labels")) {
      throw n.invalidKey("sequence-labels", "only applies to format: csv-sequences");
    }
    int classes = n.integer("classes", 0, 0, 1 << 20);
    n.done();
    return new DataSpec(format, path, testPath, testFraction, limit, batchSize, seed, normalize, labelColumn, header,
        delimiter, classes, sequenceLabels);
  }
}
