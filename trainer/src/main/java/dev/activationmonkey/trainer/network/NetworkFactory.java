package dev.activationmonkey.trainer.network;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.trainer.spec.LayerSpec;
import dev.activationmonkey.trainer.spec.Names;
import dev.activationmonkey.trainer.spec.NetworkSpec;
import dev.activationmonkey.trainer.spec.UpdaterSpec;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.learning.config.AMSGrad;
import org.nd4j.linalg.learning.config.AdaDelta;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.AdaMax;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nadam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.InverseSchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.PolySchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

/** Builds the DL4J configuration a {@link NetworkSpec} describes. */
public final class NetworkFactory {
  private NetworkFactory() {}

  /**
   * @param features input width (flat features per example)
   * @param classes output classes (the default size of the output layer)
   */
  public static MultiLayerConfiguration build(NetworkSpec spec, long seed, int features, int classes) {
    if (spec.configurationJson() != null) {
      try {
        return MultiLayerConfiguration.fromJson(Files.readString(Path.of(spec.configurationJson())));
      } catch (IOException e) {
        throw new InvalidInputException("network.configuration-json: cannot read " + spec.configurationJson()
            + ": " + e.getMessage(), e);
      } catch (RuntimeException e) {
        throw new InvalidInputException("network.configuration-json: " + spec.configurationJson()
            + " is not a DL4J MultiLayerConfiguration: " + e.getMessage(), e);
      }
    }
    NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .updater(updater(spec.updater()))
        .weightInit(Names.weightInit(spec.weightInit()))
        .gradientNormalization(Names.gradientNormalization(spec.gradientNormalization()))
        .gradientNormalizationThreshold(spec.gradientNormalizationThreshold());
    if (spec.l1() > 0) {
      base.l1(spec.l1());
    }
    if (spec.l2() > 0) {
      base.l2(spec.l2());
    }
    if (spec.dropout() > 0) {
      base.dropOut(1 - spec.dropout()); // DL4J takes the retain probability
    }
    NeuralNetConfiguration.ListBuilder list = base.list();
    for (int i = 0; i < spec.layers().size(); i++) {
      list.layer(i, layer(spec.layers().get(i), classes));
    }
    if (spec.input().equals("image")) {
      long pixels = (long) spec.imageHeight() * spec.imageWidth() * spec.imageChannels();
      if (pixels != features) {
        throw new InvalidInputException("network.input: " + spec.imageHeight() + " x " + spec.imageWidth() + " x "
            + spec.imageChannels() + " = " + pixels + " values per example, but the data has " + features);
      }
      list.setInputType(InputType.convolutionalFlat(spec.imageHeight(), spec.imageWidth(), spec.imageChannels()));
    } else if (spec.input().equals("recurrent")) {
      list.setInputType(InputType.recurrent(features));
    } else {
      list.setInputType(InputType.feedForward(features));
    }
    try {
      return list.build();
    } catch (RuntimeException e) {
      throw new InvalidInputException("network: DL4J rejects this network: " + e.getMessage(), e);
    }
  }

