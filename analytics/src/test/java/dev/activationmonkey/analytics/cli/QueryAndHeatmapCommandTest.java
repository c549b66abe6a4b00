package dev.activationmonkey.analytics.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.activationmonkey.analytics.TestLogs;
import dev.activationmonkey.analytics.TestLogs.Layer;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueryAndHeatmapCommandTest {
  @TempDir
  Path root;

  @BeforeEach
  void log() {
    TestLogs.writeRun(root, "r1", 40, 2, 0, List.of(Layer.healthy(0).zeroFraction("i / 40.0"),
        Layer.healthy(1).firingRate("CASE WHEN k < 3 THEN 0.0 ELSE 0.3 END")));
  }

  @Test
  void queryPrintsTableCsvAndJson() throws Exception {
    String sql = "SELECT layer_index, count(*) AS n FROM activations GROUP BY 1 ORDER BY 1";
    CliRun table = CliRun.of(new QueryCommand(), "--data", root.toString(), sql);
    assertEquals(0, table.exitCode(), table.err());
    assertTrue(table.out().contains("layer_index   n"), table.out());
    assertTrue(table.out().contains("(2 rows)"), table.out());

    CliRun csv = CliRun.of(new QueryCommand(), "--data", root.toString(), "--format", "csv", sql);
    assertEquals("layer_index,n\r\n0,80\r\n1,80\r\n", csv.out());

    CliRun json = CliRun.of(new QueryCommand(), "--data", root.toString(), "--format", "json",
        "SELECT layer_name, firing_rate FROM activations WHERE layer_index = 1 AND iteration = 0 LIMIT 1");
    JsonNode node = new ObjectMapper().readTree(json.out());
    assertEquals("dense1", node.get(0).get("layer_name").asText());
    assertEquals(10, node.get(0).get("firing_rate").size());
    assertEquals(0.0, node.get(0).get("firing_rate").get(0).asDouble());
  }

  @Test
  void queryRefusesWritesWithExitTwo() {
    Path target = root.resolve("copy.parquet");
    CliRun run = CliRun.of(new QueryCommand(), "--data", root.toString(),
        "COPY (SELECT * FROM snapshots) TO '" + target + "'");
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("read-only"), run.err());
    assertTrue(Files.notExists(target));
    CliRun typo = CliRun.of(new QueryCommand(), "--data", root.toString(), "SELECT nope FROM snapshots");
    assertEquals(2, typo.exitCode());
    assertTrue(typo.err().contains("nope"), typo.err());
  }

  @Test
  void heatmapsArePngsWithContent() throws Exception {
    for (String metric : List.of("sparsity", "gradient-norm", "firing-rate")) {
      Path png = root.resolve(metric + ".png");
      CliRun run = CliRun.of(new HeatmapCommand(), "--data", root.toString(), "--run", "r1", "--metric", metric,
          "--layer", "1", "--out", png.toString());
      assertEquals(0, run.exitCode(), run.err());
      BufferedImage image = ImageIO.read(png.toFile());
      assertTrue(image.getWidth() > 700 && image.getHeight() > 200);
      Set<Integer> colours = new HashSet<>();
      for (int x = 0; x < image.getWidth(); x += 3) {
        for (int y = 0; y < image.getHeight(); y += 3) {
          colours.add(image.getRGB(x, y));
        }
      }
      assertTrue(colours.size() > 20, metric + " has " + colours.size() + " colours");
    }
    CliRun noLayer = CliRun.of(new HeatmapCommand(), "--data", root.toString(), "--run", "r1", "--metric",
        "firing-rate", "--out", root.resolve("x.png").toString());
    assertEquals(2, noLayer.exitCode());
    assertTrue(noLayer.err().contains("--layer"), noLayer.err());
    CliRun unknownRun = CliRun.of(new HeatmapCommand(), "--data", root.toString(), "--run", "zz", "--out",
        root.resolve("y.png").toString());
    assertEquals(2, unknownRun.exitCode());
    assertTrue(Files.notExists(root.resolve("y.png")));
  }
}
