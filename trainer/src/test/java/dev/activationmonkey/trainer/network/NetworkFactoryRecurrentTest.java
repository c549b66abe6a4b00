package dev.activationmonkey.trainer.network;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.trainer.spec.JobSpec;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Every recurrent layer kind of the job spec builds into a DL4J network that fits a masked batch of sequences. */
class NetworkFactoryRecurrentTest {
  @Test
  void recurrentKindsBuildAndTrainOnMaskedSequences() {
    JobSpec spec = JobSpec.parse("""
        data: {format: csv-sequences, path: /seq}
        network:
          layers:
            - {type: lstm, size: 6, name: lstm}
            - {type: graves-lstm, size: 5, name: graves}
            - {type: bidirectional, name: both, layer: {type: simple-rnn, size: 4}}
            - {type: rnn-output, name: out}
        """, "job.yaml");
    MultiLayerConfiguration conf = NetworkFactory.build(spec.network(), 1, 3, 2);
    assertTrue(conf.getConf(0).getLayer() instanceof LSTM);
    assertTrue(conf.getConf(1).getLayer() instanceof GravesLSTM);
    Bidirectional both = (Bidirectional) conf.getConf(2).getLayer();
    assertTrue(both.getFwd() instanceof SimpleRnn);
    RnnOutputLayer out = (RnnOutputLayer) conf.getConf(3).getLayer();
    assertEquals(8, out.getNIn(), "concat: both directions' 4 units");
    assertEquals(List.of("lstm", "graves", "both", "out"),
        conf.getConfs().stream().map(c -> c.getLayer().getLayerName()).toList());

    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 4);
    INDArray y = Nd4j.zeros(DataType.FLOAT, 2, 2, 4);
    y.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(0),
        org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(1);
    INDArray mask = Nd4j.createFromArray(new float[][] {{1, 1, 1, 1}, {1, 1, 0, 0}});
    net.fit(new DataSet(x, y, mask, mask));
    assertTrue(Double.isFinite(net.score()));
    assertArrayEquals(new long[] {2, 2, 4}, net.output(x, false, mask, mask).shape());
  }
}
