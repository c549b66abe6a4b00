package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.localkafka.LocalKafka;
import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.trainer.RunResult;
import dev.activationmonkey.trainer.Trainer;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The real local broker with a SASL_SSL listener (SCRAM-SHA-512 over TLS, a certificate the test generates with the JDK's
 * keytool): the trainer and the collector work through it; wrong credentials and an untrusted certificate fail fast with
 * one line and exit 4, writing nothing; the password appears neither in their output nor in RunStart's job spec.
 */
class SecuredKafkaIT {
  private static final String STORE_PASSWORD = "store-pass-123";
  private static final String USER = "monkey";
  private static final String PASSWORD = "s3cr3t-Pa55word";

  @TempDir static Path dir;
  private static LocalKafka broker;
  private static Path trusted;
  private static Path untrusted;

  @BeforeAll
  static void secureBroker() throws Exception {
    Path brokerKey = keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", "broker.p12");
    keytool("-exportcert", "-alias", "broker", "-keystore", "broker.p12", "-storetype", "PKCS12", "-file", "broker.crt");
    trusted = keytool("-importcert", "-noprompt", "-alias", "broker", "-file", "broker.crt", "-storetype", "PKCS12", "-keystore", "trust.p12");
    // A certificate nobody signed the broker's with: a truststore holding only it does not trust the broker.
    keytool("-genkeypair", "-alias", "other", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=other", "-validity", "2",
        "-storetype", "PKCS12", "-keystore", "other.p12");
    keytool("-exportcert", "-alias", "other", "-keystore", "other.p12", "-storetype", "PKCS12", "-file", "other.crt");
    untrusted = keytool("-importcert", "-noprompt", "-alias", "other", "-file", "other.crt", "-storetype", "PKCS12", "-keystore", "untrusted.p12");

    broker = LocalKafka.builder().dataDir(dir.resolve("kafka")).port(0)
        .secureListener(new LocalKafka.SecureListener(brokerKey, STORE_PASSWORD)).build().start();
    broker.addScramUser(USER, PASSWORD);
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.stop();
    }
  }

  /** Runs keytool in {@code dir} with the store password; returns the keystore it wrote. */
  private static Path keytool(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    command.addAll(List.of(args));
    command.addAll(List.of("-storepass", STORE_PASSWORD));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", args) + ": " + out);
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals("-keystore")) {
        return dir.resolve(args[i + 1]);
      }
    }
    return null;
  }

  private static Map<String, String> clientSecurity(Path truststore, String password) {
    return Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
        "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + USER
            + "\" password=\"" + password + "\";",
        "ssl.truststore.type", "PKCS12", "ssl.truststore.location", truststore.toString(), "ssl.truststore.password", STORE_PASSWORD);
  }

  private static String jobYaml(String topic, Map<String, String> security, Path spill) {
    StringBuilder properties = new StringBuilder();
    security.forEach((k, v) -> properties.append("        ").append(k).append(": '").append(v).append("'\n"));
    return """
        name: secured
        data: {limit: 300, test-fraction: 0.2, batch-size: 30}
        network: {layers: [{type: dense, size: 16, activation: relu}, {type: output, size: 10, activation: softmax}]}
        training: {epochs: 1, workers: 2, master: "local[2]"}
        logging:
          every: 2
          kafka:
            bootstrap-servers: "%s"
            topic: %s
            spill-dir: "%s"
            properties:
        %s""".formatted(broker.secureBootstrapServers(), topic, spill, properties);
  }

  private static long records(String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
        return 0;
      }
      return admin.listOffsets(Map.of(new TopicPartition(topic, 0), OffsetSpec.latest(), new TopicPartition(topic, 1), OffsetSpec.latest()))
          .all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(i -> i.offset()).sum();
    }
  }

  @Test
  void trainerAndCollectorWorkOverSaslScramAndTlsAndKeepThePasswordToThemselves() throws Exception {
    String topic = "secured-ok";
    broker.createTopic(topic, 2);
    Map<String, String> security = clientSecurity(trusted, PASSWORD);
    JobSpec spec = JobSpec.parse(jobYaml(topic, security, dir.resolve("spill-ok")), "secured.yaml");
    Path dataset = dir.resolve("dataset");
    CollectorConfig.Builder config = CollectorConfig.builder().bootstrapServers(broker.secureBootstrapServers()).topics(topic)
        .datasetRoot(dataset.toString());
    security.forEach((k, v) -> config.set("kafka." + k, v));
    ByteArrayOutputStream trainerOutput = new ByteArrayOutputStream();
    StringBuilder collectorStatus = new StringBuilder();
    RunResult result;
    try (Collector collector = Collector.start(config.build(), stats -> collectorStatus.append(stats.statusLine()).append('\n'))) {
      collectorStatus.append(collector.config()).append('\n');
      result = new Trainer().run(spec, new PrintStream(trainerOutput, true, StandardCharsets.UTF_8), false);
      collector.awaitCaughtUp(Duration.ofMinutes(2));
    }
    assertEquals(RunStatus.SUCCEEDED, result.status(), result.summary());
    assertTrue(result.snapshotsSent() > 0 && result.spilled() == 0, result.summary());
    try (Connection connection = DriverManager.getConnection("jdbc:duckdb:"); Statement statement = connection.createStatement()) {
      try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM read_parquet('" + dataset.resolve("snapshots")
          + "/**/*.parquet', hive_partitioning = true) WHERE run_id = '" + result.runId() + "'")) {
        rows.next();
        assertEquals(result.snapshotsSent(), rows.getLong(1), "every snapshot, through SASL_SSL, in Parquet");
      }
      try (ResultSet rows = statement.executeQuery("SELECT job_spec FROM read_parquet('" + dataset.resolve("runs")
          + "/**/*.parquet', hive_partitioning = true) WHERE run_id = '" + result.runId() + "'")) {
        assertTrue(rows.next(), "RunStart in Parquet");
        String jobSpec = rows.getString(1);
        assertFalse(jobSpec.contains(PASSWORD) || jobSpec.contains(STORE_PASSWORD), "no secret in RunStart's job spec:\n" + jobSpec);
        assertTrue(jobSpec.contains("sasl.jaas.config: \"[redacted]\"") || jobSpec.contains("sasl.jaas.config: '[redacted]'")
            || jobSpec.contains("sasl.jaas.config: [redacted]"), jobSpec);
        assertTrue(jobSpec.contains("SCRAM-SHA-512"), "the rest of the spec is kept:\n" + jobSpec);
      }
    }
    String shown = trainerOutput.toString(StandardCharsets.UTF_8) + collectorStatus;
    assertFalse(shown.contains(PASSWORD) || shown.contains(STORE_PASSWORD), shown);
  }

  @Test
  void wrongCredentialsFailTheTrainerAndTheCollectorFastWithOneLineAndWriteNothing() throws Exception {
    refusedWithOneLine("secured-wrong-password", clientSecurity(trusted, "not-the-password"), "refused");
  }

  @Test
  void anUntrustedCertificateFailsTheTrainerAndTheCollectorFastWithOneLineAndWriteNothing() throws Exception {
    refusedWithOneLine("secured-untrusted", clientSecurity(untrusted, PASSWORD), "TLS handshake");
  }

  private void refusedWithOneLine(String topic, Map<String, String> security, String expected) throws Exception {
    broker.createTopic(topic, 2);
    Path spill = dir.resolve("spill-" + topic);
    Path job = dir.resolve(topic + ".yaml");
    Files.writeString(job, jobYaml(topic, security, spill));
    Result train = monkey("train", "--config", job.toString());
    assertEquals(4, train.exitCode(), train.err());
    assertOneLine(train, expected);

    Path dataset = dir.resolve("dataset-" + topic);
    List<String> collect = new java.util.ArrayList<>(List.of("collect", "--bootstrap-servers", broker.secureBootstrapServers(),
        "--topics", topic, "--dataset", dataset.toString(), "--set", "startup.timeout.ms=20000"));
    security.forEach((k, v) -> collect.addAll(List.of("--set", "kafka." + k + "=" + v)));
    Result collector = monkey(collect.toArray(String[]::new));
    assertEquals(4, collector.exitCode(), collector.err());
    assertOneLine(collector, expected);

    assertEquals(0, records(topic), "nothing reached the topic");
    assertFalse(Files.exists(dataset.resolve("snapshots")), "nothing in the dataset");
    if (Files.exists(spill)) {
      try (Stream<Path> files = Files.walk(spill)) {
        assertEquals(0, files.filter(Files::isRegularFile).count(), "nothing spilled");
      }
    }
  }

  private static void assertOneLine(Result r, String expected) {
    List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), "one line:\n" + r.err());
    assertTrue(lines.get(0).contains(expected), lines.get(0));
    assertFalse(r.err().contains(PASSWORD) || r.out().contains(PASSWORD), "the password is not shown");
  }

  private record Result(int exitCode, String out, String err) {}

  private static Result monkey(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Monkey.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
