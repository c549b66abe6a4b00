package dev.activationmonkey.trainer.progress;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The driver's progress line: epoch, iteration, samples/s, loss, snapshots sent. Redrawn in place with
 * {@code \r} on a terminal (every second), printed as plain lines otherwise (every 10 seconds), so logs
 * stay readable.
 */
public final class ProgressLine implements AutoCloseable {
  /** A reading of the run's counters. */
  public record Reading(int epoch, int epochs, long iterations, long examples, double loss, long snapshotsSent) {}

  private final PrintStream out;
  private final boolean terminal;
  private final Supplier<Reading> source;
  private final ScheduledExecutorService timer;
  private final long startNanos = System.nanoTime();
  private long lastExamples;
  private long lastNanos = startNanos;
  private int lastWidth;

  public ProgressLine(PrintStream out, boolean terminal, Supplier<Reading> source) {
    this.out = out;
    this.terminal = terminal;
    this.source = source;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "activation-monkey-progress");
      t.setDaemon(true);
      return t;
    });
    long period = terminal ? 1 : 10;
    timer.scheduleAtFixedRate(this::print, period, period, TimeUnit.SECONDS);
  }

  /** Prints the current reading now (e.g. at the end of an epoch) as its own line. */
  public synchronized void printLine(String suffix) {
    String text = format(source.get()) + suffix;
    if (terminal) {
      out.print("\r" + pad(text) + "\n");
      lastWidth = 0;
    } else {
      out.println(text);
    }
    out.flush();
  }

  private synchronized void print() {
    String text = format(source.get());
    if (terminal) {
      out.print("\r" + pad(text));
      lastWidth = text.length();
    } else {
      out.println(text);
    }
    out.flush();
  }

  private String pad(String text) {
    return text.length() >= lastWidth ? text : text + " ".repeat(lastWidth - text.length());
  }

  private String format(Reading r) {
    long now = System.nanoTime();
    double seconds = (now - lastNanos) / 1e9;
    double rate = seconds > 0 ? (r.examples() - lastExamples) / seconds : 0;
    lastExamples = r.examples();
    lastNanos = now;
    return String.format(Locale.ROOT, "epoch %d/%d  iteration %,d  %,.0f samples/s  loss %.4f  snapshots %,d sent",
        r.epoch(), r.epochs(), r.iterations(), rate, r.loss(), r.snapshotsSent());
  }

  @Override
  public synchronized void close() {
    timer.shutdownNow();
    if (terminal && lastWidth > 0) {
      out.print("\r" + " ".repeat(lastWidth) + "\r");
      out.flush();
    }
  }
}
