package dev.activationmonkey.collector.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class DataFileNameTest {
  @Test
  void formatsAndParsesTopicPartitionAndOffsetRange() {
    DataFileName name = new DataFileName("monkey.snapshots", 3, 1200, 2399);
    assertEquals("monkey.snapshots+3+1200+2399.parquet", name.format());
    assertEquals(Optional.of(name), DataFileName.parse(name.format()));
  }

  @Test
  void ignoresNamesThatAreNotDataFiles() {
    assertTrue(DataFileName.parse("part-0.parquet").isEmpty());
    assertTrue(DataFileName.parse("t+1+2+3.parquet.tmp").isEmpty());
    assertTrue(DataFileName.parse("t+x+2+3.parquet").isEmpty());
    assertTrue(DataFileName.parse("t+1+5+3.parquet").isEmpty(), "last before first");
    assertTrue(DataFileName.parse("+1+2+3.parquet").isEmpty());
  }

  @Test
  void rejectsBadRanges() {
    assertThrows(IllegalArgumentException.class, () -> new DataFileName("t", 0, -1, 3));
    assertThrows(IllegalArgumentException.class, () -> new DataFileName("t", 0, 5, 4));
  }
}
