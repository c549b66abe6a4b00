#!/usr/bin/env bash
# Activation Monkey launcher: builds what it needs on first use, then runs the `monkey` command line.
#   ./monkey --help            every command
#   ./monkey demo              the whole pipeline on this machine
#   ./monkey demo --cluster    the same, training through spark-submit on a local Spark standalone cluster
# Environment: JAVA_HOME (a JDK 17), MONKEY_JAVA_OPTS (extra JVM flags, e.g. -Xmx8g),
#              MONKEY_STATE_DIR (default ./.monkey), MONKEY_OFFLINE=1 (build with mvn -o),
#              OMP_NUM_THREADS (ND4J threads per op, default 1 here: see docs/trainer.md, "Threads").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLASSPATH_FILE="$ROOT/deploy/target/classpath.txt"
KAFKA_LIB="$ROOT/deploy/local-kafka/target/kafka-lib"
SPARK_CLASSPATH_FILE="$ROOT/deploy/local-spark/target/spark-classpath.txt"
SPARK_JAR="$ROOT/deploy/target/spark-app/trainer-spark.jar"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# The trainer's spark-submit jar (~210 MB, ~40 s to shade) is built only for commands that submit it.
wants_spark_jar="" skip_spark_jar="-DskipSparkJar"
for arg in "$@"; do [[ "$arg" == "--cluster" ]] && wants_spark_jar=1 skip_spark_jar=""; done

needs_build() {
  [[ ! -f "$CLASSPATH_FILE" || ! -d "$ROOT/deploy/target/classes" || ! -d "$KAFKA_LIB" || ! -f "$SPARK_CLASSPATH_FILE" ]] && return 0
  [[ -n "$wants_spark_jar" && ( ! -f "$SPARK_JAR" || "$CLASSPATH_FILE" -nt "$SPARK_JAR" ) ]] && return 0
  # Rebuild when any source, resource or pom changed since the last build.
  [[ -n "$(find "$ROOT" -path "$ROOT/.monkey" -prune -o -path '*/target' -prune -o \
      \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' -o -name '*.avsc' \) \
      -newer "$CLASSPATH_FILE" -print -quit)" ]]
}

if needs_build; then
  if [[ ! -d "$HOME/.m2/repository/org/deeplearning4j" ]]; then
    echo "monkey: first build: Maven fetches Spark, DL4J and Kafka (~1.5 GB) once; this takes a few minutes." >&2
  else
    echo "monkey: building (sources changed) ..." >&2
  fi
  (cd "$ROOT" && mvn -B -q ${MONKEY_OFFLINE:+-o} -DskipTests -Dmaven.javadoc.skip=true $skip_spark_jar install) >&2
fi

# Java 17 flags Spark and ND4J need: the project's one list (also LocalSpark's; the pom and docs are checked against
# it by JvmFlagsTest). --add-modules=jdk.incubator.vector below lets the snapshot listener's statistics use SIMD
# (docs/trainer.md); the JVM says "Using incubator modules" once at start.
mapfile -t OPENS < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' \
  "$ROOT/deploy/local-spark/src/main/resources/dev/activationmonkey/localspark/java17-opens.txt")

# One ND4J (OpenMP/BLAS) thread per op unless the caller chose: every Spark task trains on its own thread, and the
# snapshot listener's publishing thread needs a core; ND4J's default (every core per op) oversubscribes them and
# trains the demo network no faster (docs/trainer.md, "Threads").
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

# shellcheck disable=SC2086
exec "$JAVA" "${OPENS[@]}" --add-modules=jdk.incubator.vector -Xmx6g -XX:+UseG1GC \
  -Daeron.publication.unblock.timeout=60000000000 \
  -Dmonkey.home="$ROOT" -Dmonkey.kafka.lib="$KAFKA_LIB" \
  -Dmonkey.spark.classpath="$SPARK_CLASSPATH_FILE" -Dmonkey.trainer.spark-jar="$SPARK_JAR" \
  ${MONKEY_JAVA_OPTS:-} \
  -cp "$ROOT/deploy/target/classes:$(cat "$CLASSPATH_FILE")" \
  dev.activationmonkey.cli.Monkey "$@"
