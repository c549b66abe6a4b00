package dev.activationmonkey.analytics.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.activationmonkey.analytics.report.LearningRateChanges.Change;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LearningRateChangesTest {

  private static String spec(String schedule) {
    return "name: lr\nnetwork:\n  updater:\n    type: sgd\n    learning-rate: 0.1\n    schedule: " + schedule + "\n";
  }

  @Test
  void aMapScheduleJumpsAtItsKeysWhereTheRateChanges() {
    LearningRateChanges c = LearningRateChanges.of(spec("{type: map, values: {0: 0.01, 30: 5.0, 60: 5.0, 90: 0.5}}"),
        100, Map.of());
    assertEquals(List.of(new Change(30, 0.01, 5.0, 500), new Change(90, 5.0, 0.5, 0.1)), c.changes());
  }

  @Test
  void aStepScheduleJumpsEveryStepUpToTheLastIteration() {
    LearningRateChanges c = LearningRateChanges.of(spec("{type: step, decay: 0.5, step: 40}"), 100, Map.of());
    assertEquals(List.of(40L, 80L), c.changes().stream().map(Change::iteration).toList());
    assertEquals(0.05, c.changes().get(0).to(), 1e-12);
    assertEquals(0.025, c.changes().get(1).to(), 1e-12);
  }

  @Test
  void anEpochScheduleJumpsAtTheEpochsFirstIteration() {
    // epoch 0 ends at iteration 50, epoch 1 at 100: epoch 2 starts at 100; epoch 3's start is not known
    LearningRateChanges c = LearningRateChanges.of(
        spec("{type: map, unit: epoch, values: {0: 0.01, 2: 1.0, 4: 2.0}}"), 300, Map.of(0, 50L, 1, 100L));
    assertEquals(List.of(new Change(100, 0.01, 1.0, 100)), c.changes());
  }

  @Test
  void continuousSchedulesNoScheduleAndUnreadableSpecsMarkNothing() {
    assertEquals(List.of(), LearningRateChanges.of(spec("{type: exponential, decay: 0.99}"), 100, Map.of()).changes());
    assertEquals(List.of(), LearningRateChanges.of("name: x\n", 100, Map.of()).changes());
    assertEquals(List.of(), LearningRateChanges.of("network: [unclosed", 100, Map.of()).changes());
    assertEquals(List.of(), LearningRateChanges.of(null, 100, Map.of()).changes());
  }

  @Test
  void anOnsetIsSetAgainstAJumpInItsWindowOrTheTwoBefore() {
    LearningRateChanges c = LearningRateChanges.of(spec("{type: map, values: {0: 0.01, 33: 5.0}}"), 100, Map.of());
    Onset inWindow = c.annotate(new Onset(30, 39, true), 10);
    assertEquals("from iteration 30 (window 30-39) to the end, right after the learning rate's rise from 0.01 to 5 "
        + "at iteration 33", inWindow.describe());
    assertEquals("the learning rate's rise from 0.01 to 5 at iteration 33", c.annotate(new Onset(40, 49, true), 10).after());
    assertEquals("the learning rate's rise from 0.01 to 5 at iteration 33", c.annotate(new Onset(50, 59, true), 10).after());
    // long after the jump, or before it: nothing to say
    assertNull(c.annotate(new Onset(60, 69, true), 10).after());
    assertNull(c.annotate(new Onset(20, 29, false), 10).after());
    Onset none = new Onset(5, 9, true);
    assertSame(none, LearningRateChanges.NONE.annotate(none, 10));
  }
}
