package dev.activationmonkey.collector.dataset;

/**
 * Another collector committed this topic-partition's offset range first: this one's view is stale
 * (it lost the partition in a rebalance, or was paused past the group's timeouts). Its batch must be
 * dropped, never made visible; recovery then shows where the dataset really stands.
 */
public final class FencedException extends Exception {
  private static final long serialVersionUID = 1L;

  public FencedException(String message) {
    super(message);
  }
}
