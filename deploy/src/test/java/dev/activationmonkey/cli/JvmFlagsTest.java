package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.localspark.LocalSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Java 17 flags have one source (LocalSpark's {@code java17-opens.txt}, which the launcher reads too); the copies
 * that cannot read it, the root pom's {@code java17.opens} (the test JVMs) and the OPENS line users paste from
 * docs/trainer.md, must say the same.
 */
class JvmFlagsTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent(); // tests run in deploy/

  private static List<String> opens(String text) {
    return Arrays.stream(text.trim().split("\\s+")).filter(f -> f.startsWith("--add-opens=")).toList();
  }

  private static String group(Pattern pattern, Path file) throws IOException {
    Matcher m = pattern.matcher(Files.readString(file));
    assertTrue(m.find(), pattern + " in " + file);
    return m.group(1);
  }

  @Test
  void theListHasTheFlagsSparkAndNd4jNeed() {
    assertEquals(11, LocalSpark.JAVA17_OPENS.size(), LocalSpark.JAVA17_OPENS.toString());
    assertTrue(LocalSpark.JAVA17_OPENS.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"));
  }

  @Test
  void thePomsTestJvmsGetTheSameFlags() throws IOException {
    String pom = group(Pattern.compile("<java17.opens>([^<]*)</java17.opens>"), ROOT.resolve("pom.xml"));
    assertEquals(LocalSpark.JAVA17_OPENS, opens(pom), "pom.xml java17.opens vs java17-opens.txt");
  }

  @Test
  void theDocsOpensLineHasTheSameFlags() throws IOException {
    String docs = group(Pattern.compile("(?m)^OPENS=\"([^\"]*)\""), ROOT.resolve("docs/trainer.md"));
    assertEquals(LocalSpark.JAVA17_OPENS, opens(docs), "docs/trainer.md OPENS vs java17-opens.txt");
  }
}
