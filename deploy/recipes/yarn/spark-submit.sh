#!/usr/bin/env bash
# Training on YARN in cluster mode with the distribution's spark-submit jar. Needs spark-submit 3.5 (Scala 2.12) on the
# PATH and HADOOP_CONF_DIR pointing at the cluster; the executors' JDK must be 17.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIST="${MONKEY_DIST:-/opt/activation-monkey}"
OPENS="$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$DIST/conf/java17-opens.txt" | tr '\n' ' ') --add-modules=jdk.incubator.vector"
spark-submit --master yarn --deploy-mode cluster --num-executors 8 --executor-cores 2 --executor-memory 4g \
  --conf spark.executorEnv.OMP_NUM_THREADS=1 \
  --conf spark.driver.extraJavaOptions="$OPENS" --conf spark.executor.extraJavaOptions="$OPENS" \
  --files "$HERE/job.yaml" --class dev.activationmonkey.trainer.cli.TrainCommand "$DIST/spark-app/trainer-spark.jar" \
  --config job.yaml
