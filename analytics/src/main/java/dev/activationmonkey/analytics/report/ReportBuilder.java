package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.errors.InvalidInputException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.DoublePredicate;

/**
 * Builds the {@link Report} from an engine's rows: windows, per-layer summaries, and the alert rules
 * (documented in docs/analytics.md). The one place the rules live, whichever engine ran the SQL.
 */
public final class ReportBuilder {
  /** Activations with asymptotes, whose snapshots carry saturated_fraction. */
  public static final Set<String> BOUNDED_ACTIVATIONS =
      Set.of("sigmoid", "tanh", "hardsigmoid", "hardtanh", "softsign", "rationaltanh", "rectifiedtanh");

  private final ReportEngine engine;
  private final Thresholds thresholds;

  public ReportBuilder(ReportEngine engine, Thresholds thresholds) {
    this.engine = requireNonNull(engine, "engine is null");
    this.thresholds = requireNonNull(thresholds, "thresholds is null");
  }

  /**
   * @param dataset the dataset's name, for the report's header
   * @param requestedRuns the runs to report; empty for every run in the log
   * @throws InvalidInputException a requested run is not in the log
   */
  public Report build(String dataset, Collection<String> requestedRuns) {
    List<String> known = engine.runIds();
    List<String> runs = new ArrayList<>();
    if (requestedRuns.isEmpty()) {
      runs.addAll(known);
    } else {
      for (String run : requestedRuns) {
        if (!known.contains(run)) {
          throw new InvalidInputException("Unknown run id '" + run + "' in " + dataset + ". Runs in this log: "
              + String.join(", ", known.size() > 20 ? known.subList(0, 20) : known));
        }
        if (!runs.contains(run)) {
          runs.add(run);
        }
      }
    }
    int windowCount = (int) thresholds.get(Thresholds.WINDOWS);
    Map<String, long[]> ranges = engine.iterationRanges(runs);
    Map<String, Windows> windows = new LinkedHashMap<>();
    for (String run : runs) {
      long[] range = ranges.getOrDefault(run, new long[] {0, 0});
      windows.put(run, Windows.of(run, range[0], range[1], windowCount));
    }
    Map<String, List<LayerIterationRow>> byRun = new LinkedHashMap<>();
    runs.forEach(r -> byRun.put(r, new ArrayList<>()));
    for (LayerIterationRow row : engine.layerIterations(windows.values())) {
      byRun.get(row.runId()).add(row);
    }
    Map<String, Map<Integer, List<NeuronWindowRow>>> neurons = new LinkedHashMap<>();
    for (NeuronWindowRow row : engine.neuronWindows(windows.values())) {
      neurons.computeIfAbsent(row.runId(), r -> new TreeMap<>())
          .computeIfAbsent(row.layerIndex(), l -> new ArrayList<>()).add(row);
    }
    Map<String, Double> accuracy = engine.finalAccuracy(runs);
    Map<String, List<EvaluationRow>> evaluations = new LinkedHashMap<>();
    for (EvaluationRow e : engine.evaluations(runs)) {
      evaluations.computeIfAbsent(e.runId(), r -> new ArrayList<>()).add(e);
    }
    // Per-worker health, only where there are workers to compare (a run of one worker never fires these rules).
    Map<String, Integer> workers = new LinkedHashMap<>();
    byRun.forEach((run, rows) -> workers.put(run, rows.stream().mapToInt(LayerIterationRow::workers).max().orElse(0)));
    Map<String, List<WorkerStepRow>> steps = new LinkedHashMap<>();
    for (WorkerStepRow r : engine.workerSteps(runs.stream().filter(r -> workers.get(r) >= 2).map(windows::get).toList())) {
      steps.computeIfAbsent(r.runId(), k -> new ArrayList<>()).add(r);
    }
    Map<String, List<WorkerStatRow>> stats = new LinkedHashMap<>();
    for (WorkerStatRow r : engine.workerDisagreement(runs.stream()
        .filter(r -> workers.get(r) >= ReportSql.MIN_WORKERS_TO_COMPARE).map(windows::get).toList(),
        thresholds.get(Thresholds.DISAGREE_FACTOR), thresholds.get(Thresholds.DISAGREE_ZERO))) {
      stats.computeIfAbsent(r.runId(), k -> new ArrayList<>()).add(r);
    }
    Map<String, String> specs = engine.jobSpecs(runs);
    List<RunReport> reports = new ArrayList<>();
    for (String run : runs) {
      List<EvaluationRow> runEvaluations = evaluations.getOrDefault(run, List.of());
      Map<Integer, Long> epochEnds = new TreeMap<>();
      runEvaluations.forEach(e -> epochEnds.put(e.epoch(), e.iteration()));
      LearningRateChanges rates = LearningRateChanges.of(specs.get(run), windows.get(run).lastIteration(), epochEnds);
      reports.add(runReport(run, windows.get(run), byRun.get(run), neurons.getOrDefault(run, Map.of()),
          accuracy.getOrDefault(run, Double.NaN), runEvaluations, steps.getOrDefault(run, List.of()),
          stats.getOrDefault(run, List.of()), rates));
    }
    return new Report(dataset, engine.name(), reports, engine.badFiles(), thresholds);
  }

