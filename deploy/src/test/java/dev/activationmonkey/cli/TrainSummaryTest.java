package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.trainer.RunResult;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo learns a spark-submitted trainer's counts from RunResult.summary() as the driver prints it. */
class TrainSummaryTest {
  @Test
  void readsTheCountsBackFromTheTrainersOwnSummary() {
    RunResult result = new RunResult("mnist-mlp-demo-20261130-045440-fa4183", RunStatus.SUCCEEDED, 2, 1_240, 79_360,
        39_680, -1, -1, 12_504, 3, 42, 40, 2, 0, 0.925, 0.2426, List.of(Path.of("/tmp/c.zip")), 81_300);
    String output = "run mnist-mlp-demo-20261130-045440-fa4183: training network 256-128-10 ...\n"
        + "epoch 2/2  iteration 240  410 samples/s\n" + result.summary() + "\n";

    TrainSummary summary = TrainSummary.parse(output).orElseThrow();

    assertEquals(new TrainSummary("mnist-mlp-demo-20261130-045440-fa4183", 2, 1_240, 12_504, 42, 40, 2), summary);
  }

  @Test
  void noSummaryNoCounts() {
    assertTrue(TrainSummary.parse("run x: training network 16-10\nmonkey train: internal error").isEmpty());
  }
}
