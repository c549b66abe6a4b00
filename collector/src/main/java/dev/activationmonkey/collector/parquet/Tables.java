package dev.activationmonkey.collector.parquet;

import static dev.activationmonkey.collector.parquet.Column.float32List;
import static dev.activationmonkey.collector.parquet.Column.float64;
import static dev.activationmonkey.collector.parquet.Column.float64List;
import static dev.activationmonkey.collector.parquet.Column.int32;
import static dev.activationmonkey.collector.parquet.Column.int32List;
import static dev.activationmonkey.collector.parquet.Column.int64;
import static dev.activationmonkey.collector.parquet.Column.int64List;
import static dev.activationmonkey.collector.parquet.Column.optionalFloat64;
import static dev.activationmonkey.collector.parquet.Column.optionalInt32;
import static dev.activationmonkey.collector.parquet.Column.optionalInt64;
import static dev.activationmonkey.collector.parquet.Column.optionalString;
import static dev.activationmonkey.collector.parquet.Column.string;
import static dev.activationmonkey.collector.parquet.Column.stringMap;
import static dev.activationmonkey.collector.parquet.Column.structList;
import static dev.activationmonkey.collector.parquet.Column.timestampMillis;

import dev.activationmonkey.snapshot.RecordType;
import dev.activationmonkey.snapshot.avro.ActivationSample;
import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.Histogram;
import dev.activationmonkey.snapshot.avro.LayerInfo;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.NeuronStats;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The dataset's tables: flat snake_case columns for every record type. {@code run_id} (and
 * {@code kind} for snapshots) are hive partition columns, taken from the directory names and not
 * repeated inside the files. Every table ends with {@code format_version, kafka_topic,
 * kafka_partition, kafka_offset}: where each row came from, which is also what makes each row
 * unique.
 */
public final class Tables {
  private Tables() {}

  public static final Table<Row> SNAPSHOTS = new Table<>(RecordType.LAYER_SNAPSHOT.tableName(), withSource(List.of(
      int32("partition_id", r -> snapshot(r).getWorker().getPartitionId()),
      int32("attempt_number", r -> snapshot(r).getWorker().getAttemptNumber()),
      int64("task_attempt_id", r -> snapshot(r).getWorker().getTaskAttemptId()),
      int32("stage_id", r -> snapshot(r).getWorker().getStageId()),
      string("executor_id", r -> snapshot(r).getWorker().getExecutorId()),
      string("host", r -> snapshot(r).getWorker().getHost()),
      string("thread", r -> snapshot(r).getWorker().getThread()),
      int32("epoch", r -> snapshot(r).getEpoch()),
      int64("iteration", r -> snapshot(r).getIteration()),
      int32("layer_index", r -> snapshot(r).getLayerIndex()),
      string("layer_name", r -> snapshot(r).getLayerName()),
      string("layer_type", r -> snapshot(r).getLayerType()),
      optionalString("activation_function", r -> snapshot(r).getActivationFunction()),
      optionalString("parameter_name", r -> snapshot(r).getParameterName()),
      timestampMillis("timestamp", r -> snapshot(r).getTimestampMillis().toEpochMilli()),
      int64("count", r -> snapshot(r).getCount()),
      float64("mean", r -> snapshot(r).getMean()),
      float64("std", r -> snapshot(r).getStd()),
      float64("min", r -> snapshot(r).getMin()),
      float64("max", r -> snapshot(r).getMax()),
      float64("mean_abs", r -> snapshot(r).getMeanAbs()),
      float64("l2_norm", r -> snapshot(r).getL2Norm()),
      float64("zero_fraction", r -> snapshot(r).getZeroFraction()),
      float64("near_zero_fraction", r -> snapshot(r).getNearZeroFraction()),
      float64("near_zero_threshold", r -> snapshot(r).getNearZeroThreshold()),
      int64("nan_count", r -> snapshot(r).getNanCount()),
      int64("pos_inf_count", r -> snapshot(r).getPosInfCount()),
      int64("neg_inf_count", r -> snapshot(r).getNegInfCount()),
      float64List("histogram_edges", r -> nested(snapshot(r).getHistogram(), Histogram::getEdges)),
      int64List("histogram_counts", r -> nested(snapshot(r).getHistogram(), Histogram::getCounts)),
      optionalString("neuron_unit", r -> nested(snapshot(r).getNeurons(), n -> n.getUnit().name().toLowerCase(Locale.ROOT))),
      optionalInt32("neuron_examples", r -> nested(snapshot(r).getNeurons(), NeuronStats::getExamples)),
      float32List("firing_rate", r -> nested(snapshot(r).getNeurons(), NeuronStats::getFiringRate)),
      float32List("mean_activation", r -> nested(snapshot(r).getNeurons(), NeuronStats::getMeanActivation)),
      optionalFloat64("saturated_fraction", r -> snapshot(r).getSaturatedFraction()),
      int32List("sample_shape", r -> nested(snapshot(r).getSample(), ActivationSample::getShape)),
      float32List("sample_values", r -> nested(snapshot(r).getSample(), ActivationSample::getValues)))));

