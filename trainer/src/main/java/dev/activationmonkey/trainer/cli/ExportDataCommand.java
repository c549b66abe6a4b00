package dev.activationmonkey.trainer.cli;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.trainer.data.DataSetExport;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code monkey data export}: writes a job's examples, read, split, normalised and batched as training would, as
 * directories of DL4J DataSet files (one mini-batch each) that {@code data.format: datasets} trains on.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Write a job's data as pre-batched DL4J DataSet files (train/ and test/ under --out), read and "
        + "written by the Spark executors; train on them with data.format: datasets.",
        "--out is any Hadoop file system URI (file:, hdfs://, s3a:// ...) or a local path; it must not exist yet."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:written", "1:internal error", "2:invalid job spec, option or output", "4:Spark unreachable"})
public final class ExportDataCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, paramLabel = "JOB.yaml", description = "The job spec whose data section is "
      + "exported (default: the bundled demo job).")
  Path config;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where train/ and test/ go.")
  String out;

  @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: training.master or local[workers]).")
  String master;

  @Override
  public Integer call() {
    JobSpec spec = (config == null ? JobSpec.demo() : JobSpec.load(config))
        .withOverrides(new JobSpec.Overrides(null, null, master, null));
    DataSetExport.Result result = DataSetExport.run(spec, out, System.out);
    System.out.println(result.summary());
    return ExitCode.OK;
  }
}