  /**
   * The untrained DL4J zoo architecture {@code network.zoo} names, for {@code classes} classes and the image shape of
   * {@code network.input}, with {@code network.updater} and {@code seed}: a MultiLayerNetwork or a ComputationGraph,
   * initialised.
   */
  public static org.deeplearning4j.nn.api.Model zoo(NetworkSpec spec, long seed, int features, int classes) {
    long pixels = (long) spec.imageHeight() * spec.imageWidth() * spec.imageChannels();
    if (pixels != features) {
      throw new InvalidInputException("network.input: " + spec.imageHeight() + " x " + spec.imageWidth() + " x "
          + spec.imageChannels() + " = " + pixels + " values per example, but the data has " + features);
    }
    Object model;
    try {
      Class<?> type = Class.forName("org.deeplearning4j.zoo.model." + spec.zoo());
      Object builder = type.getMethod("builder").invoke(null);
      Class<?> b = builder.getClass();
      b.getMethod("numClasses", int.class).invoke(builder, classes);
      b.getMethod("seed", long.class).invoke(builder, seed);
      b.getMethod("inputShape", int[].class).invoke(builder,
          (Object) new int[] {spec.imageChannels(), spec.imageHeight(), spec.imageWidth()});
      b.getMethod("updater", IUpdater.class).invoke(builder, updater(spec.updater()));
      WeightInit init = Names.weightInit(spec.weightInit());
      for (Method m : b.getMethods()) {
        // network.weight-init where the architecture takes one (ResNet50, Xception, Darknet19, SqueezeNet): DL4J's
        // ResNet50 default, a truncated normal with sigma 0.5, overflows to NaN in the forward pass of an untrained net.
        if (m.getName().equals("weightInit") && m.getParameterCount() == 1) {
          Class<?> parameter = m.getParameterTypes()[0];
          if (parameter == WeightInit.class) {
            m.invoke(builder, init);
          } else if (parameter == IWeightInit.class) {
            m.invoke(builder, init.getWeightInitFunction());
          }
        }
      }
      model = b.getMethod("build").invoke(builder);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("deeplearning4j-zoo: cannot build " + spec.zoo() + ": " + e, e);
    }
    try {
      return ((org.deeplearning4j.zoo.ZooModel<?>) model).init();
    } catch (RuntimeException e) {
      throw new InvalidInputException("network.zoo: DL4J cannot build " + spec.zoo() + " for " + spec.imageHeight()
          + " x " + spec.imageWidth() + " x " + spec.imageChannels() + " images and " + classes + " classes: "
          + e.getMessage(), e);
    }
  }

  /** The ComputationGraphConfiguration of {@code network.graph-json}. */
  public static ComputationGraphConfiguration graph(NetworkSpec spec) {
    String file = spec.graphJson();
    if (file == null) {
      throw new IllegalStateException("network.graph-json is not set");
    }
    ComputationGraphConfiguration conf;
    try {
      conf = ComputationGraphConfiguration.fromJson(Files.readString(Path.of(file)));
    } catch (IOException e) {
      throw new InvalidInputException("network.graph-json: cannot read " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new InvalidInputException("network.graph-json: " + file + " is not a DL4J ComputationGraphConfiguration: "
          + e.getMessage(), e);
    }
    if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
      throw new InvalidInputException("network.graph-json: " + file + " has " + conf.getNetworkInputs().size()
          + " inputs and " + conf.getNetworkOutputs().size() + " outputs; monkey train feeds one input and one label"
          + " array (train a multi-input graph through the library, docs/trainer.md)");
    }
    return conf;
  }

  private static Layer layer(LayerSpec l, int classes) {
    if (l.type().equals("bidirectional")) {
      return bidirectional(l, classes);
    }
    Layer.Builder<?> builder = switch (l.type()) {
      case "dense" -> new DenseLayer.Builder().nOut(l.size()).activation(Names.activation(l.activation()));
      case "output" -> new OutputLayer.Builder(Names.loss(l.loss())).nOut(l.size() == null ? classes : l.size())
          .activation(Names.activation(l.activation()));
      case "convolution" -> new ConvolutionLayer.Builder(l.kernel(), l.stride(), l.padding()).nOut(l.size())
          .activation(Names.activation(l.activation()));
      case "subsampling" -> new SubsamplingLayer.Builder(switch (l.pooling()) {
        case "avg" -> SubsamplingLayer.PoolingType.AVG;
        case "pnorm" -> SubsamplingLayer.PoolingType.PNORM;
        default -> SubsamplingLayer.PoolingType.MAX;
      }, l.kernel(), l.stride()).padding(l.padding());
      case "batch-norm" -> new BatchNormalization.Builder();
      case "dropout" -> new DropoutLayer.Builder(1 - l.dropout());
      case "lstm", "graves-lstm", "simple-rnn" -> recurrent(l);
      case "bidirectional" -> throw new IllegalStateException("built by bidirectional()");
      case "rnn-output" -> new RnnOutputLayer.Builder(Names.loss(l.loss())).nOut(l.size() == null ? classes : l.size())
          .activation(Names.activation(l.activation()));
      default -> throw new IllegalStateException(l.type());
    };
    if (builder instanceof org.deeplearning4j.nn.conf.layers.BaseLayer.Builder<?> b) {
      if (l.weightInit() != null) {
        b.weightInit(Names.weightInit(l.weightInit()));
      }
      if (l.l1() != null) {
        b.l1(l.l1());
      }
      if (l.l2() != null) {
        b.l2(l.l2());
      }
    }
    if (l.dropout() != null && !l.type().equals("dropout") && l.dropout() > 0) {
      builder.dropOut(1 - l.dropout());
    }
    if (l.name() != null) {
      builder.name(l.name());
    }
    return builder.build();
  }

