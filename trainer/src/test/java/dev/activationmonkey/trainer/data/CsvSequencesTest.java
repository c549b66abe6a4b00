package dev.activationmonkey.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.trainer.spec.DataSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

class CsvSequencesTest {
  @TempDir
  Path dir;

  private static CsvSequences reader(int labelColumn, boolean header, String delimiter, String labels) {
    return new CsvSequences(new DataSpec("csv-sequences", "seq", null, 0.2, 0, 16, 1L, "none", labelColumn, header,
        delimiter, 0, labels));
  }

  private String file(String name, String text) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p.toString();
  }

  private static final HadoopConf CONF = new HadoopConf(new Configuration());

  @Test
  void readsStepsThroughDataVecAndBuildsOneExampleWithMasks() throws Exception {
    String f = file("a.csv", "x,y,label\n0.5,1.5,2\n\n-1,2,2\n3,4,1\n");
    CsvSequences.Sequence s = reader(-1, true, ",", "per-step").read(4, f, CONF);
    assertEquals(3, s.steps().size(), "a header and a blank line are no steps");
    assertEquals(3, s.width());
    assertEquals(2, s.labelIndex());
    assertEquals(2, s.maxLabel());
    assertEquals(4, s.index());

    DataSet perStep = reader(-1, true, ",", "per-step").toDataSet(s, 3);
    assertArrayEquals(new long[] {1, 2, 3}, perStep.getFeatures().shape());
    assertArrayEquals(new long[] {1, 3, 3}, perStep.getLabels().shape());
    assertEquals(-1.0, perStep.getFeatures().getDouble(0, 0, 1), 1e-6, "feature x at step 1");
    assertEquals(4.0, perStep.getFeatures().getDouble(0, 1, 2), 1e-6, "feature y at step 2");
    assertEquals(1.0, perStep.getLabels().getDouble(0, 2, 0), 1e-6, "one-hot class 2 at step 0");
    assertEquals(1.0, perStep.getLabels().getDouble(0, 1, 2), 1e-6, "one-hot class 1 at step 2");
    assertArrayEquals(new float[] {1, 1, 1}, perStep.getFeaturesMaskArray().toFloatVector());
    assertArrayEquals(new float[] {1, 1, 1}, perStep.getLabelsMaskArray().toFloatVector());

    DataSet lastStep = reader(-1, true, ",", "last-step").toDataSet(s, 3);
    assertArrayEquals(new float[] {1, 1, 1}, lastStep.getFeaturesMaskArray().toFloatVector());
    assertArrayEquals(new float[] {0, 0, 1}, lastStep.getLabelsMaskArray().toFloatVector(), "only the last label counts");
  }

  @Test
  void spacesAroundFieldsAreAcceptedAndConvertedToo() throws Exception {
    // DataVec parses a label without trimming: what passes the check on the driver must convert on the executor.
    String f = file("spaced.csv", "0.5, 1.5, 2\n -1 , 2 , 1 \n");
    CsvSequences.Sequence s = reader(-1, false, ",", "per-step").read(0, f, CONF);
    DataSet d = reader(-1, false, ",", "per-step").toDataSet(s, 3);
    assertEquals(1.0, d.getLabels().getDouble(0, 2, 0), 1e-6, "class 2 at step 0");
    assertEquals(1.0, d.getLabels().getDouble(0, 1, 1), 1e-6, "class 1 at step 1");
    assertEquals(-1.0, d.getFeatures().getDouble(0, 0, 1), 1e-6);
  }

  @Test
  void labelColumnAndDelimiterAreTheCsvSettings() throws Exception {
    String f = file("b.csv", "1|0.25|0.5\n0|1|2\n");
    CsvSequences.Sequence s = reader(0, false, "|", "per-step").read(0, f, CONF);
    assertEquals(0, s.labelIndex());
    DataSet d = reader(0, false, "|", "per-step").toDataSet(s, 2);
    assertEquals(0.5, d.getFeatures().getDouble(0, 1, 0), 1e-6);
    assertEquals(1.0, d.getLabels().getDouble(0, 1, 0), 1e-6);
  }

  @Test
  void errorsNameTheFileAndLine() throws Exception {
    CsvSequences r = reader(-1, false, ",", "per-step");
    String ragged = file("ragged.csv", "1,2,0\n1,0\n");
    assertEquals(ragged + ":2: 2 columns, expected 3 (every step of a sequence has the same columns)",
        assertThrows(InvalidInputException.class, () -> r.read(0, ragged, CONF)).getMessage());
    String text = file("text.csv", "1,x,0\n");
    assertEquals(text + ":1: column 1 'x' is not a number (a header? set data.csv.header: true)",
        assertThrows(InvalidInputException.class, () -> r.read(0, text, CONF)).getMessage());
    String label = file("label.csv", "1,2,0\n1,2,one\n");
    assertEquals(label + ":2: label 'one' is not a class number (0, 1, ...)",
        assertThrows(InvalidInputException.class, () -> r.read(0, label, CONF)).getMessage());
    String column = file("column.csv", "0.5,1,2\n");
    assertEquals(column + ":1: label '0.5' is not a class number (0, 1, ...) (data.csv.label-column is 0: is that the"
        + " label's column? -1 is the last)",
        assertThrows(InvalidInputException.class, () -> reader(0, false, ",", "per-step").read(0, column, CONF))
            .getMessage());
    String empty = file("empty.csv", "\n");
    assertEquals("data: the sequence file " + empty + " has no time steps",
        assertThrows(InvalidInputException.class, () -> r.read(0, empty, CONF)).getMessage());
    CsvSequences.Sequence s = r.read(0, file("ok.csv", "1,2,4\n"), CONF);
    assertEquals("data: " + dir.resolve("ok.csv") + " has label 4 but data.classes is 3",
        assertThrows(InvalidInputException.class, () -> r.toDataSet(s, 3)).getMessage());
  }
}