  private RunReport runReport(String run, Windows w, List<LayerIterationRow> rows,
      Map<Integer, List<NeuronWindowRow>> neurons, double accuracy, List<EvaluationRow> evaluations,
      List<WorkerStepRow> steps, List<WorkerStatRow> stats, LearningRateChanges rates) {
    Map<Integer, List<LayerIterationRow>> byLayer = new TreeMap<>();
    rows.forEach(r -> byLayer.computeIfAbsent(r.layerIndex(), l -> new ArrayList<>()).add(r));
    int lastWindow = w.lastWindow();
    List<LayerReport> layers = new ArrayList<>();
    List<Alert> alerts = new ArrayList<>();
    Map<Integer, LayerWindows> perLayer = new TreeMap<>();
    int workers = rows.stream().mapToInt(LayerIterationRow::workers).max().orElse(0);
    for (Map.Entry<Integer, List<LayerIterationRow>> e : byLayer.entrySet()) {
      List<LayerIterationRow> layerRows = e.getValue();
      LayerWindows lw = new LayerWindows(w, layerRows, neurons.getOrDefault(e.getKey(), List.of()));
      perLayer.put(e.getKey(), lw);
      List<LayerIterationRow> last = lw.rows(lastWindow);
      List<LayerIterationRow> first = lw.rows(0);
      LayerIterationRow any = layerRows.get(0);
      String activation = layerRows.stream().map(LayerIterationRow::activationFunction)
          .filter(a -> a != null).findFirst().orElse(null);

      int units = 0;
      int deadLast = 0;
      int deadRun = 0;
      int lazy = 0;
      // Windows whose activations held NaN/Inf are left out: a NaN activation does not fire, which is not death.
      Map<Integer, double[]> perNeuron = new TreeMap<>(); // max over run, max in last window, sum, count
      for (NeuronWindowRow n : neurons.getOrDefault(e.getKey(), List.of())) {
        if (lw.activationNonFinite(n.window())) {
          continue;
        }
        double[] acc = perNeuron.computeIfAbsent(n.neuron(), k -> new double[] {0, Double.NaN, 0, 0});
        acc[0] = Math.max(acc[0], n.maxRate());
        if (n.window() == lastWindow) {
          acc[1] = Double.isNaN(acc[1]) ? n.maxRate() : Math.max(acc[1], n.maxRate());
        }
        acc[2] += n.sumRate();
        acc[3] += n.snapshots();
      }
      for (double[] acc : perNeuron.values()) {
        units++;
        boolean neverFired = acc[0] <= 0;
        if (neverFired) {
          deadRun++;
        }
        if (acc[1] <= 0) { // NaN (no snapshot in the last window) is not evidence of death
          deadLast++;
        }
        if (!neverFired && acc[2] / acc[3] < thresholds.get(Thresholds.LAZY_RATE)) {
          lazy++;
        }
      }
      long firstNonFinite = layerRows.stream().mapToLong(LayerIterationRow::firstNonFiniteIteration)
          .filter(i -> i >= 0).min().orElse(-1);
      double gradFirst = Stat.mean(first, LayerIterationRow::gradient);
      double gradLast = Stat.mean(last, LayerIterationRow::gradient);
      LayerReport layer = new LayerReport(e.getKey(), any.layerName(), any.layerType(), activation, units, deadLast,
          deadRun, lazy, Stat.mean(last, LayerIterationRow::zero), Stat.mean(last, LayerIterationRow::nearZero),
          Stat.mean(last, LayerIterationRow::saturated), gradLast,
          lastWindow == 0 ? 1.0 : gradLast / gradFirst, Stat.mean(last, LayerIterationRow::updateRatio),
          layerRows.stream().mapToLong(LayerIterationRow::activationNonFinite).sum(),
          layerRows.stream().mapToLong(LayerIterationRow::gradientNonFinite).sum(),
          layerRows.stream().mapToLong(LayerIterationRow::parameterNonFinite).sum(), firstNonFinite);
      layers.add(layer);
      layerAlerts(run, w, layer, lw, units, alerts);
    }
    explodingBeforeNonFinite(run, w, layers, perLayer, alerts);

    List<LayerReport> withGradients = layers.stream().filter(l -> !Double.isNaN(l.gradientL2())).toList();
    int firstLayer = -1;
    int lastLayer = -1;
    double ratio = Double.NaN;
    if (withGradients.size() >= 2) {
      LayerReport a = withGradients.get(0);
      LayerReport b = withGradients.get(withGradients.size() - 1);
      firstLayer = a.layerIndex();
      lastLayer = b.layerIndex();
      ratio = a.gradientL2() / b.gradientL2();
      Alert.Level level = ratio < thresholds.get(Thresholds.VANISHING_ERROR) ? Alert.Level.ERROR
          : ratio < thresholds.get(Thresholds.VANISHING_WARN) ? Alert.Level.WARN : null;
      if (level != null) {
        LayerWindows la = perLayer.get(a.layerIndex());
        LayerWindows lb = perLayer.get(b.layerIndex());
        double[] ratios = new double[lastWindow + 1];
        for (int k = 0; k <= lastWindow; k++) {
          ratios[k] = la.mean(k, LayerIterationRow::gradient) / lb.mean(k, LayerIterationRow::gradient);
        }
        alerts.add(new Alert(level, "vanishing-gradient", run, a.layerIndex(), a.layerName(),
            w.windowStart(lastWindow), w.lastIteration(),
            String.format("gradient L2 of layer %d is %s of layer %d's (%s vs %s): the first layers barely learn",
                a.layerIndex(), Format.sci(ratio), b.layerIndex(), Format.sci(a.gradientL2()),
                Format.sci(b.gradientL2())),
            Map.of("first_layer_gradient_l2", a.gradientL2(), "last_layer_gradient_l2", b.gradientL2(),
                "ratio", ratio, "threshold", thresholds.get(level == Alert.Level.ERROR
                    ? Thresholds.VANISHING_ERROR : Thresholds.VANISHING_WARN)),
            onset(w, ratios, r -> r < thresholds.get(Thresholds.VANISHING_WARN)), Remedies.of("vanishing-gradient")));
      }
    }
    evaluationAlerts(run, layers, evaluations, alerts);
    stragglers(run, w, steps, alerts);
    disagreements(run, w, stats, alerts);
    // Each onset with the learning-rate jump it followed, where the schedule made one just before.
    alerts.replaceAll(a -> a.withOnset(rates.annotate(a.onset(), w.width())));
    alerts.sort(Comparator.comparing(Alert::level).reversed()
        .thenComparing(a -> a.layerIndex() == null ? -1 : a.layerIndex()));
    List<Diagnosis> diagnoses = Diagnoses.group(alerts, layers, lastLayer);
    return new RunReport(run, w, workers, layers, firstLayer, lastLayer, ratio, accuracy, alerts, diagnoses, rows);
  }

