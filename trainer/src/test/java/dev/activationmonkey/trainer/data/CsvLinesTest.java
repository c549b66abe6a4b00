package dev.activationmonkey.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.trainer.spec.DataSpec;
import org.junit.jupiter.api.Test;

/** CSV lines through DataVec's record reader: quoting, delimiters, label position, errors naming file and line. */
class CsvLinesTest {

  private static CsvLines lines(int labelColumn, String delimiter) {
    DataSpec spec = new DataSpec("csv", "data.csv", null, 0.25, 0, 16, 1L, "none", labelColumn, false, delimiter, 0, null);
    return new CsvLines(spec, "data.csv");
  }

  @Test
  void quotedNumbersAsSpreadsheetsExportThem() {
    Example e = lines(0, ",").parse("3,\"0.25\",0.5", 7, 41);
    assertEquals(3, e.label());
    assertArrayEquals(new float[] {0.25f, 0.5f}, e.features());
    assertEquals(41, e.index());
  }

  @Test
  void theLabelCountedFromTheEndAndAnotherDelimiter() {
    Example e = lines(-1, ";").parse("1.5;-2;\"4\";2", 1, 0);
    assertEquals(2, e.label());
    assertArrayEquals(new float[] {1.5f, -2f, 4f}, e.features());
  }

  @Test
  void aDelimiterInsideQuotesIsPartOfTheFieldAndNamedWhenItIsNotANumber() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> lines(0, ",").parse("3,\"1,5\",0.5", 12, 0));
    assertTrue(e.getMessage().contains("data.csv:12: column 1 '1,5' is not a number"), e.getMessage());
  }

  @Test
  void aHeaderLineGetsAHint() {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> lines(0, ",").parse("label,x,y", 1, 0));
    assertTrue(e.getMessage().contains("data.csv:1: label 'label' is not a class number"), e.getMessage());
    assertTrue(e.getMessage().contains("data.csv.header: true"), e.getMessage());
  }
}