  /**
   * DL4J's Bidirectional wraps a copy of the layer per direction; its builder's name fails before the copies exist, so
   * the name is set on the built layer (which names both). The wrapper's dropout applies to the wrapped layer's input.
   */
  private static Layer bidirectional(LayerSpec l, int classes) {
    LayerSpec inner = l.wrapped();
    if (l.dropout() != null && inner.dropout() == null) {
      inner = new LayerSpec(inner.type(), inner.size(), inner.activation(), inner.weightInit(), l.dropout(), inner.l1(),
          inner.l2(), inner.kernel(), inner.stride(), inner.padding(), inner.pooling(), inner.loss(), inner.name(),
          inner.gateActivation(), inner.mode(), inner.wrapped());
    }
    Bidirectional b = new Bidirectional(switch (l.mode()) {
      case "add" -> Bidirectional.Mode.ADD;
      case "mul" -> Bidirectional.Mode.MUL;
      case "average" -> Bidirectional.Mode.AVERAGE;
      default -> Bidirectional.Mode.CONCAT;
    }, layer(inner, classes));
    if (l.name() != null) {
      b.setLayerName(l.name());
    }
    return b;
  }

  @SuppressWarnings("deprecation") // GravesLSTM: deprecated in DL4J in favour of LSTM, still trained and reported
  private static Layer.Builder<?> recurrent(LayerSpec l) {
    return switch (l.type()) {
      case "lstm" -> new LSTM.Builder().nOut(l.size()).activation(Names.activation(l.activation()))
          .gateActivationFunction(Names.activation(l.gateActivation()));
      case "graves-lstm" -> new GravesLSTM.Builder().nOut(l.size()).activation(Names.activation(l.activation()))
          .gateActivationFunction(Names.activation(l.gateActivation()));
      case "simple-rnn" -> new SimpleRnn.Builder().nOut(l.size()).activation(Names.activation(l.activation()));
      default -> throw new IllegalStateException(l.type());
    };
  }

  static IUpdater updater(UpdaterSpec u) {
    ISchedule schedule = schedule(u);
    double lr = u.learningRate();
    return switch (u.type()) {
      case "sgd" -> schedule == null ? new Sgd(lr) : new Sgd(schedule);
      case "adam" -> schedule == null ? new Adam(lr) : new Adam(schedule);
      case "nesterovs" -> schedule == null ? new Nesterovs(lr, u.momentum()) : new Nesterovs(schedule, u.momentum());
      case "rmsprop" -> schedule == null ? new RmsProp(lr) : new RmsProp(schedule);
      case "adagrad" -> schedule == null ? new AdaGrad(lr) : new AdaGrad(schedule);
      case "adadelta" -> new AdaDelta();
      case "adamax" -> schedule == null ? new AdaMax(lr) : new AdaMax(schedule);
      case "nadam" -> schedule == null ? new Nadam(lr) : new Nadam(schedule);
      case "amsgrad" -> schedule == null ? new AMSGrad(lr) : new AMSGrad(schedule);
      case "noop" -> new NoOp();
      default -> throw new IllegalStateException(u.type());
    };
  }

  private static ISchedule schedule(UpdaterSpec u) {
    ScheduleType type = u.scheduleUnit().equals("epoch") ? ScheduleType.EPOCH : ScheduleType.ITERATION;
    return switch (u.schedule()) {
      case "step" -> new StepSchedule(type, u.learningRate(), u.decay(), u.step());
      case "exponential" -> new ExponentialSchedule(type, u.learningRate(), u.decay());
      case "inverse" -> new InverseSchedule(type, u.learningRate(), u.decay(), u.power());
      case "poly" -> new PolySchedule(type, u.learningRate(), u.power(), u.maxIterations());
      case "map" -> new MapSchedule(type, u.values());
      default -> null;
    };
  }
}
