package dev.activationmonkey.analytics.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThresholdsTest {
  @Test
  void defaults() {
    Thresholds t = Thresholds.defaults();
    assertEquals(0.10, t.get(Thresholds.DEAD_SHARE_WARN));
    assertEquals(1e-2, t.get(Thresholds.VANISHING_WARN));
    assertEquals(10, t.get(Thresholds.WINDOWS));
    assertEquals(Thresholds.keys().size(), t.values().size());
  }

  @Test
  void fileThenFlagsOverride(@TempDir Path dir) throws Exception {
    Path rules = dir.resolve("rules.properties");
    Files.writeString(rules, "dead.share.warn=0.2\nsaturation.warn=0.6\n");
    Thresholds t = Thresholds.load(rules, Map.of("saturation.warn", "0.7"));
    assertEquals(0.2, t.get(Thresholds.DEAD_SHARE_WARN));
    assertEquals(0.7, t.get(Thresholds.SATURATION_WARN));
  }

  @Test
  void invalidValuesNameTheKey() {
    InvalidInputException unknown = assertThrows(InvalidInputException.class,
        () -> Thresholds.load(null, Map.of("dead.warn", "0.1")));
    assertTrue(unknown.getMessage().contains("dead.warn") && unknown.getMessage().contains("dead.share.warn"));
    InvalidInputException range = assertThrows(InvalidInputException.class,
        () -> Thresholds.load(null, Map.of("dead.share.warn", "1.5")));
    assertTrue(range.getMessage().contains("dead.share.warn"), range.getMessage());
    InvalidInputException text = assertThrows(InvalidInputException.class,
        () -> Thresholds.load(null, Map.of("windows", "ten")));
    assertTrue(text.getMessage().contains("windows"), text.getMessage());
    InvalidInputException order = assertThrows(InvalidInputException.class,
        () -> Thresholds.load(null, Map.of("dead.share.warn", "0.6")));
    assertTrue(order.getMessage().contains("dead.share.error"), order.getMessage());
    assertThrows(InvalidInputException.class, () -> Thresholds.load(Path.of("/no/such/rules"), Map.of()));
  }
}
