package dev.activationmonkey.analytics.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.TestLogs;
import dev.activationmonkey.analytics.TestLogs.Layer;
import dev.activationmonkey.analytics.report.Thresholds;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The dashboard's activation maximization of a run's checkpoint, beside real MNIST digits, and its path rules. */
class DashboardMaximizeIT {
  static final Path MNIST = Path.of(System.getProperty("monkey.project.root", ".."))
      .resolve("trainer/src/main/resources/dev/activationmonkey/trainer/data/mnist/t10k-images-idx3-ubyte.gz");

  @TempDir
  Path dir;

  private static HttpResponse<byte[]> get(DashboardServer s, String target) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(s.url() + target.substring(1))).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void aCheckpointsNeuronBesideTheExamplesThatExciteItMostAndAGridOfItsLayer() throws Exception {
    Path data = dir.resolve("data");
    TestLogs.writeRun(data, "r1", 20, 1, 0, List.of(Layer.healthy(0)));
    Path checkpoints = Files.createDirectories(dir.resolve("checkpoints"));
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(7)
        .weightInit(WeightInit.XAVIER).list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(9).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(9).nOut(10).activation(Activation.SOFTMAX)
            .build()).build());
    net.init();
    ModelSerializer.writeModel(net, checkpoints.resolve("r1-epoch-1.zip").toFile(), false);
    Files.writeString(dir.resolve("r1-epoch-2.zip"), "outside the checkpoint folder");
    try (DashboardServer s = DashboardServer.start(data, "127.0.0.1", 0, Thresholds.defaults(), checkpoints, MNIST)) {
      assertEquals("{\"run\":\"r1\",\"epochs\":[1]}", new String(get(s, "/api/checkpoints?run=r1").body()));

      HttpResponse<byte[]> one = get(s, "/api/maximize.png?run=r1&epoch=1&layer=0&neuron=3&steps=30");
      assertEquals(200, one.statusCode(), new String(one.body()));
      BufferedImage strip = ImageIO.read(new ByteArrayInputStream(one.body()));
      assertEquals(8 + 6 * (280 + 8), strip.getWidth(), "280 px maximized input beside the 5 best digits");

      HttpResponse<byte[]> grid = get(s, "/api/maximize.png?run=r1&epoch=1&layer=0&steps=10");
      assertEquals(200, grid.statusCode(), new String(grid.body()));
      assertEquals(8 + 3 * (112 + 8), ImageIO.read(new ByteArrayInputStream(grid.body())).getWidth(), "9 units, 3x3");

      // a checkpoint is named by run and epoch, never by a path
      assertEquals(404, get(s, "/api/maximize.png?run=..%2Fr1&epoch=2&layer=0").statusCode());
      assertEquals(404, get(s, "/api/maximize.png?run=r1&epoch=2&layer=0").statusCode(), "epoch 2 is outside");
      assertEquals(400, get(s, "/api/maximize.png?run=r1&epoch=..%2F2&layer=0").statusCode());
      HttpResponse<byte[]> layer = get(s, "/api/maximize.png?run=r1&epoch=1&layer=5");
      assertEquals(400, layer.statusCode());
      assertTrue(new String(layer.body()).contains("layers 0-1"), new String(layer.body()));
    }
    try (DashboardServer s = DashboardServer.start(data, "127.0.0.1", 0, Thresholds.defaults())) {
      assertEquals("{\"run\":\"r1\",\"epochs\":[]}", new String(get(s, "/api/checkpoints?run=r1").body()));
      HttpResponse<byte[]> none = get(s, "/api/maximize.png?run=r1&epoch=1&layer=0");
      assertEquals(404, none.statusCode());
      assertTrue(new String(none.body()).contains("--checkpoints"), new String(none.body()));
    }
  }
}
