package com.example.ownjob;

import dev.activationmonkey.trainer.RunResult;
import dev.activationmonkey.trainer.api.ActivationMonkey;
import dev.activationmonkey.trainer.api.MonitoredRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A team's own Spark job: its own data, its own ComputationGraph (a residual block), its own training master. Three
 * lines of Activation Monkey: the builder, {@code instrument}, {@code finish}.
 *
 * <p>Usage: {@code OwnSparkJob BOOTSTRAP_SERVERS [TOPIC]}. Runs in Spark local mode unless {@code spark.master} is set
 * (spark-submit sets it).
 */
public final class OwnSparkJob {
  private OwnSparkJob() {}

  public static void main(String[] args) {
    String servers = args.length > 0 ? args[0] : "127.0.0.1:9092";
    String topic = args.length > 1 ? args[1] : "monkey.snapshots";
    SparkConf sparkConf = new SparkConf().setAppName("own-spark-job").setIfMissing("spark.master", "local[2]")
        .setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.ui.enabled", "false");
    try (JavaSparkContext sc = new JavaSparkContext(sparkConf)) {
      // The job's own network: dense -> dense, with the first layer's output added back (a skip connection).
      ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(42).updater(new Adam(1e-2))
          .graphBuilder()
          .addInputs("features")
          .setInputTypes(InputType.feedForward(10))
          .addLayer("hidden1", new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build(), "features")
          .addLayer("hidden2", new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build(), "hidden1")
          .addVertex("residual", new ElementWiseVertex(ElementWiseVertex.Op.Add), "hidden1", "hidden2")
          .addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
              .activation(Activation.SOFTMAX).build(), "residual")
          .setOutputs("output")
          .build();
      ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(32)
          .batchSizePerWorker(32).averagingFrequency(4).workerPrefetchNumBatches(0)
          .rddTrainingApproach(RDDTrainingApproach.Direct).repartionData(Repartition.Never).build();
      SparkComputationGraph sparkNet = new SparkComputationGraph(sc, conf, master);
      JavaRDD<DataSet> train = sc.parallelize(batches(16, 1), 2).cache();
      JavaRDD<DataSet> test = sc.parallelize(batches(4, 2), 2);

      // Activation Monkey: one builder, one instrument call, one finish.
      ActivationMonkey monkey = ActivationMonkey.forRun("own-spark-job")
          .kafka(servers)
          .topic(topic)
          .every(5)
          .tag("team", "example")
          .build();
      try (MonitoredRun run = monkey.instrument(sparkNet)) {
        for (int epoch = 0; epoch < 3; epoch++) {
          sparkNet.fit(train);
          run.evaluation(sparkNet.evaluate(test), Double.NaN);
        }
        RunResult result = run.finish();
        System.out.println(result.summary());
        System.out.printf("activation-monkey run %s: %d snapshots sent%n", result.runId(), result.snapshotsSent());
      }
    }
  }

  /** {@code count} batches of 32 examples: the class says whether the first two features sum above zero. */
  private static List<DataSet> batches(int count, long seed) {
    Random random = new Random(seed);
    List<DataSet> batches = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      float[][] x = new float[32][10];
      float[][] y = new float[32][2];
      for (int i = 0; i < 32; i++) {
        for (int f = 0; f < 10; f++) {
          x[i][f] = (float) random.nextGaussian();
        }
        y[i][x[i][0] + x[i][1] > 0 ? 1 : 0] = 1;
      }
      batches.add(new DataSet(Nd4j.create(x), Nd4j.create(y)));
    }
    return batches;
  }
}
