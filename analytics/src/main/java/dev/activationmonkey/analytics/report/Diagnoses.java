package dev.activationmonkey.analytics.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Groups a run's alerts by cause (docs/analytics.md, "Diagnoses"):
 * <ul>
 *   <li>NaN/Inf: when gradients exploded before the first NaN/Inf, the largest explosion is the cause and every
 *       non-finite (and other exploding) alert its consequence; otherwise the earliest non-finite alert is.</li>
 *   <li>An explosion with no NaN/Inf in the log (training stopped at its first non-finite loss): the largest
 *       explosion is the cause of the other explosions, of too-large update ratios, and of dead, lazy or saturated
 *       units from its onset on.</li>
 *   <li>A layer without parameters (pooling, dropout, activation) inherits its input layer's state: its
 *       dead-neurons, lazy-neurons or saturation alert follows from the same alert on the layer before it.</li>
 *   <li>Zero gradients from dead units: a vanishing-gradient alert follows from dead-neurons on a layer between
 *       the first and the last layer with gradients (the largest dead share), and a layer's "almost stopped
 *       learning" update-ratio alert from dead-neurons on that layer, or else, below the last layer with gradients,
 *       from the vanishing gradient.</li>
 * </ul>
 */
final class Diagnoses {
  private static final Set<String> INHERITED = Set.of("dead-neurons", "lazy-neurons", "saturation");

  private Diagnoses() {}

  /**
   * @param alerts the run's alerts, in report order
   * @param lastGradientLayer the last layer with gradients, -1 if none
   */
  static List<Diagnosis> group(List<Alert> alerts, List<LayerReport> layers, int lastGradientLayer) {
    Map<Alert, Alert> parent = new IdentityHashMap<>();

    List<Alert> nonFinite = alerts.stream().filter(a -> a.rule().equals("non-finite"))
        .sorted(Comparator.comparingLong(Alert::fromIteration).thenComparing(Alert::layerIndex)).toList();
    if (!nonFinite.isEmpty()) {
      List<Alert> exploding = alerts.stream().filter(a -> a.rule().equals("exploding-gradient")).toList();
      Alert root = exploding.stream().max(Comparator.comparingDouble(a -> a.evidence().get("growth")))
          .orElse(nonFinite.get(0));
      for (Alert a : nonFinite) {
        link(parent, a, root);
      }
      for (Alert a : exploding) {
        link(parent, a, root);
      }
    }

    // An explosion without a logged NaN (the run stopped at its first non-finite loss, before the next logged step):
    // the largest explosion is still the cause of the other layers' explosions, of updates too large for the weights,
    // and of units that died or saturated from its onset on (a blown-up softmax or ReLU layer stops "firing").
    List<Alert> exploding = alerts.stream().filter(a -> a.rule().equals("exploding-gradient")).toList();
    if (nonFinite.isEmpty() && !exploding.isEmpty()) {
      Alert root = exploding.stream().max(Comparator.comparingDouble(a -> a.evidence().get("growth"))).orElseThrow();
      long onset = onset(root);
      for (Alert a : alerts) {
        boolean tooLarge = a.rule().equals("update-ratio") && a.evidence().get("update_ratio_log10") > -3;
        boolean afterIt = INHERITED.contains(a.rule()) && onset(a) >= onset;
        if (!parent.containsKey(a) && (a.rule().equals("exploding-gradient") || tooLarge || afterIt)) {
          link(parent, a, root);
        }
      }
    }

    boolean anyGradients = layers.stream().anyMatch(l -> !Double.isNaN(l.gradientL2()));
    for (int i = 1; i < layers.size() && anyGradients; i++) {
      LayerReport layer = layers.get(i);
      if (!Double.isNaN(layer.gradientL2())) {
        continue;
      }
      int input = layers.get(i - 1).layerIndex();
      for (Alert a : alerts) {
        if (INHERITED.contains(a.rule()) && a.layerIndex() != null && a.layerIndex() == layer.layerIndex()) {
          alerts.stream().filter(b -> b.rule().equals(a.rule()) && b.layerIndex() != null && b.layerIndex() == input)
              .findFirst().ifPresent(b -> link(parent, a, b));
        }
      }
    }

    for (Alert v : alerts) {
      if (v.rule().equals("vanishing-gradient") && !parent.containsKey(v)) {
        alerts.stream().filter(d -> d.rule().equals("dead-neurons") && d.layerIndex() >= v.layerIndex()
                && d.layerIndex() < lastGradientLayer)
            .max(Comparator.comparingDouble(d -> d.evidence().get("share")))
            .ifPresent(d -> link(parent, v, d));
      }
      if (v.rule().equals("update-ratio") && v.evidence().get("update_ratio_log10") < -3 && !parent.containsKey(v)) {
        alerts.stream().filter(d -> d.rule().equals("dead-neurons") && d.layerIndex().equals(v.layerIndex()))
            .findFirst().ifPresent(d -> link(parent, v, d));
      }
    }

    // Layers that almost stopped learning while the gradient vanishes on its way down: the vanishing gradient's
    // consequence (found on a really trained deep sigmoid network, where four such alerts stood as causes of their own).
    alerts.stream().filter(a -> a.rule().equals("vanishing-gradient")).findFirst().ifPresent(vanishing -> {
      for (Alert u : alerts) {
        if (u.rule().equals("update-ratio") && u.evidence().get("update_ratio_log10") < -3 && !parent.containsKey(u)
            && u.layerIndex() != null && u.layerIndex() < lastGradientLayer) {
          link(parent, u, vanishing);
        }
      }
    });

    Map<Alert, List<Alert>> groups = new LinkedHashMap<>();
    Map<Alert, Boolean> roots = new IdentityHashMap<>();
    for (Alert a : alerts) {
      Alert root = root(parent, a);
      roots.put(root, true);
    }
    List<Alert> order = new ArrayList<>(alerts);
    for (Alert a : order) {
      if (roots.containsKey(a) && !containsIdentity(groups.keySet(), a)) {
        groups.put(a, new ArrayList<>());
      }
    }
    for (Alert a : order) {
      Alert root = root(parent, a);
      if (root != a) {
        for (Map.Entry<Alert, List<Alert>> g : groups.entrySet()) {
          if (g.getKey() == root) {
            g.getValue().add(a);
          }
        }
      }
    }
    List<Diagnosis> out = new ArrayList<>();
    groups.forEach((cause, consequences) -> out.add(new Diagnosis(cause, consequences)));
    out.sort(Comparator.comparing(Diagnosis::level).reversed()
        .thenComparing(d -> d.cause().layerIndex() == null ? -1 : d.cause().layerIndex()));
    return out;
  }

  private static long onset(Alert a) {
    return a.onset() != null ? a.onset().iteration() : a.fromIteration();
  }

  private static void link(Map<Alert, Alert> parent, Alert child, Alert cause) {
    if (child != cause && root(parent, cause) != child) {
      parent.put(child, cause);
    }
  }

  private static Alert root(Map<Alert, Alert> parent, Alert a) {
    Alert r = a;
    for (int guard = 0; parent.containsKey(r) && guard < 1000; guard++) {
      r = parent.get(r);
    }
    return r;
  }

  private static boolean containsIdentity(Set<Alert> set, Alert a) {
    return set.stream().anyMatch(x -> x == a);
  }
}
