package dev.activationmonkey.trainer.data;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.trainer.spec.DataSpec;
import java.io.Serializable;
import java.util.List;
import org.datavec.api.records.reader.impl.csv.CSVRecordReader;
import org.datavec.api.writable.Writable;
import org.datavec.spark.transform.misc.StringToWritablesFunction;

/**
 * Parses CSV lines of a {@link DataSpec} with DataVec's {@link CSVRecordReader} (through datavec-spark's
 * {@link StringToWritablesFunction}, the way DataVec reads text files in Spark: quoted fields, the delimiter inside
 * quotes), then into one label column and numeric features, with errors naming the file and line.
 */
final class CsvLines implements Serializable {
  private static final long serialVersionUID = 1L;
  private final int labelColumn;
  private final String file;
  private final StringToWritablesFunction reader;

  CsvLines(DataSpec spec, String file) {
    this.labelColumn = spec.labelColumn();
    this.file = file;
    this.reader = new StringToWritablesFunction(new CSVRecordReader(0, spec.delimiter().charAt(0)));
  }

  /** The example on line {@code lineNumber} (1-based), numbered {@code index} among the file's examples. */
  Example parse(String line, long lineNumber, long index) {
    List<Writable> record;
    try {
      record = reader.call(line);
    } catch (Exception e) {
      throw new InvalidInputException(file + ":" + lineNumber + ": not a CSV record (" + e.getMessage() + ")", e);
    }
    String[] fields = new String[record.size()];
    for (int i = 0; i < fields.length; i++) {
      fields[i] = record.get(i).toString();
    }
    int width = fields.length;
    if (width < 2) {
      throw new InvalidInputException(file + ":" + lineNumber + ": need a label and at least one feature column");
    }
    int labelIndex = labelColumn >= 0 ? labelColumn : width + labelColumn;
    if (labelIndex < 0 || labelIndex >= width) {
      throw new InvalidInputException("data.csv.label-column: " + labelColumn + " is outside the " + width
          + " columns of " + file);
    }
    int label;
    try {
      label = Integer.parseInt(fields[labelIndex].trim());
    } catch (NumberFormatException e) {
      throw new InvalidInputException(file + ":" + lineNumber + ": label '" + fields[labelIndex]
          + "' is not a class number (0, 1, ...)" + (lineNumber == 1 ? " (a header? set data.csv.header: true)" : ""));
    }
    if (label < 0) {
      throw new InvalidInputException(file + ":" + lineNumber + ": negative label " + label);
    }
    float[] features = new float[width - 1];
    for (int c = 0, f = 0; c < width; c++) {
      if (c == labelIndex) {
        continue;
      }
      try {
        features[f++] = Float.parseFloat(fields[c].trim());
      } catch (NumberFormatException e) {
        throw new InvalidInputException(file + ":" + lineNumber + ": column " + c + " '" + fields[c]
            + "' is not a number" + (lineNumber == 1 ? " (a header? set data.csv.header: true)" : ""));
      }
    }
    return new Example(index, features, label);
  }
}
