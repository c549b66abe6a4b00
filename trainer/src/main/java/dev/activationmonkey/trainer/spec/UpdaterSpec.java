package dev.activationmonkey.trainer.spec;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The updater (optimiser) and its learning rate, optionally on a schedule.
 *
 * @param type sgd, adam, nesterovs, rmsprop, adagrad, adadelta, adamax, nadam, amsgrad or noop
 * @param learningRate the (initial) learning rate
 * @param momentum nesterovs: momentum
 * @param schedule none, step, exponential, inverse, poly or map
 * @param scheduleUnit iteration or epoch
 * @param decay step/exponential/inverse: decay rate (gamma)
 * @param step step: apply the decay every this many units
 * @param power inverse/poly: power
 * @param maxIterations poly: the unit count at which the rate reaches 0
 * @param values map: unit → learning rate from that unit on
 */
public record UpdaterSpec(String type, double learningRate, double momentum, String schedule, String scheduleUnit,
    double decay, double step, double power, int maxIterations, Map<Integer, Double> values) {

  static final List<String> TYPES =
      List.of("sgd", "adam", "nesterovs", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "amsgrad", "noop");
  static final List<String> SCHEDULES = List.of("none", "step", "exponential", "inverse", "poly", "map");

  static UpdaterSpec read(SpecNode n) {
    String type = n.choice("type", "adam", TYPES);
    double learningRate = n.number("learning-rate", type.equals("sgd") ? 0.1 : 1e-3, 0, 100);
    double momentum = n.number("momentum", 0.9, 0, 1);
    SpecNode s = n.object("schedule");
    String schedule = s.choice("type", "none", SCHEDULES);
    String unit = s.choice("unit", "iteration", List.of("iteration", "epoch"));
    double decay = s.number("decay", 0.5, 0, 1e6);
    double step = s.number("step", 1000, 1, 1e12);
    double power = s.number("power", 1.0, 0, 100);
    int maxIterations = s.integer("max-iterations", 10_000, 1, Integer.MAX_VALUE);
    Map<Integer, Double> values = new TreeMap<>();
    for (Map.Entry<String, String> e : s.stringMap("values").entrySet()) {
      try {
        values.put(Integer.parseInt(e.getKey()), Double.parseDouble(e.getValue()));
      } catch (NumberFormatException bad) {
        throw s.invalidKey("values." + e.getKey(), "expected '<" + unit + ">: <learning rate>', e.g. '0: 0.01'");
      }
    }
    if (schedule.equals("map") && !values.containsKey(0)) {
      throw s.invalidKey("values", "a map schedule needs an entry for 0 (the initial learning rate)");
    }
    s.done();
    n.done();
    return new UpdaterSpec(type, learningRate, momentum, schedule, unit, decay, step, power, maxIterations, values);
  }

  static UpdaterSpec defaults() {
    return new UpdaterSpec("adam", 1e-3, 0.9, "none", "iteration", 0.5, 1000, 1, 10_000, Map.of());
  }
}
