package dev.activationmonkey.localspark;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.errors.ServiceUnavailableException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on this machine, from the Maven Central jars that {@code deploy/local-spark} lists in
 * {@code target/spark-classpath.txt}: one master and N workers, each its own JVM on 127.0.0.1 and free ports; every
 * worker launches the executors of an application as JVMs of their own, as on a real cluster. No Spark installation,
 * no Docker, nothing downloaded.
 *
 * <p>Everything lives in the state directory: a generated Spark home ({@code spark-home/jars} links to Spark's runtime
 * jars — spark-core, spark-sql and their dependencies, Scala 2.12, never an application's — and {@code spark-home/conf}
 * holds the log configuration), the daemons' output ({@code master.log}, {@code worker-N.log}), each worker's work
 * directory with its executors' logs ({@code worker-N/<app-id>/<executor-id>/stderr}), the output of every submission
 * ({@code submit-*.log}) and {@code cluster.pids} / {@code cluster.ports}. Every JVM it starts carries
 * {@code -Dmonkey.spark.statedir=<dir>}, so {@link #stop()} ends only what this state directory started, also from
 * another process.
 *
 * <p>{@link #submit(SubmitRequest)} runs spark-submit's own entry point, {@code org.apache.spark.deploy.SparkSubmit},
 * as a child JVM in client deploy mode (the driver is that JVM) and returns its exit code and output.
 *
 * <pre>{@code
 * LocalSpark cluster = LocalSpark.builder().stateDir(Path.of(".monkey/spark")).workers(2).build().start();
 * SubmitResult result = cluster.submit(SubmitRequest.builder(appJar, "com.example.Main").args("--config", "job.yaml").build());
 * cluster.stop();   // executors, workers, master, and any submission still running
 * }</pre>
 */
public final class LocalSpark implements AutoCloseable {
  /** System property (set by the build for tests) naming the file that lists Spark's runtime jars. */
  public static final String CLASSPATH_PROPERTY = "monkey.spark.classpath";
  /** Environment variable the {@code monkey} launcher sets to the same file. */
  public static final String CLASSPATH_ENV = "MONKEY_SPARK_CLASSPATH";
  /** The Scala binary version of Spark's jars; the workers' executor launcher asks for it. */
  public static final String SCALA_BINARY_VERSION = "2.12";

  /** Where {@link #JAVA17_OPENS} comes from: the project's one list, also read by the {@code monkey} launcher. */
  public static final String JAVA17_OPENS_RESOURCE = "java17-opens.txt";

  /** The Java 17 flags Spark and ND4J need. */
  public static final List<String> JAVA17_OPENS = readFlags(JAVA17_OPENS_RESOURCE);

  /**
   * What the driver and the executors of a training job run with besides {@link #JAVA17_OPENS}: the JDK's vector API
   * (the snapshot listener's SIMD statistics) and the Aeron timeout that gradient sharing needs.
   */
  public static final List<String> TRAINING_JVM_FLAGS = List.of(
      "--add-modules=jdk.incubator.vector", "-Daeron.publication.unblock.timeout=60000000000");

  static final String MARKER_PROPERTY = "monkey.spark.statedir";
  static final String EXECUTOR_MAIN = "org.apache.spark.executor.CoarseGrainedExecutorBackend";
  private static final String PIDS_FILE = "cluster.pids";
  private static final String PORTS_FILE = "cluster.ports";
  private static final Pattern ALIVE_WORKERS = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");
  private static final DateTimeFormatter SUBMIT_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS").withZone(ZoneOffset.UTC);

  private final Path stateDir;
  private final Path classpathFile;
  private final int workers;
  private final int coresPerWorker;
  private final String workerMemory;
  private final String daemonHeap;
  private final Duration startTimeout;
  private final Set<Process> submissions = ConcurrentHashMap.newKeySet();

  private LocalSpark(Builder builder) {
    this.stateDir = builder.stateDir.toAbsolutePath().normalize();
    this.classpathFile = builder.classpathFile;
    this.workers = builder.workers;
    this.coresPerWorker = builder.coresPerWorker;
    this.workerMemory = builder.workerMemory;
    this.daemonHeap = builder.daemonHeap;
    this.startTimeout = builder.startTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the master and the workers unless this state directory's cluster already runs, and waits until the
   * master reports every worker alive. A partly running cluster (a crashed earlier start) is stopped first.
   *
   * @throws ServiceUnavailableException if the workers do not register within the start timeout (the message
   *     carries the end of the daemons' logs)
   */
  public synchronized LocalSpark start() {
    Map<String, ProcessHandle> running = daemons();
    if (running.size() == workers + 1) {
      awaitWorkers();
      return this;
    }
    stop();
    try {
      Files.createDirectories(stateDir);
      Path home = prepareSparkHome();
      int[] ports = freePorts(2 + 2 * workers);
      Map<String, Long> pids = new LinkedHashMap<>();
      Process master = launch("master", home, List.of("org.apache.spark.deploy.master.Master",
          "--host", "127.0.0.1", "--port", String.valueOf(ports[0]), "--webui-port", String.valueOf(ports[1])),
          stateDir.resolve("master.log"), daemonHeap);
      pids.put("master", master.pid());
      writePids(pids);
      Files.writeString(stateDir.resolve(PORTS_FILE), ports[0] + "," + ports[1]);
      for (int i = 1; i <= workers; i++) {
        Path workDir = stateDir.resolve("worker-" + i);
        deleteRecursively(workDir);
        Files.createDirectories(workDir);
        Process worker = launch("worker-" + i, home, List.of("org.apache.spark.deploy.worker.Worker",
            "--host", "127.0.0.1", "--port", String.valueOf(ports[2 * i]),
            "--webui-port", String.valueOf(ports[2 * i + 1]), "--cores", String.valueOf(coresPerWorker),
            "--memory", workerMemory, "--work-dir", workDir.toString(), "spark://127.0.0.1:" + ports[0]),
            stateDir.resolve("worker-" + i + ".log"), daemonHeap);
        pids.put("worker-" + i, worker.pid());
        writePids(pids);
      }
      awaitWorkers();
      return this;
    } catch (IOException e) {
      stop();
      throw new UncheckedIOException("cannot start the Spark cluster in " + stateDir, e);
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
  }

  /**
   * Stops everything this state directory started: submissions still running (their drivers), the executors, the
   * workers and the master (SIGTERM, then SIGKILL after 20 s), and waits until every process has ended; then deletes
   * the copies of application jars the executors fetched into the work directories (their logs stay). Does nothing
   * else if nothing runs.
   */
  public synchronized void stop() {
    List<ProcessHandle> all = new ArrayList<>();
    for (Process submission : submissions) {
      all.add(submission.toHandle());
      submission.toHandle().descendants().forEach(all::add);
    }
    Map<String, ProcessHandle> daemons = daemons();
    // Executors first (children of the workers), then the workers, then the master.
    daemons.values().forEach(handle -> handle.descendants().forEach(all::add));
    List<ProcessHandle> ordered = new ArrayList<>(daemons.values());
    java.util.Collections.reverse(ordered);
    all.addAll(ordered);
    terminate(all);
    submissions.clear();
    try {
      Files.deleteIfExists(stateDir.resolve(PIDS_FILE));
      deleteFetchedJars();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every executor fetches the application's jars into its work directory ({@code worker-N/<app-id>/<executor-id>/}):
   * hundreds of MB per executor for a training job. Once nothing runs, they go; the executors' logs stay.
   */
  private void deleteFetchedJars() throws IOException {
    if (!Files.isDirectory(stateDir)) {
      return;
    }
    try (Stream<Path> workers = Files.list(stateDir)) {
      for (Path worker : workers.filter(p -> p.getFileName().toString().matches("worker-\\d+")
          && Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList()) {
        try (Stream<Path> files = Files.find(worker, 3, (path, attributes) -> attributes.isRegularFile()
            && path.getFileName().toString().endsWith(".jar"))) {
          for (Path jar : files.toList()) {
            Files.deleteIfExists(jar);
          }
        }
      }
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** Whether the master and every worker of this state directory run. */
  public boolean isRunning() {
    return daemons().size() == workers + 1;
  }

  /** {@code spark://127.0.0.1:<port>}. */
  public String masterUrl() {
    return "spark://127.0.0.1:" + ports()[0];
  }

  /** The master's web UI ({@code /json/} gives the cluster's state as JSON). */
  public URI masterWebUi() {
    return URI.create("http://127.0.0.1:" + ports()[1] + "/");
  }

  public Path stateDir() {
    return stateDir;
  }

  public int workers() {
    return workers;
  }

  /** The daemons' process ids by role: {@code master}, {@code worker-1}, ... (only live ones). */
  public Map<String, Long> pids() {
    Map<String, Long> pids = new LinkedHashMap<>();
    daemons().forEach((role, handle) -> pids.put(role, handle.pid()));
    return pids;
  }

  /** The executor JVMs ({@code CoarseGrainedExecutorBackend}) the workers run now, of every application. */
  public List<ProcessHandle> executorProcesses() {
    List<ProcessHandle> executors = new ArrayList<>();
    daemons().forEach((role, handle) -> {
      if (role.startsWith("worker-")) {
        handle.children()
            .filter(child -> child.info().arguments().map(a -> List.of(a).contains(EXECUTOR_MAIN)).orElse(false))
            .forEach(executors::add);
      }
    });
    return executors;
  }

  /**
   * Runs {@code org.apache.spark.deploy.SparkSubmit} in client deploy mode as a child JVM against this cluster and
   * waits for it. Its stdout is returned (and given, line by line, to the request's listener); stdout and stderr
   * both go to {@code submit-<time>.log} in the state directory. The driver JVM and the executors get
   * {@link #JAVA17_OPENS} and {@link #TRAINING_JVM_FLAGS}, the executors one OpenMP thread
   * ({@code OMP_NUM_THREADS=1}), and everything binds to 127.0.0.1.
   *
   * @throws ServiceUnavailableException if the cluster does not run, or the submission outlives its timeout (then
   *     it is killed with its children)
   */
  /**
   * The Spark configuration a driver on this machine needs for this cluster's executors (besides the master URL and
   * the application's jars): loopback driver address, the executors' JVM flags and environment, and waiting for every
   * executor before the first job.
   */
  public Map<String, String> clientConf() {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.driver.host", "127.0.0.1");
    conf.put("spark.driver.bindAddress", "127.0.0.1");
    conf.put("spark.executor.extraJavaOptions",
        String.join(" ", JAVA17_OPENS) + " " + String.join(" ", TRAINING_JVM_FLAGS));
    conf.put("spark.executorEnv.OMP_NUM_THREADS", "1");
    // Jobs start once every executor asked for has registered, not on the first one (a short job would otherwise
    // run all its tasks on whichever executor JVM started first).
    conf.put("spark.scheduler.minRegisteredResourcesRatio", "1.0");
    conf.put("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s");
    return conf;
  }

  public SubmitResult submit(SubmitRequest request) {
    requireNonNull(request, "request is null");
    if (!isRunning()) {
      throw new ServiceUnavailableException("the Spark cluster in " + stateDir + " is not running", null);
    }
    Path home = stateDir.resolve("spark-home");
    Path log = stateDir.resolve("submit-" + SUBMIT_TIME.format(Instant.now()) + ".log");
    List<String> command = new ArrayList<>(javaPrefix("submit", home, request.driverHeap()));
    command.addAll(TRAINING_JVM_FLAGS);
    command.add("org.apache.spark.deploy.SparkSubmit");
    command.addAll(List.of("--master", masterUrl(), "--deploy-mode", "client", "--name", request.name()));
    Map<String, String> conf = clientConf();
    conf.putAll(request.conf());
    conf.forEach((key, value) -> command.addAll(List.of("--conf", key + "=" + value)));
    command.addAll(List.of("--executor-cores", String.valueOf(request.executorCores()),
        "--total-executor-cores", String.valueOf(request.totalExecutorCores()),
        "--executor-memory", request.executorMemory()));
    command.addAll(List.of("--class", request.mainClass(), request.appJar().toAbsolutePath().toString()));
    command.addAll(request.args());

    ProcessBuilder builder = new ProcessBuilder(command);
    environment(builder, home);
    if (request.workingDirectory() != null) {
      builder.directory(request.workingDirectory().toFile());
    }
    long started = System.nanoTime();
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start spark-submit", e);
    }
    submissions.add(process);
    StringBuffer stdout = new StringBuffer();
    try (Writer logWriter = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      logWriter.write("# " + String.join(" ", command) + "\n");
      Thread out = pump(process.getInputStream(), line -> {
        stdout.append(line).append('\n');
        writeLine(logWriter, line);
        request.onOutput().accept(line);
      }, "spark-submit-stdout");
      Thread err = pump(process.getErrorStream(), line -> writeLine(logWriter, line), "spark-submit-stderr");
      boolean finished = process.waitFor(request.timeout().toMillis(), TimeUnit.MILLISECONDS);
      if (!finished) {
        terminate(Stream.concat(Stream.of(process.toHandle()), process.toHandle().descendants()).toList());
        out.join(5_000);
        err.join(5_000);
        throw new ServiceUnavailableException("spark-submit of " + request.mainClass() + " did not finish within "
            + request.timeout().toSeconds() + " s and was killed; its output is in " + log, null);
      }
      out.join(10_000);
      err.join(10_000);
      logWriter.flush();
      return new SubmitResult(process.exitValue(), stdout.toString(), log,
          Duration.ofNanos(System.nanoTime() - started));
    } catch (InterruptedException e) {
      terminate(Stream.concat(Stream.of(process.toHandle()), process.toHandle().descendants()).toList());
      Thread.currentThread().interrupt();
      throw new ServiceUnavailableException("interrupted while spark-submit ran; it was killed", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + log, e);
    } finally {
      submissions.remove(process);
    }
  }

  private static void writeLine(Writer writer, String line) {
    try {
      synchronized (writer) {
        writer.write(line);
        writer.write('\n');
      }
    } catch (IOException e) {
      // The log is a copy: a full disk must not stop the submission.
    }
  }

  private static Thread pump(InputStream stream, Consumer<String> lines, String name) {
    Thread thread = new Thread(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          lines.accept(line);
        }
      } catch (IOException e) {
        // The process ended.
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  /** The end of every daemon's log, for error messages. */
  public String logTails() {
    StringBuilder b = new StringBuilder();
    try (Stream<Path> logs = Files.list(stateDir)) {
      for (Path log : logs.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList()) {
        b.append("--- ").append(log).append('\n').append(tail(log, 15)).append('\n');
      }
    } catch (IOException e) {
      b.append("(logs unreadable: ").append(e.getMessage()).append(")");
    }
    return b.toString();
  }

  private void awaitWorkers() {
    Instant deadline = Instant.now().plus(startTimeout);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    URI json = masterWebUi().resolve("/json/");
    String last = "no answer";
    while (Instant.now().isBefore(deadline)) {
      Map<String, ProcessHandle> running = daemons();
      if (running.size() < workers + 1) {
        throw new ServiceUnavailableException("the Spark cluster in " + stateDir + " did not start: "
            + (running.isEmpty() ? "no daemon" : "only " + running.keySet()) + " running. Logs:\n" + logTails(), null);
      }
      try {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(json).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        Matcher alive = ALIVE_WORKERS.matcher(response.body());
        if (response.statusCode() == 200 && alive.find()) {
          last = alive.group(1) + " of " + workers + " workers alive";
          if (Integer.parseInt(alive.group(1)) >= workers) {
            return;
          }
        }
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ServiceUnavailableException("interrupted while waiting for the Spark workers", e);
      }
      sleep(250);
    }
    throw new ServiceUnavailableException("the Spark workers in " + stateDir + " did not register with the master "
        + masterUrl() + " within " + startTimeout.toSeconds() + " s (" + last + "). Logs:\n" + logTails(), null);
  }

  private Process launch(String role, Path home, List<String> mainAndArgs, Path log, String heap) throws IOException {
    List<String> command = new ArrayList<>(javaPrefix(role, home, heap));
    command.addAll(mainAndArgs);
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    environment(builder, home);
    return builder.start();
  }

  private List<String> javaPrefix(String role, Path home, String heap) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + heap);
    command.add("-XX:+UseG1GC");
    command.addAll(JAVA17_OPENS);
    command.add("-D" + MARKER_PROPERTY + "=" + stateDir);
    command.add("-Dmonkey.spark.role=" + role);
    command.add("-cp");
    command.add(home.resolve("conf") + java.io.File.pathSeparator + home.resolve("jars").resolve("*"));
    return command;
  }

  private void environment(ProcessBuilder builder, Path home) {
    Map<String, String> env = builder.environment();
    env.put("SPARK_HOME", home.toString());
    env.put("SPARK_CONF_DIR", home.resolve("conf").toString());
    env.put("SPARK_SCALA_VERSION", SCALA_BINARY_VERSION);
    // Every bind address and every web UI on the loopback interface.
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("SPARK_LOCAL_DIRS", stateDir.resolve("tmp").toString());
    // The workers launch executors with this JVM's Java, whatever JAVA_HOME the caller has.
    env.put("JAVA_HOME", System.getProperty("java.home"));
    // Executors inherit the worker's environment: one ND4J (OpenMP) thread per op (docs/trainer.md, "Threads").
    env.put("OMP_NUM_THREADS", "1");
    env.remove("SPARK_DIST_CLASSPATH");
    env.remove("HADOOP_CONF_DIR");
    env.remove("YARN_CONF_DIR");
  }

  /** (Re)creates {@code spark-home}: {@code jars/} links to Spark's runtime jars, {@code conf/} the log config. */
  private Path prepareSparkHome() throws IOException {
    Path home = stateDir.resolve("spark-home");
    Path jars = home.resolve("jars");
    deleteRecursively(jars);
    Files.createDirectories(jars);
    Files.createDirectories(stateDir.resolve("tmp"));
    Set<String> names = new HashSet<>();
    for (Path jar : sparkJars()) {
      String name = jar.getFileName().toString();
      if (!names.add(name)) {
        name = names.size() + "-" + name;
        names.add(name);
      }
      Files.createSymbolicLink(jars.resolve(name), jar);
    }
    Path conf = home.resolve("conf");
    Files.createDirectories(conf);
    Files.writeString(conf.resolve("log4j2.properties"), """
        # Written by Activation Monkey's LocalSpark at every start.
        rootLogger.level = warn
        rootLogger.appenderRef.stderr.ref = console
        appender.console.type = Console
        appender.console.name = console
        appender.console.target = SYSTEM_ERR
        appender.console.layout.type = PatternLayout
        appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex
        # Master, workers and the driver's standalone client: registrations, executors added, lost and relaunched.
        logger.deploy.name = org.apache.spark.deploy
        logger.deploy.level = info
        logger.scheduler.name = org.apache.spark.scheduler.TaskSetManager
        logger.scheduler.level = warn
        logger.hadoop.name = org.apache.hadoop.util.NativeCodeLoader
        logger.hadoop.level = error
        """);
    return home;
  }

  private List<Path> sparkJars() throws IOException {
    Path file = classpathFile != null ? classpathFile : defaultClasspathFile();
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("the list of Spark's jars, " + file + ", does not exist. Build it with "
          + "`mvn -pl deploy/local-spark -am process-classes` (the monkey launcher does), or point -D"
          + CLASSPATH_PROPERTY + " / " + CLASSPATH_ENV + " at a file listing Spark's runtime jars.");
    }
    List<Path> jars = new ArrayList<>();
    for (String entry : Files.readString(file).trim().split(java.io.File.pathSeparator)) {
      if (!entry.isBlank()) {
        Path jar = Path.of(entry.trim());
        if (!Files.exists(jar)) {
          throw new InvalidInputException(file + " lists " + jar + ", which does not exist: rebuild the list with "
              + "`mvn -pl deploy/local-spark -am process-classes`");
        }
        jars.add(jar);
      }
    }
    if (jars.stream().noneMatch(jar -> jar.getFileName().toString().startsWith("spark-core_"))) {
      throw new InvalidInputException(file + " does not list spark-core: it is not Spark's classpath");
    }
    return jars;
  }

  private static Path defaultClasspathFile() {
    String file = System.getProperty(CLASSPATH_PROPERTY, System.getenv(CLASSPATH_ENV));
    if (file == null) {
      throw new InvalidInputException("where is the list of Spark's jars? Set -D" + CLASSPATH_PROPERTY + " or "
          + CLASSPATH_ENV + " (the monkey launcher sets it to deploy/local-spark/target/spark-classpath.txt).");
    }
    return Path.of(file);
  }

  /** The live daemons recorded in the pid file that really belong to this state directory, by role. */
  private Map<String, ProcessHandle> daemons() {
    Map<String, ProcessHandle> live = new LinkedHashMap<>();
    Path file = stateDir.resolve(PIDS_FILE);
    if (!Files.exists(file)) {
      return live;
    }
    Properties pids = new Properties();
    try (var in = Files.newBufferedReader(file)) {
      pids.load(in);
    } catch (IOException | IllegalArgumentException e) {
      return live;
    }
    pids.stringPropertyNames().stream().sorted(Comparator.comparing(LocalSpark::roleOrder)).forEach(role -> {
      try {
        ProcessHandle.of(Long.parseLong(pids.getProperty(role).trim()))
            .filter(ProcessHandle::isAlive)
            .filter(this::isOurs)
            .ifPresent(handle -> live.put(role, handle));
      } catch (NumberFormatException e) {
        // Not a pid: ignore.
      }
    });
    return live;
  }

  private static int roleOrder(String role) {
    return role.equals("master") ? 0 : role.startsWith("worker-") ? Integer.parseInt(role.substring(7)) : 1_000;
  }

  private boolean isOurs(ProcessHandle handle) {
    return handle.info().arguments()
        .map(args -> Stream.of(args).anyMatch(arg -> arg.equals("-D" + MARKER_PROPERTY + "=" + stateDir)))
        // Where the OS hides other processes' arguments, trust the pid file we wrote.
        .orElse(true);
  }

  private void writePids(Map<String, Long> pids) throws IOException {
    Properties properties = new Properties();
    pids.forEach((role, pid) -> properties.setProperty(role, Long.toString(pid)));
    try (var out = Files.newBufferedWriter(stateDir.resolve(PIDS_FILE), StandardCharsets.UTF_8)) {
      properties.store(out, "written by Activation Monkey's LocalSpark");
    }
  }

  private int[] ports() {
    Path file = stateDir.resolve(PORTS_FILE);
    try {
      if (!Files.exists(file)) {
        throw new IllegalStateException("the Spark cluster in " + stateDir + " has never been started");
      }
      String[] recorded = Files.readString(file).trim().split(",");
      return new int[] {Integer.parseInt(recorded[0]), Integer.parseInt(recorded[1])};
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGTERM to every process, then SIGKILL to those still alive after 20 s; waits until all have ended. */
  private static void terminate(List<ProcessHandle> processes) {
    List<ProcessHandle> alive = processes.stream().filter(ProcessHandle::isAlive).distinct().toList();
    alive.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    boolean interrupted = false;
    for (ProcessHandle handle : alive) {
      try {
        handle.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        handle.destroyForcibly();
      } catch (InterruptedException e) {
        interrupted = true;
        handle.destroyForcibly();
      } catch (ExecutionException e) {
        throw new IllegalStateException(e);
      }
    }
    for (ProcessHandle handle : alive) {
      handle.destroyForcibly();
      try {
        handle.onExit().get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException | TimeoutException e) {
        // Reported by the caller's checks; nothing more to do here.
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static int[] freePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Builds a {@link LocalSpark}; only {@link #stateDir(Path)} is required. */
  public static final class Builder {
    private Path stateDir;
    private Path classpathFile;
    private int workers = 2;
    private int coresPerWorker = 1;
    private String workerMemory = "2g";
    private String daemonHeap = "512m";
    private Duration startTimeout = Duration.ofSeconds(120);

    private Builder() {}

    /** Where the cluster keeps its Spark home, logs, work directories and pid file. Required. */
    public Builder stateDir(Path stateDir) {
      this.stateDir = requireNonNull(stateDir, "stateDir is null");
      return this;
    }

    /** The file listing Spark's runtime jars; defaults to {@code -Dmonkey.spark.classpath} or {@code $MONKEY_SPARK_CLASSPATH}. */
    public Builder classpathFile(Path classpathFile) {
      this.classpathFile = requireNonNull(classpathFile, "classpathFile is null");
      return this;
    }

    /** Worker JVMs (default 2). */
    public Builder workers(int workers) {
      if (workers < 1 || workers > 16) {
        throw new InvalidInputException("a local Spark cluster has 1 to 16 workers, got " + workers);
      }
      this.workers = workers;
      return this;
    }

    /** Cores each worker offers to executors (default 1: one single-core executor per worker). */
    public Builder coresPerWorker(int cores) {
      if (cores < 1) {
        throw new InvalidInputException("cores per worker must be at least 1, got " + cores);
      }
      this.coresPerWorker = cores;
      return this;
    }

    /** Memory each worker offers to executors, e.g. {@code 2g} (default). */
    public Builder workerMemory(String memory) {
      this.workerMemory = memorySize(memory, "worker memory");
      return this;
    }

    /** The master's and each worker's own heap (default {@code 512m}). */
    public Builder daemonHeap(String heap) {
      this.daemonHeap = memorySize(heap, "daemon heap");
      return this;
    }

    public Builder startTimeout(Duration startTimeout) {
      this.startTimeout = requireNonNull(startTimeout, "startTimeout is null");
      return this;
    }

    public LocalSpark build() {
      if (stateDir == null) {
        throw new InvalidInputException("LocalSpark needs a state directory: call stateDir(...)");
      }
      return new LocalSpark(this);
    }

    static String memorySize(String value, String what) {
      if (!requireNonNull(value, what + " is null").matches("\\d+[kKmMgG]")) {
        throw new InvalidInputException(what + " must look like 512m or 2g, got '" + value + "'");
      }
      return value;
    }
  }

  /** Which processes run now, for messages. */
  @Override
  public String toString() {
    Optional<String> url = Files.exists(stateDir.resolve(PORTS_FILE)) ? Optional.of(masterUrl()) : Optional.empty();
    return "LocalSpark[" + url.orElse("never started") + ", " + pids() + ", " + stateDir + "]";
  }

  /** A flags file next to this class: one flag per line, '#' comments and blank lines ignored. */
  static List<String> readFlags(String resource) {
    try (java.io.InputStream in = LocalSpark.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource + " next to " + LocalSpark.class.getName());
      }
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
          .map(line -> line.replaceFirst("#.*", "").trim()).filter(line -> !line.isEmpty()).toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + resource, e);
    }
  }
}