  private void layerAlerts(String run, Windows w, LayerReport l, LayerWindows lw, int units, List<Alert> alerts) {
    long lastFrom = w.windowStart(w.lastWindow());
    long lastTo = w.lastIteration();
    int windows = w.lastWindow() + 1;
    if (l.neurons() > 0) {
      double share = l.deadShare();
      Alert.Level level = level(share >= thresholds.get(Thresholds.DEAD_SHARE_ERROR),
          share >= thresholds.get(Thresholds.DEAD_SHARE_WARN));
      if (level != null) {
        double[] shares = new double[windows];
        for (int k = 0; k < windows; k++) {
          shares[k] = lw.deadShare(k, units);
        }
        alerts.add(new Alert(level, "dead-neurons", run, l.layerIndex(), l.layerName(), lastFrom, lastTo,
            String.format("%d of %d units (%s) never fired in the last window; %d never fired in the whole run",
                l.deadLastWindow(), l.neurons(), Format.pct(share), l.deadWholeRun()),
            Map.of("dead_last_window", (double) l.deadLastWindow(), "dead_whole_run", (double) l.deadWholeRun(),
                "units", (double) l.neurons(), "share", share),
            onset(w, shares, s -> s >= thresholds.get(Thresholds.DEAD_SHARE_WARN)), Remedies.of("dead-neurons")));
      }
      double lazyShare = l.lazyShare();
      if (lazyShare >= thresholds.get(Thresholds.LAZY_SHARE_WARN)) {
        double[] shares = new double[windows];
        for (int k = 0; k < windows; k++) {
          shares[k] = lw.lazyShare(k, units, thresholds.get(Thresholds.LAZY_RATE));
        }
        alerts.add(new Alert(Alert.Level.WARN, "lazy-neurons", run, l.layerIndex(), l.layerName(),
            w.firstIteration(), lastTo,
            String.format("%d of %d units (%s) fire for less than %s of examples on average",
                l.lazy(), l.neurons(), Format.pct(lazyShare), Format.pct(thresholds.get(Thresholds.LAZY_RATE))),
            Map.of("lazy", (double) l.lazy(), "units", (double) l.neurons(), "share", lazyShare),
            onset(w, shares, s -> s >= thresholds.get(Thresholds.LAZY_SHARE_WARN)), Remedies.of("lazy-neurons")));
      }
    }
    if (l.bounded() && !Double.isNaN(l.saturatedFraction())) {
      double s = l.saturatedFraction();
      Alert.Level level = level(s >= thresholds.get(Thresholds.SATURATION_ERROR),
          s >= thresholds.get(Thresholds.SATURATION_WARN));
      if (level != null) {
        alerts.add(new Alert(level, "saturation", run, l.layerIndex(), l.layerName(), lastFrom, lastTo,
            String.format("%s of its %s activations are near the asymptotes: gradients through them vanish",
                Format.pct(s), l.activationFunction()),
            Map.of("saturated_fraction", s),
            onset(w, lw.means(LayerIterationRow::saturated), v -> v >= thresholds.get(Thresholds.SATURATION_WARN)),
            Remedies.of("saturation")));
      }
    }
    if (!Double.isNaN(l.gradientGrowth())) {
      double g = l.gradientGrowth();
      Alert.Level level = level(g >= thresholds.get(Thresholds.EXPLODING_ERROR),
          g >= thresholds.get(Thresholds.EXPLODING_WARN));
      if (level != null) {
        alerts.add(new Alert(level, "exploding-gradient", run, l.layerIndex(), l.layerName(), w.firstIteration(),
            lastTo, String.format("gradient L2 norm grew %s-fold from the first window to the last (now %s)",
                Format.sci(g), Format.sci(l.gradientL2())),
            Map.of("growth", g, "gradient_l2_last_window", l.gradientL2()), growthOnset(w, lw),
            Remedies.of("exploding-gradient")));
      }
    }
    if (l.nonFinite() > 0) {
      alerts.add(new Alert(Alert.Level.ERROR, "non-finite", run, l.layerIndex(), l.layerName(),
          l.firstNonFiniteIteration(), lastTo,
          String.format("NaN/Inf values from iteration %d: %d in activations, %d in gradients, %d in parameters/updates",
              l.firstNonFiniteIteration(), l.activationNonFinite(), l.gradientNonFinite(), l.parameterNonFinite()),
          Map.of("activation_non_finite", (double) l.activationNonFinite(),
              "gradient_non_finite", (double) l.gradientNonFinite(),
              "parameter_non_finite", (double) l.parameterNonFinite()),
          new Onset(l.firstNonFiniteIteration(), l.firstNonFiniteIteration(), lw.nonFinite(w.lastWindow())),
          Remedies.of("non-finite")));
    }
    if (!Double.isNaN(l.updateRatioLog10())) {
      double u = l.updateRatioLog10();
      double high = thresholds.get(Thresholds.UPDATE_HIGH_WARN);
      double low = thresholds.get(Thresholds.UPDATE_LOW_WARN);
      Alert.Level level = level(u > thresholds.get(Thresholds.UPDATE_HIGH_ERROR), u > high || u < low);
      if (level != null) {
        boolean tooLarge = u > -3;
        alerts.add(new Alert(level, "update-ratio", run, l.layerIndex(), l.layerName(), lastFrom, lastTo,
            String.format("log10(update/parameter) is %.2f (about -3 is healthy): %s", u,
                tooLarge ? "updates too large for the weights" : "the layer has almost stopped learning"),
            Map.of("update_ratio_log10", u),
            onset(w, lw.means(LayerIterationRow::updateRatio), v -> tooLarge ? v > high : v < low),
            Remedies.updateRatio(tooLarge)));
      }
    }
  }

