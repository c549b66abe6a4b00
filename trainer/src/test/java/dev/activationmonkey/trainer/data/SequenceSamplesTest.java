package dev.activationmonkey.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SequenceSamplesTest {
  @TempDir
  Path dir;

  @Test
  void sequencesOfDifferentLengthsWhoseFirstStepTellsTheClass() throws Exception {
    SequenceSamples.Written written = SequenceSamples.write(dir, 60, 3);
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.sorted().toList();
    }
    assertEquals(60, files.size());
    assertEquals("seq-00000.csv", files.get(0).getFileName().toString());
    long steps = 0;
    Set<Integer> lengths = new TreeSet<>();
    Set<String> classes = new TreeSet<>();
    for (Path f : files) {
      List<String> lines = Files.readAllLines(f);
      steps += lines.size();
      lengths.add(lines.size());
      String label = lines.get(0).substring(lines.get(0).lastIndexOf(',') + 1);
      classes.add(label);
      String[] first = lines.get(0).split(",");
      int cue = Integer.parseInt(label);
      for (int feature = 0; feature < 3; feature++) {
        assertTrue(feature == cue ? Double.parseDouble(first[feature]) > 0.5 : Double.parseDouble(first[feature]) < 0.5,
            f + ": the first step's feature " + feature + " tells class " + cue);
      }
      for (String line : lines) {
        assertEquals(4, line.split(",").length, f + ": 3 features and the class");
        assertTrue(line.endsWith("," + label), f + ": the class on every line");
      }
    }
    assertEquals(steps, written.steps());
    assertTrue(lengths.stream().allMatch(l -> l >= 4 && l <= 12) && lengths.size() > 3, "lengths " + lengths);
    assertEquals(Set.of("0", "1", "2"), classes);
    assertEquals("--out: " + dir + " already holds sequence files (seq-*.csv); choose an empty directory",
        assertThrows(InvalidInputException.class, () -> SequenceSamples.write(dir, 5, 3)).getMessage());
  }
}