  private static final List<Column<LayerInfo>> LAYER_INFO = List.of(
      int32("index", LayerInfo::getIndex),
      string("name", LayerInfo::getName),
      string("type", LayerInfo::getType),
      optionalString("activation_function", LayerInfo::getActivationFunction),
      optionalString("weight_init", LayerInfo::getWeightInit),
      int64("inputs", LayerInfo::getInputs),
      int64("outputs", LayerInfo::getOutputs),
      int64("parameters", LayerInfo::getParameters),
      optionalFloat64("dropout", LayerInfo::getDropout),
      optionalFloat64("l1", LayerInfo::getL1),
      optionalFloat64("l2", LayerInfo::getL2));

  public static final Table<Row> RUNS = new Table<>(RecordType.RUN_START.tableName(), withSource(List.of(
      timestampMillis("timestamp", r -> runStart(r).getTimestampMillis().toEpochMilli()),
      string("job_spec", r -> runStart(r).getJobSpec()),
      string("spark_master", r -> runStart(r).getSparkMaster()),
      int32("workers", r -> runStart(r).getWorkers()),
      string("training_master", r -> runStart(r).getTrainingMaster()),
      int64("network_total_parameters", r -> runStart(r).getNetwork().getTotalParameters()),
      string("network_updater", r -> runStart(r).getNetwork().getUpdater()),
      structList("network_layers", r -> runStart(r).getNetwork().getLayers(), LAYER_INFO),
      string("data_source", r -> runStart(r).getData().getSource()),
      int64("data_train_examples", r -> runStart(r).getData().getTrainExamples()),
      int64("data_test_examples", r -> runStart(r).getData().getTestExamples()),
      int32("data_features", r -> runStart(r).getData().getFeatures()),
      int32("data_classes", r -> runStart(r).getData().getClasses()),
      int32("data_batch_size", r -> runStart(r).getData().getBatchSize()),
      stringMap("tags", r -> runStart(r).getTags()))));

  public static final Table<Row> EVALUATIONS = new Table<>(RecordType.EVALUATION.tableName(), withSource(List.of(
      int32("epoch", r -> evaluation(r).getEpoch()),
      int64("iteration", r -> evaluation(r).getIteration()),
      timestampMillis("timestamp", r -> evaluation(r).getTimestampMillis().toEpochMilli()),
      int64("examples", r -> evaluation(r).getExamples()),
      float64("loss", r -> evaluation(r).getLoss()),
      float64("accuracy", r -> evaluation(r).getAccuracy()),
      float64("precision", r -> evaluation(r).getPrecision()),
      float64("recall", r -> evaluation(r).getRecall()),
      float64("f1", r -> evaluation(r).getF1()))));

  public static final Table<Row> RUN_ENDS = new Table<>(RecordType.RUN_END.tableName(), withSource(List.of(
      timestampMillis("timestamp", r -> runEnd(r).getTimestampMillis().toEpochMilli()),
      string("status", r -> runEnd(r).getStatus().name().toLowerCase(Locale.ROOT)),
      optionalString("message", r -> runEnd(r).getMessage()),
      int32("epochs", r -> runEnd(r).getEpochs()),
      int64("iterations", r -> runEnd(r).getIterations()),
      int64("duration_millis", r -> runEnd(r).getDurationMillis()),
      int64("snapshots_sent", r -> runEnd(r).getSnapshotsSent()),
      int64("snapshots_spilled", r -> runEnd(r).getSnapshotsSpilled()),
      int64("snapshots_resent", r -> runEnd(r).getSnapshotsResent()),
      int64("snapshots_dropped", r -> runEnd(r).getSnapshotsDropped()),
      int64("examples", r -> runEnd(r).getExamples()),
      int64("examples_per_epoch", r -> runEnd(r).getExamplesPerEpoch()),
      optionalInt64("first_non_finite_iteration", r -> runEnd(r).getFirstNonFiniteIteration()),
      optionalInt32("first_non_finite_worker", r -> runEnd(r).getFirstNonFiniteWorker()))));

  private static final Map<RecordType, Table<Row>> BY_TYPE = new EnumMap<>(Map.of(
      RecordType.LAYER_SNAPSHOT, SNAPSHOTS,
      RecordType.RUN_START, RUNS,
      RecordType.EVALUATION, EVALUATIONS,
      RecordType.RUN_END, RUN_ENDS));

  /** The table records of a type land in. */
  public static Table<Row> of(RecordType type) {
    return BY_TYPE.get(type);
  }

  private static List<Column<Row>> withSource(List<Column<Row>> columns) {
    List<Column<Row>> all = new ArrayList<>(columns);
    all.add(int32("format_version", Row::formatVersion));
    all.add(string("kafka_topic", Row::topic));
    all.add(int32("kafka_partition", Row::partition));
    all.add(int64("kafka_offset", Row::offset));
    return all;
  }

  private static <N, V> V nested(N parent, Function<N, V> child) {
    return parent == null ? null : child.apply(parent);
  }

  private static LayerSnapshot snapshot(Row row) {
    return (LayerSnapshot) row.record();
  }

  private static RunStart runStart(Row row) {
    return (RunStart) row.record();
  }

  private static Evaluation evaluation(Row row) {
    return (Evaluation) row.record();
  }

  private static RunEnd runEnd(Row row) {
    return (RunEnd) row.record();
  }
}