  /** The first window whose mean gradient L2 is exploding.growth.warn times the first window's. */
  private Onset growthOnset(Windows w, LayerWindows lw) {
    double[] means = lw.means(LayerIterationRow::gradient);
    double first = means[0];
    return onset(w, means, m -> m / first >= thresholds.get(Thresholds.EXPLODING_WARN));
  }

  /**
   * Gradients that grow by orders of magnitude and then turn NaN have no finite last window, so the growth rule
   * above cannot see them: here the growth is measured up to the run's first NaN/Inf (the mean over the window
   * of iterations just before it), and the NaN/Inf alerts become its consequences ({@link Diagnoses}).
   */
  private void explodingBeforeNonFinite(String run, Windows w, List<LayerReport> layers,
      Map<Integer, LayerWindows> perLayer, List<Alert> alerts) {
    long firstNonFinite = layers.stream().mapToLong(LayerReport::firstNonFiniteIteration).filter(i -> i >= 0)
        .min().orElse(-1);
    if (firstNonFinite < 0) {
      return;
    }
    for (LayerReport l : layers) {
      boolean hasGrowthAlert = alerts.stream().anyMatch(a -> a.rule().equals("exploding-gradient")
          && Integer.valueOf(l.layerIndex()).equals(a.layerIndex()));
      LayerWindows lw = perLayer.get(l.layerIndex());
      double first = lw.mean(0, LayerIterationRow::gradient);
      List<LayerIterationRow> before = lw.all().stream().filter(r -> r.lastIteration() < firstNonFinite
          && r.iteration() >= firstNonFinite - w.width()).toList();
      double beforeMean = Stat.mean(before, LayerIterationRow::gradient);
      double growth = beforeMean / first;
      if (hasGrowthAlert || before.isEmpty() || w.windowOf(before.get(0).iteration()) == 0
          || !Double.isFinite(growth)) {
        continue;
      }
      Alert.Level level = level(growth >= thresholds.get(Thresholds.EXPLODING_ERROR),
          growth >= thresholds.get(Thresholds.EXPLODING_WARN));
      if (level != null) {
        alerts.add(new Alert(level, "exploding-gradient", run, l.layerIndex(), l.layerName(), w.firstIteration(),
            firstNonFinite - 1, String.format("gradient L2 norm grew %s-fold from the first window to the %d "
                + "iterations before the first NaN/Inf (iteration %d; %s there)", Format.sci(growth),
                firstNonFinite - before.get(0).iteration(), firstNonFinite, Format.sci(beforeMean)),
            Map.of("growth", growth, "gradient_l2_before_non_finite", beforeMean,
                "first_non_finite_iteration", (double) firstNonFinite),
            growthOnset(w, lw), Remedies.of("exploding-gradient")));
      }
    }
  }

