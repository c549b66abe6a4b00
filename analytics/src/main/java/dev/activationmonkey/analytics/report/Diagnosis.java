package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Alerts grouped by cause: the alert that names the cause and the alerts that follow from it (NaN/Inf after
 * exploding gradients, a pooling layer's dead units after its convolution's, a vanishing gradient behind dead
 * units). Its level is the highest of them all, so {@code --fail-on} decides as on the flat list.
 */
public record Diagnosis(Alert cause, List<Alert> consequences) {
  public Diagnosis {
    requireNonNull(cause, "cause is null");
    consequences = List.copyOf(consequences);
  }

  public Alert.Level level() {
    return consequences.stream().map(Alert::level).reduce(cause.level(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
  }
}
