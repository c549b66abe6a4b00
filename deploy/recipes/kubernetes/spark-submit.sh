#!/usr/bin/env bash
# Training on Kubernetes: the driver and 4 executors as pods of the image ../docker/Dockerfile.spark builds.
# Needs: spark-submit 3.5 on the PATH, a kubeconfig, a service account allowed to create pods (spark).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OPENS="$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$HERE/../../local-spark/src/main/resources/dev/activationmonkey/localspark/java17-opens.txt" | tr '\n' ' ') --add-modules=jdk.incubator.vector"
spark-submit --master "k8s://${K8S_API:-https://kubernetes.default.svc}" --deploy-mode cluster \
  --conf spark.kubernetes.container.image="${IMAGE:-activation-monkey-trainer:0.1.0-SNAPSHOT}" \
  --conf spark.kubernetes.authenticate.driver.serviceAccountName=spark \
  --conf spark.executor.instances=4 --conf spark.executor.cores=2 --conf spark.executor.memory=4g \
  --conf spark.executorEnv.OMP_NUM_THREADS=1 \
  --conf spark.driver.extraJavaOptions="$OPENS" --conf spark.executor.extraJavaOptions="$OPENS" \
  --class dev.activationmonkey.trainer.cli.TrainCommand local:///opt/jobs/trainer-spark.jar --config /opt/jobs/job.yaml