  /**
   * Rules over the per-epoch test evaluations. The log holds no training loss (snapshots carry layer statistics,
   * evaluations the test set's loss), so overfitting is read from the test loss alone: rising epoch after epoch
   * while the run did not diverge (no exploding-gradient or non-finite alert, which make the loss rise too).
   */
  private void evaluationAlerts(String run, List<LayerReport> layers, List<EvaluationRow> evaluations,
      List<Alert> alerts) {
    List<EvaluationRow> e = evaluations.stream().filter(x -> Double.isFinite(x.loss())).toList();
    if (e.size() < 2) {
      return;
    }
    boolean diverged = alerts.stream().anyMatch(a -> a.rule().equals("non-finite") || a.rule().equals("exploding-gradient"));
    int rising = 0;
    for (int i = e.size() - 1; i > 0 && e.get(i).loss() > e.get(i - 1).loss(); i--) {
      rising++;
    }
    if (!diverged && rising >= thresholds.get(Thresholds.OVERFITTING_EPOCHS)) {
      EvaluationRow best = e.get(e.size() - 1 - rising);
      EvaluationRow last = e.get(e.size() - 1);
      EvaluationRow firstRise = e.get(e.size() - rising);
      alerts.add(new Alert(Alert.Level.WARN, "overfitting", run, null, "", best.iteration(), last.iteration(),
          String.format("test loss rose in each of the last %d epochs, from %s after epoch %d to %s after epoch %d "
              + "(test accuracy %s to %s): the network fits the training data at the test set's expense "
              + "(the log holds no training loss to confirm it falls)", rising, Format.sci(best.loss()),
              best.epoch(), Format.sci(last.loss()), last.epoch(), Format.pct(best.accuracy()),
              Format.pct(last.accuracy())),
          Map.of("epochs_rising", (double) rising, "best_test_loss", best.loss(), "best_epoch", (double) best.epoch(),
              "last_test_loss", last.loss()),
          new Onset(firstRise.iteration(), firstRise.iteration(), true), Remedies.of("overfitting")));
    }
    int k = (int) thresholds.get(Thresholds.STALLED_EPOCHS);
    List<LayerReport> learning = layers.stream().filter(l -> !Double.isNaN(l.updateRatioLog10())).toList();
    double low = thresholds.get(Thresholds.UPDATE_LOW_WARN);
    double high = thresholds.get(Thresholds.UPDATE_HIGH_WARN);
    if (e.size() >= k && !learning.isEmpty()
        && learning.stream().allMatch(l -> l.updateRatioLog10() >= low && l.updateRatioLog10() <= high)) {
      List<EvaluationRow> tail = e.subList(e.size() - k, e.size());
      double min = tail.stream().mapToDouble(EvaluationRow::loss).min().orElseThrow();
      double max = tail.stream().mapToDouble(EvaluationRow::loss).max().orElseThrow();
      double mean = tail.stream().mapToDouble(EvaluationRow::loss).average().orElseThrow();
      double change = (max - min) / Math.abs(mean);
      if (change < thresholds.get(Thresholds.STALLED_LOSS_CHANGE)) {
        alerts.add(new Alert(Alert.Level.WARN, "learning-stalled", run, null, "", tail.get(0).iteration(),
            tail.get(k - 1).iteration(),
            String.format("test loss flat over the last %d epochs (%s to %s, %s of its mean; test accuracy %s) while "
                + "every layer's log10(update/parameter) is healthy (%s to %s): the weights move, the loss does not",
                k, Format.sci(min), Format.sci(max), Format.pct(change), Format.pct(tail.get(k - 1).accuracy()),
                Format.fixed(learning.stream().mapToDouble(LayerReport::updateRatioLog10).min().orElseThrow(), 2),
                Format.fixed(learning.stream().mapToDouble(LayerReport::updateRatioLog10).max().orElseThrow(), 2)),
            Map.of("relative_change", change, "test_loss_min", min, "test_loss_max", max, "epochs", (double) k),
            new Onset(tail.get(0).iteration(), tail.get(0).iteration(), true), Remedies.of("learning-stalled")));
      }
    }
  }

