package dev.activationmonkey.trainer.data;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.trainer.spec.DataSpec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.Path;
import org.datavec.api.records.reader.impl.collection.CollectionSequenceRecordReader;
import org.datavec.api.records.reader.impl.csv.CSVSequenceRecordReader;
import org.datavec.api.writable.Text;
import org.datavec.api.writable.Writable;
import org.deeplearning4j.datasets.datavec.SequenceRecordReaderDataSetIterator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code data.format: csv-sequences}: one CSV file per sequence, a line per time step holding the step's features and
 * its label (a class number, in {@code data.csv.label-column}). Each file is parsed by DataVec's
 * {@link CSVSequenceRecordReader} (skipping {@code data.csv.header}'s line), checked with errors naming the file and
 * line, and turned into a DataSet of one example by DataVec's {@link SequenceRecordReaderDataSetIterator}: features
 * {@code [1, features, time]}, one-hot labels {@code [1, classes, time]}. With {@code data.sequence-labels: last-step}
 * the labels mask keeps only the last step's label (one label per sequence); with {@code per-step} every step's counts.
 */
final class CsvSequences implements Serializable {
  private static final long serialVersionUID = 1L;
  private final int labelColumn;
  private final boolean header;
  private final String delimiter;
  private final boolean lastStep;

  CsvSequences(DataSpec spec) {
    this.labelColumn = spec.labelColumn();
    this.header = spec.header();
    this.delimiter = spec.delimiter();
    this.lastStep = "last-step".equals(spec.sequenceLabels());
  }

  /**
   * One file's steps as DataVec read them, checked.
   *
   * @param index the sequence's number: with the data seed it fixes where the sequence goes (train or test, which
   *     worker)
   * @param labelIndex the label's column among {@code width} columns
   * @param maxLabel the largest label of any step
   */
  record Sequence(long index, String file, List<List<Writable>> steps, int width, int labelIndex, int maxLabel)
      implements Serializable {}

  Sequence read(long index, String file, HadoopConf conf) {
    CSVSequenceRecordReader reader = new CSVSequenceRecordReader(header ? 1 : 0, Pattern.quote(delimiter));
    List<List<Writable>> lines;
    try {
      Path p = new Path(file);
      try (DataInputStream in = new DataInputStream(p.getFileSystem(conf.get()).open(p))) {
        lines = reader.sequenceRecord(p.toUri(), in);
      }
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException("data: cannot read the sequence file " + file + ": " + e.getMessage(), e);
    }
    List<List<Writable>> steps = new ArrayList<>(lines.size());
    int width = -1;
    int labelIndex = -1;
    int maxLabel = 0;
    int firstLine = header ? 2 : 1;
    for (int i = 0; i < lines.size(); i++) {
      List<Writable> step = lines.get(i);
      long line = firstLine + i;
      if (step.size() == 1 && step.get(0).toString().isBlank()) {
        continue; // a blank line is no time step
      }
      if (width < 0) {
        width = step.size();
        if (width < 2) {
          throw new InvalidInputException(file + ":" + line + ": need a label and at least one feature column");
        }
        labelIndex = labelColumn >= 0 ? labelColumn : width + labelColumn;
        if (labelIndex < 0 || labelIndex >= width) {
          throw new InvalidInputException("data.csv.label-column: " + labelColumn + " is outside the " + width
              + " columns of " + file);
        }
      } else if (step.size() != width) {
        throw new InvalidInputException(file + ":" + line + ": " + step.size() + " columns, expected " + width
            + " (every step of a sequence has the same columns)");
      }
      List<Writable> clean = new ArrayList<>(width);
      for (int c = 0; c < width; c++) {
        String field = step.get(c).toString().trim();
        clean.add(new Text(field)); // DataVec parses labels without trimming: " 2" would fail on the executor
        if (c == labelIndex) {
          int label;
          try {
            label = Integer.parseInt(field);
          } catch (NumberFormatException e) {
            throw new InvalidInputException(file + ":" + line + ": label '" + field + "' is not a class number (0, 1, ...)"
                + (isNumber(field) ? " (data.csv.label-column is " + labelColumn + ": is that the label's column? -1 is"
                    + " the last)" : line == 1 ? " (a header? set data.csv.header: true)" : ""));
          }
          if (label < 0) {
            throw new InvalidInputException(file + ":" + line + ": negative label " + label);
          }
          maxLabel = Math.max(maxLabel, label);
        } else {
          try {
            Float.parseFloat(field);
          } catch (NumberFormatException e) {
            throw new InvalidInputException(file + ":" + line + ": column " + c + " '" + field + "' is not a number"
                + (line == 1 ? " (a header? set data.csv.header: true)" : ""));
          }
        }
      }
      steps.add(clean);
    }
    if (steps.isEmpty()) {
      throw new InvalidInputException("data: the sequence file " + file + " has no time steps");
    }
    return new Sequence(index, file, steps, width, labelIndex, maxLabel);
  }

  private static boolean isNumber(String field) {
    try {
      Float.parseFloat(field);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** The sequence as a DataSet of one example, through DataVec's sequence iterator, with its masks. */
  DataSet toDataSet(Sequence s, int classes) {
    if (s.maxLabel() >= classes) {
      throw new InvalidInputException("data: " + s.file() + " has label " + s.maxLabel() + " but data.classes is "
          + classes);
    }
    SequenceRecordReaderDataSetIterator iterator = new SequenceRecordReaderDataSetIterator(
        new CollectionSequenceRecordReader(List.of(s.steps())), 1, classes, s.labelIndex());
    DataSet d = iterator.next();
    int time = s.steps().size();
    INDArray features = d.getFeatures().castTo(DataType.FLOAT);
    INDArray labels = d.getLabels().castTo(DataType.FLOAT);
    INDArray present = Nd4j.ones(DataType.FLOAT, 1, time);
    INDArray counted = present;
    if (lastStep) {
      counted = Nd4j.zeros(DataType.FLOAT, 1, time);
      counted.putScalar(0, time - 1, 1);
    }
    // Explicit masks even for full-length steps: DL4J's merge pads shorter sequences and their masks with zeros.
    return new DataSet(features, labels, present, counted);
  }
}
