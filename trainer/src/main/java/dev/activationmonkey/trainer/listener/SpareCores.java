package dev.activationmonkey.trainer.listener;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

/**
 * Whether this JVM's training threads leave a core idle for the publishing thread, which decides where the
 * listener computes its statistics when {@code logging.copy-buffer-mb} is "auto".
 *
 * <p>Measured (docs/trainer.md, "Listener cost"): with an idle core, copying the arrays and computing their
 * statistics on the publishing thread takes the work off training (single JVM, one training thread on two cores).
 * On a busy executor, where Spark runs a task on every core, there is no idle core: the copies cost memory
 * bandwidth and the publishing thread takes its CPU from a training thread anyway, while the statistics computed in
 * the callback read arrays that are still in cache. {@code ./monkey bench scaling --logging-arms
 * --copy-buffer-arm} measured every-iteration logging at 1.36 in the callback against 1.46 with copies.
 *
 * <p>Task slots per JVM: {@code local[N]} gives N ({@code local[*]} every core); on a cluster
 * {@code spark.executor.cores / spark.task.cpus} (an executor without {@code spark.executor.cores} takes every
 * core of its worker). Outside Spark (a plain {@code fit}) one thread trains.
 */
public final class SpareCores {
  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?");
  /** The answer for the Spark environment it was computed in (null: outside Spark). */
  private record Answer(SparkEnv env, boolean spare) {}

  private static volatile Answer cached;

  private SpareCores() {}

  /** Whether training leaves a core idle in this JVM (decided once per Spark environment). */
  public static boolean inThisJvm() {
    SparkEnv env = SparkEnv.get();
    Answer a = cached;
    if (a == null || a.env() != env) {
      int processors = Runtime.getRuntime().availableProcessors();
      a = new Answer(env, (env == null ? 1 : taskSlots(env.conf(), processors)) < processors);
      cached = a;
    }
    return a.spare();
  }

  static int taskSlots(SparkConf conf, int processors) {
    String master = conf.get("spark.master", "");
    int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
    Matcher local = LOCAL.matcher(master.trim());
    if (local.matches()) {
      String n = local.group(1);
      int threads = n == null ? 1 : n.equals("*") ? processors : Integer.parseInt(n);
      return Math.max(1, threads / taskCpus);
    }
    return Math.max(1, conf.getInt("spark.executor.cores", processors) / taskCpus);
  }
}
