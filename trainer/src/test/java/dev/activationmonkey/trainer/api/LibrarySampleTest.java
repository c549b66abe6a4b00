package dev.activationmonkey.trainer.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The library's code sample in docs/trainer.md is compiled code: every line of it is in examples/own-spark-job, in
 * order (ExampleProjectIT builds and runs that project).
 */
class LibrarySampleTest {
  @Test
  void theDocumentedSampleIsTheExampleProjectsCode() throws Exception {
    Path root = Path.of(System.getProperty("monkey.project.root"));
    List<String> doc = Files.readAllLines(root.resolve("docs/trainer.md"));
    int marker = doc.indexOf("<!-- library-sample -->");
    assertTrue(marker >= 0 && doc.get(marker + 1).equals("```java"), "docs/trainer.md has the marked sample");
    List<String> source = Files.readAllLines(
        root.resolve("examples/own-spark-job/src/main/java/com/example/ownjob/OwnSparkJob.java"));
    int at = 0;
    int lines = 0;
    for (String line : doc.subList(marker + 2, doc.size())) {
      if (line.equals("```")) {
        break;
      }
      int found = source.subList(at, source.size()).indexOf(line);
      assertTrue(found >= 0, "the sample's line is in OwnSparkJob.java (after line " + at + "): '" + line + "'");
      at += found + 1;
      lines++;
    }
    assertTrue(lines >= 10, "the sample has its lines: " + lines);
  }
}
