package dev.activationmonkey.analytics.report;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ReportSqlContractTest}'s check of the queries' columns, on Spark SQL (local mode). */
class ReportSqlContractIT {
  @TempDir
  Path root;

  @Test
  void everyQueryReturnsTheColumnsOfItsContractOnSpark() throws Exception {
    ReportSqlContractTest.writeLog(root);
    try (SparkEngine engine = SparkEngine.open(root.toString(), "local[2]")) {
      ReportSqlContractTest.assertQueriesMatchTheirContracts(engine, ReportSql.Dialect.SPARK);
    }
  }
}