  /** "worker 2 (executor 3 on host-b)": a partition on one executor and host. */
  static String worker(int partitionId, String executorId, String host) {
    return "worker " + partitionId + " (executor " + executorId + " on " + host + ")";
  }

  private static boolean sameWorker(WorkerStepRow a, WorkerStepRow b) {
    return a.partitionId() == b.partitionId() && java.util.Objects.equals(a.executorId(), b.executorId())
        && java.util.Objects.equals(a.host(), b.host());
  }

  /**
   * straggler: a worker whose median time per iteration is straggler.slowdown.warn (error) times the median of the
   * other workers' (their whole-run medians); the onset is the first window where that holds of the windows' medians.
   * Only workers with at least straggler.min.steps timed steps are judged.
   */
  private void stragglers(String run, Windows w, List<WorkerStepRow> steps, List<Alert> alerts) {
    long minSteps = (long) thresholds.get(Thresholds.STRAGGLER_MIN_STEPS);
    List<WorkerStepRow> whole = steps.stream()
        .filter(r -> r.window() == WorkerStepRow.WHOLE_RUN && Double.isFinite(r.stepMillis()) && r.steps() >= minSteps)
        .sorted(Comparator.comparingInt(WorkerStepRow::partitionId)).toList();
    if (whole.size() < 2) {
      return;
    }
    double warn = thresholds.get(Thresholds.STRAGGLER_WARN);
    for (WorkerStepRow r : whole) {
      double others = Stat.median(whole.stream().filter(o -> !sameWorker(o, r)).mapToDouble(WorkerStepRow::stepMillis)
          .toArray());
      if (!(others > 0)) {
        continue;
      }
      double slowdown = r.stepMillis() / others;
      Alert.Level level = level(slowdown >= thresholds.get(Thresholds.STRAGGLER_ERROR), slowdown >= warn);
      if (level == null) {
        continue;
      }
      double[] perWindow = new double[w.lastWindow() + 1];
      for (int k = 0; k <= w.lastWindow(); k++) {
        int window = k;
        List<WorkerStepRow> in = steps.stream().filter(o -> o.window() == window).toList();
        double own = in.stream().filter(o -> sameWorker(o, r)).mapToDouble(WorkerStepRow::stepMillis).findFirst()
            .orElse(Double.NaN);
        double rest = Stat.median(in.stream().filter(o -> !sameWorker(o, r)).mapToDouble(WorkerStepRow::stepMillis)
            .toArray());
        perWindow[k] = rest > 0 ? own / rest : Double.NaN;
      }
      alerts.add(new Alert(level, "straggler", run, null, "", w.firstIteration(), w.lastIteration(),
          String.format("%s takes %s ms per iteration (median of %d steps), %sx the other %d workers' median of %s ms: "
              + "synchronous training waits for it", worker(r.partitionId(), r.executorId(), r.host()),
              Format.fixed(r.stepMillis(), 1), r.steps(), Format.fixed(slowdown, 1), whole.size() - 1,
              Format.fixed(others, 1)),
          Map.of("partition_id", (double) r.partitionId(), "step_ms", r.stepMillis(), "others_step_ms", others,
              "slowdown", slowdown),
          onset(w, perWindow, v -> v >= warn), Remedies.of("straggler")));
    }
  }

