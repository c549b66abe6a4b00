package dev.activationmonkey.trainer.cli;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.trainer.data.SequenceSamples;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code monkey data sequences}: writes the small generated sequence set ({@link SequenceSamples}). */
@Command(name = "sequences", mixinStandardHelpOptions = true,
    description = {"Write a small generated sequence set for data.format: csv-sequences: one CSV file per sequence "
        + "(seq-00000.csv, ...), a line per time step with 3 features and the class (0-2) last; sequences of 4 to 12 "
        + "steps whose class only their first step tells (a task that needs memory; chance accuracy 1/3).",
        "conf/jobs/sequences-lstm.yaml trains an LSTM on it: monkey data sequences --out sequences"},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:written", "1:internal error", "2:invalid option or output directory"})
public final class SequenceSamplesCommand implements Callable<Integer> {
  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The directory (created; it must not"
      + " hold seq-*.csv files yet).")
  Path out;

  @Option(names = "--count", paramLabel = "N", defaultValue = "300", description = "Sequences (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "7", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() {
    SequenceSamples.Written written = SequenceSamples.write(out, count, seed);
    System.out.printf("wrote %,d sequences (%,d time steps) to %s%n", written.sequences(), written.steps(), out);
    return ExitCode.OK;
  }
}
