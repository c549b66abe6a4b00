package dev.activationmonkey.trainer.data;

import org.nd4j.linalg.dataset.DataSet;

/**
 * Training and test examples, normalised, with what the RunStart record reports about them.
 *
 * @param source a description of where the examples came from
 */
public record LoadedData(DataSet train, DataSet test, int features, int classes, String source) {
  public long trainExamples() {
    return train.numExamples();
  }

  public long testExamples() {
    return test == null ? 0 : test.numExamples();
  }
}