  private static String statName(String stat) {
    return switch (stat) {
      case "gradient_l2" -> "gradient L2 norm";
      case "activation_mean_abs" -> "activation mean |x|";
      default -> "activation zero fraction";
    };
  }

  /**
   * worker-disagreement: a worker whose gradient L2 norm, activation mean |x| or zero fraction of some layer is off
   * the median of all workers' at the same iteration (by worker.disagree.factor, or worker.disagree.zero.diff) in at
   * least worker.disagree.share of the compared iterations. One alert per worker, naming its worst layers and
   * statistics; the onset is the first window where one of those held at that share.
   */
  private void disagreements(String run, Windows w, List<WorkerStatRow> stats, List<Alert> alerts) {
    double share = thresholds.get(Thresholds.DISAGREE_SHARE);
    Map<List<Object>, List<WorkerStatRow>> byWorker = new TreeMap<>(Comparator.comparing(Object::toString));
    for (WorkerStatRow r : stats) {
      byWorker.computeIfAbsent(List.of(r.partitionId(), String.valueOf(r.executorId()), String.valueOf(r.host())),
          k -> new ArrayList<>()).add(r);
    }
    for (List<WorkerStatRow> rows : byWorker.values()) {
      List<WorkerStatRow> findings = rows.stream().filter(r -> r.window() == WorkerStepRow.WHOLE_RUN
              && r.compared() > 0 && r.disagreeing() > 0 && (double) r.disagreeing() / r.compared() >= share)
          .sorted(Comparator.comparingDouble((WorkerStatRow r) -> -(double) r.disagreeing() / r.compared())
              .thenComparingInt(WorkerStatRow::layerIndex).thenComparing(WorkerStatRow::stat))
          .toList();
      if (findings.isEmpty()) {
        continue;
      }
      WorkerStatRow worst = findings.get(0);
      double[] perWindow = new double[w.lastWindow() + 1];
      java.util.Arrays.fill(perWindow, Double.NaN);
      for (WorkerStatRow r : rows) {
        boolean found = findings.stream().anyMatch(f -> f.layerIndex() == r.layerIndex() && f.stat().equals(r.stat()));
        if (found && r.window() >= 0 && r.window() < perWindow.length && r.compared() > 0) {
          double s = (double) r.disagreeing() / r.compared();
          perWindow[r.window()] = Double.isNaN(perWindow[r.window()]) ? s : Math.max(perWindow[r.window()], s);
        }
      }
      List<String> parts = new ArrayList<>();
      for (WorkerStatRow f : findings.subList(0, Math.min(3, findings.size()))) {
        String deviation = f.stat().equals("zero_fraction")
            ? String.format("%+.2f from", f.deviation()) : Format.fixed(f.deviation(), 2) + "x";
        parts.add(String.format("layer %d %s %s the median in %s of %d iterations", f.layerIndex(),
            statName(f.stat()), deviation, Format.pct((double) f.disagreeing() / f.compared()), f.compared()));
      }
      String more = findings.size() > 3 ? String.format(" (and %d more)", findings.size() - 3) : "";
      alerts.add(new Alert(Alert.Level.WARN, "worker-disagreement", run, null, "", w.firstIteration(),
          w.lastIteration(), String.format("%s disagrees with the other workers at the same iterations: %s%s: "
              + "a bad data shard or a broken executor", worker(worst.partitionId(), worst.executorId(), worst.host()),
              String.join("; ", parts), more),
          Map.of("partition_id", (double) worst.partitionId(), "share", (double) worst.disagreeing() / worst.compared(),
              "deviation", worst.deviation(), "layer_index", (double) worst.layerIndex(),
              "findings", (double) findings.size()),
          onset(w, perWindow, v -> v >= share), Remedies.of("worker-disagreement")));
    }
  }

  /**
   * The first window where {@code held} is true of its value, and whether it stays true in every later window
   * with a value (NaN: no data in that window); null where no window holds.
   */
  static Onset onset(Windows w, double[] perWindow, DoublePredicate held) {
    for (int k = 0; k < perWindow.length; k++) {
      if (!Double.isNaN(perWindow[k]) && held.test(perWindow[k])) {
        boolean stays = true;
        for (int j = k + 1; j < perWindow.length; j++) {
          stays &= Double.isNaN(perWindow[j]) || held.test(perWindow[j]);
        }
        return new Onset(w.windowStart(k), w.windowEnd(k), stays);
      }
    }
    return null;
  }

  private static Alert.Level level(boolean error, boolean warn) {
    return error ? Alert.Level.ERROR : warn ? Alert.Level.WARN : null;
  }


}
