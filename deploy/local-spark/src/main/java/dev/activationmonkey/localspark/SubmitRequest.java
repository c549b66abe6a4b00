package dev.activationmonkey.localspark;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.errors.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What {@link LocalSpark#submit(SubmitRequest)} runs: {@code spark-submit --class MAIN APP.jar ARGS...} with the
 * executors' size and any {@code --conf} settings.
 */
public final class SubmitRequest {
  private final Path appJar;
  private final String mainClass;
  private final List<String> args;
  private final Map<String, String> conf;
  private final String name;
  private final int executorCores;
  private final int totalExecutorCores;
  private final String executorMemory;
  private final String driverHeap;
  private final Duration timeout;
  private final Path workingDirectory;
  private final Consumer<String> onOutput;

  private SubmitRequest(Builder b) {
    this.appJar = b.appJar;
    this.mainClass = b.mainClass;
    this.args = List.copyOf(b.args);
    this.conf = Map.copyOf(b.conf);
    this.name = b.name != null ? b.name : mainClass.substring(mainClass.lastIndexOf('.') + 1);
    this.executorCores = b.executorCores;
    this.totalExecutorCores = b.totalExecutorCores;
    this.executorMemory = b.executorMemory;
    this.driverHeap = b.driverHeap;
    this.timeout = b.timeout;
    this.workingDirectory = b.workingDirectory;
    this.onOutput = b.onOutput;
  }

  /** A request to run {@code mainClass} from {@code appJar} (a jar with its dependencies, Spark's left out). */
  public static Builder builder(Path appJar, String mainClass) {
    return new Builder(appJar, mainClass);
  }

  public Path appJar() {
    return appJar;
  }

  public String mainClass() {
    return mainClass;
  }

  public List<String> args() {
    return args;
  }

  public Map<String, String> conf() {
    return conf;
  }

  public String name() {
    return name;
  }

  public int executorCores() {
    return executorCores;
  }

  public int totalExecutorCores() {
    return totalExecutorCores;
  }

  public String executorMemory() {
    return executorMemory;
  }

  public String driverHeap() {
    return driverHeap;
  }

  public Duration timeout() {
    return timeout;
  }

  public Path workingDirectory() {
    return workingDirectory;
  }

  public Consumer<String> onOutput() {
    return onOutput;
  }

  /** Builds a {@link SubmitRequest}. */
  public static final class Builder {
    private final Path appJar;
    private final String mainClass;
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> conf = new LinkedHashMap<>();
    private String name;
    private int executorCores = 1;
    private int totalExecutorCores = 2;
    private String executorMemory = "1g";
    private String driverHeap = "1g";
    private Duration timeout = Duration.ofMinutes(30);
    private Path workingDirectory;
    private Consumer<String> onOutput = line -> { };

    private Builder(Path appJar, String mainClass) {
      this.appJar = requireNonNull(appJar, "appJar is null");
      this.mainClass = requireNonNull(mainClass, "mainClass is null");
    }

    /** Arguments after the application jar. */
    public Builder args(String... args) {
      this.args.addAll(List.of(args));
      return this;
    }

    public Builder args(List<String> args) {
      this.args.addAll(args);
      return this;
    }

    /** A Spark property ({@code --conf key=value}), over the defaults {@link LocalSpark#submit} sets. */
    public Builder conf(String key, String value) {
      conf.put(requireNonNull(key, "key is null"), requireNonNull(value, "value is null"));
      return this;
    }

    /** The application's name in the master's UI (default: the main class's simple name). */
    public Builder name(String name) {
      this.name = requireNonNull(name, "name is null");
      return this;
    }

    /** {@code --executor-cores} (default 1). */
    public Builder executorCores(int cores) {
      if (cores < 1) {
        throw new InvalidInputException("executor cores must be at least 1, got " + cores);
      }
      this.executorCores = cores;
      return this;
    }

    /** {@code --total-executor-cores} (default 2: with one core per executor, two executors). */
    public Builder totalExecutorCores(int cores) {
      if (cores < 1) {
        throw new InvalidInputException("total executor cores must be at least 1, got " + cores);
      }
      this.totalExecutorCores = cores;
      return this;
    }

    /** {@code --executor-memory} (default {@code 1g}). */
    public Builder executorMemory(String memory) {
      this.executorMemory = LocalSpark.Builder.memorySize(memory, "executor memory");
      return this;
    }

    /** The driver's heap: in client mode the driver is the spark-submit JVM itself (default {@code 1g}). */
    public Builder driverHeap(String heap) {
      this.driverHeap = LocalSpark.Builder.memorySize(heap, "driver heap");
      return this;
    }

    /** The longest the submission may run before it is killed (default 30 minutes). */
    public Builder timeout(Duration timeout) {
      this.timeout = requireNonNull(timeout, "timeout is null");
      return this;
    }

    /** The driver's working directory (default: this process's). */
    public Builder workingDirectory(Path directory) {
      this.workingDirectory = requireNonNull(directory, "directory is null");
      return this;
    }

    /** Receives every line the driver prints to stdout, as it prints it. */
    public Builder onOutput(Consumer<String> onOutput) {
      this.onOutput = requireNonNull(onOutput, "onOutput is null");
      return this;
    }

    public SubmitRequest build() {
      if (!Files.isRegularFile(appJar)) {
        throw new InvalidInputException("the application jar " + appJar + " does not exist");
      }
      return new SubmitRequest(this);
    }
  }
}
