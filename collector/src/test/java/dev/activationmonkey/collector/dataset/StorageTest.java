package dev.activationmonkey.collector.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.io.PositionOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both storages keep the contract the commit protocol relies on; the Hadoop one runs here on Hadoop's raw local
 * file system (the code path of {@code hdfs://} and {@code s3a://} roots, on a local disk).
 */
class StorageTest {
  @TempDir
  java.nio.file.Path dir;

  private Storage open(String kind) throws IOException {
    if (kind.equals("local")) {
      return Storage.open(dir.toString(), Map.of());
    }
    FileSystem raw = FileSystem.getLocal(new Configuration()).getRawFileSystem();
    return new HadoopStorage(raw, raw.makeQualified(new Path(dir.toUri())));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void localRootsAreServedByJavaNioWithoutChecksumFiles() throws IOException {
    java.nio.file.Path data = dir.resolve("data");
    for (String root : List.of(data.toString(), data.toUri().toString(), data + "/")) {
      Storage storage = Storage.open(root, Map.of());
      assertInstanceOf(LocalStorage.class, storage, root);
      assertEquals(new Path(data.toUri()).toString().replaceAll("/$", ""), storage.root().toString(), root);
      assertTrue(Files.isDirectory(data), "the root is created");
    }
    Storage storage = Storage.open(data.toString(), Map.of());
    storage.write(new Path(storage.root(), "a/b"), bytes("x"));
    try (PositionOutputStream out = storage.outputFile(new Path(storage.root(), "c.parquet")).create(0)) {
      out.write(bytes("PAR1"));
      assertEquals(4, out.getPos());
    }
    try (Stream<java.nio.file.Path> files = Files.walk(data)) {
      assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".crc")).toList());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hadoop"})
  void writesReadsAndReplacesSmallFiles(String kind) throws IOException {
    Storage storage = open(kind);
    Path file = new Path(storage.root(), "state/t+0/commit-1");
    assertFalse(storage.exists(file));
    storage.write(file, bytes("first"));
    storage.write(file, bytes("second"));
    assertTrue(storage.exists(file));
    assertArrayEquals(bytes("second"), storage.read(file));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hadoop"})
  void listingsAreEmptyForMissingDirectoriesAndSkipHiddenEntries(String kind) throws IOException {
    Storage storage = open(kind);
    Path root = storage.root();
    assertEquals(List.of(), storage.list(new Path(root, "missing")));
    assertEquals(List.of(), storage.listFilesRecursively(new Path(root, "missing")));
    for (String name : List.of("t/run_id=a/x.parquet", "t/run_id=a/.x.parquet.crc", "t/_temp/y.parquet",
        "t/run_id=b/z.parquet", "_collector/t+0/commit-1")) {
      storage.write(new Path(root, name), bytes(name));
    }
    assertEquals(List.of(new Path(root, "t/run_id=a/x.parquet"), new Path(root, "t/run_id=b/z.parquet")),
        storage.listFilesRecursively(root).stream().sorted().toList());
    assertEquals(List.of(new Path(root, "t/_temp"), new Path(root, "t/run_id=a"), new Path(root, "t/run_id=b")),
        storage.list(new Path(root, "t")).stream().sorted().toList());
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hadoop"})
  void renameCreatesTheParentAndSaysWhenTheSourceIsGone(String kind) throws IOException {
    Storage storage = open(kind);
    Path source = new Path(storage.root(), "_temp/x.parquet");
    Path target = new Path(storage.root(), "t/run_id=a/x.parquet");
    storage.write(source, bytes("data"));
    assertTrue(storage.rename(source, target));
    assertFalse(storage.exists(source));
    assertArrayEquals(bytes("data"), storage.read(target));
    assertFalse(storage.rename(source, target), "a source already moved (by another writer)");
    assertArrayEquals(bytes("data"), storage.read(target));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hadoop"})
  void ofTwoPublishersOfOneTargetExactlyOneWinsAndTheLosersSourceIsDeleted(String kind) throws IOException {
    Storage storage = open(kind);
    Path target = new Path(storage.root(), "_collector/t+0/commit-00");
    Path first = new Path(storage.root(), "_collector/t+0/_pending-1");
    Path second = new Path(storage.root(), "_collector/t+0/_pending-2");
    storage.write(first, bytes("first"));
    storage.write(second, bytes("second"));
    assertTrue(storage.publishExclusive(first, target));
    assertFalse(storage.publishExclusive(second, target));
    assertArrayEquals(bytes("first"), storage.read(target));
    assertFalse(storage.exists(first));
    assertFalse(storage.exists(second), "the loser's pending file is deleted");
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hadoop"})
  void deleteRemovesTreesAndIgnoresMissingPaths(String kind) throws IOException {
    Storage storage = open(kind);
    Path temp = new Path(storage.root(), "_temp/t+0/100");
    storage.write(new Path(temp, "a/x.parquet"), bytes("x"));
    storage.write(new Path(temp, "y.parquet"), bytes("y"));
    storage.delete(temp, true);
    assertFalse(storage.exists(temp));
    storage.delete(temp, true);
    storage.delete(new Path(storage.root(), "missing-file"), false);
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hadoop"})
  void parquetOutputFilesAreNotCreatedOverAnExistingFile(String kind) throws IOException {
    Storage storage = open(kind);
    Path file = new Path(storage.root(), "_temp/x.parquet");
    try (PositionOutputStream out = storage.outputFile(file).create(0)) {
      out.write(bytes("PAR1"), 0, 4);
      assertEquals(4, out.getPos());
    }
    assertThrows(IOException.class, () -> storage.outputFile(file).create(0).close());
    try (PositionOutputStream out = storage.outputFile(file).createOrOverwrite(0)) {
      out.write(bytes("PAR1PAR1"), 0, 8);
    }
    assertEquals(8, storage.read(file).length);
  }

  /** An HDFS stream after a pipeline failure: it stores one exception and rethrows that instance from every call. */
  private static final class FailedStream extends java.io.OutputStream {
    final IOException stored = new IOException("All datanodes are bad. Aborting...");

    @Override
    public void write(int b) throws IOException {
      throw stored;
    }

    @Override
    public void flush() throws IOException {
      throw stored;
    }

    @Override
    public void close() throws IOException {
      throw stored;
    }
  }

  @Test
  void aFailedHadoopStreamClosedInTryWithResourcesReportsItsIoFailureNotSelfSuppression() throws IOException {
    FailedStream failed = new FailedStream();
    PositionOutputStream out = HadoopStorage.syncing(
        new org.apache.hadoop.fs.FSDataOutputStream(failed, null), new Path("hdfs://nn/data/part.parquet.tmp"), true);
    IOException thrown = assertThrows(IOException.class, () -> {
      try (out) {
        out.write(bytes("PAR1"));
      }
    });
    assertTrue(thrown == failed.stored, "the first failure is the stored one: " + thrown);
    assertEquals(1, thrown.getSuppressed().length, "close's failure is suppressed into it, not itself");
    assertTrue(thrown.getSuppressed()[0].getCause() == failed.stored);
    assertTrue(thrown.getSuppressed()[0].getMessage().contains("part.parquet.tmp"));
  }

  /**
   * A pending manifest whose HDFS stream failed (another collector's recovery deleted it: "File does not exist ...
   * does not have any open files") is an IOException, which the commit log handles; it was an IllegalArgumentException
   * ("Self-suppression not permitted") that stopped the collector.
   */
  @Test
  void aFailedHadoopWriteReportsItsIoFailureNotSelfSuppression() throws IOException {
    FailedStream failed = new FailedStream();
    FileSystem raw = FileSystem.getLocal(new Configuration()).getRawFileSystem();
    FileSystem failing = new org.apache.hadoop.fs.FilterFileSystem(raw) {
      @Override
      public org.apache.hadoop.fs.FSDataOutputStream create(Path f, org.apache.hadoop.fs.permission.FsPermission permission,
          boolean overwrite, int bufferSize, short replication, long blockSize, org.apache.hadoop.util.Progressable progress) {
        return new org.apache.hadoop.fs.FSDataOutputStream(failed, null);
      }
    };
    Path root = raw.makeQualified(new Path(dir.toUri()));
    HadoopStorage storage = new HadoopStorage(failing, root);
    IOException thrown = assertThrows(IOException.class, () -> storage.write(new Path(root, "_pending-0-x"), bytes("{}")));
    assertTrue(thrown == failed.stored, "the stored failure itself: " + thrown);
  }
}
