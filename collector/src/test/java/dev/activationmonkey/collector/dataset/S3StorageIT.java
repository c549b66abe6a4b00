package dev.activationmonkey.collector.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.S3Mock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.io.PositionOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The storage of {@code s3a://} roots against an S3 server (S3Mock, its own process): the contract the commit
 * protocol relies on ({@link StorageTest}'s, on S3), and the fence: a conditional PUT (If-None-Match) of a manifest
 * name that exists is refused by the server, past the collector's own existence check.
 *
 * <p>Not tested here: that of publishers racing for one name exactly one wins. Amazon S3 guarantees it; S3Mock does
 * not (it checks the condition and stores the object in two steps: of 8 concurrent conditional PUTs of one key,
 * several succeeded when this was tried).
 */
class S3StorageIT {

  private static S3Storage open() throws IOException {
    Map<String, String> conf = S3Mock.shared().hadoopConf();
    Storage storage = Storage.open("s3a://" + S3Mock.BUCKET + "/storage-it/" + UUID.randomUUID(), conf);
    return assertInstanceOf(S3Storage.class, storage);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void keepsTheStorageContractOnS3() throws IOException {
    S3Storage storage = open();
    Path root = storage.root();
    assertTrue(root.toString().startsWith("s3a://" + S3Mock.BUCKET + "/storage-it/"), root.toString());

    Path manifest = new Path(root, "_collector/t+0/commit-1");
    assertFalse(storage.exists(manifest));
    storage.write(manifest, bytes("first"));
    storage.write(manifest, bytes("second"));
    assertArrayEquals(bytes("second"), storage.read(manifest));

    assertEquals(List.of(), storage.list(new Path(root, "missing")));
    assertEquals(List.of(), storage.listFilesRecursively(new Path(root, "missing")));
    for (String name : List.of("t/run_id=a/x.parquet", "t/_temp/y.parquet", "t/run_id=b/z.parquet")) {
      storage.write(new Path(root, name), bytes(name));
    }
    assertEquals(List.of(new Path(root, "t/run_id=a/x.parquet"), new Path(root, "t/run_id=b/z.parquet")),
        storage.listFilesRecursively(root).stream().sorted().toList());

    Path temp = new Path(root, "_temp/t+0/100/x.parquet");
    try (PositionOutputStream out = storage.outputFile(temp).create(0)) {
      out.write(bytes("PAR1"), 0, 4);
      assertEquals(4, out.getPos());
    }
    assertThrows(IOException.class, () -> storage.outputFile(temp).create(0).close(), "no create over a file");
    Path target = new Path(root, "t/run_id=c/x.parquet");
    assertTrue(storage.rename(temp, target));
    assertFalse(storage.exists(temp));
    assertArrayEquals(bytes("PAR1"), storage.read(target));
    assertFalse(storage.rename(temp, target), "a source already moved (by another writer)");
    // A rename cut short by a kill: S3A's copy was done, its delete of the source not. Rolling forward again is a no-op.
    storage.write(temp, bytes("PAR1"));
    assertFalse(storage.rename(temp, target), "the target exists");
    assertArrayEquals(bytes("PAR1"), storage.read(target));

    Path published = new Path(root, "_collector/t+0/commit-00");
    Path first = new Path(root, "_collector/t+0/_pending-1");
    Path second = new Path(root, "_collector/t+0/_pending-2");
    storage.write(first, bytes("first"));
    storage.write(second, bytes("second"));
    assertTrue(storage.publishExclusive(first, published));
    assertFalse(storage.publishExclusive(second, published));
    assertArrayEquals(bytes("first"), storage.read(published));
    assertFalse(storage.exists(first));
    assertFalse(storage.exists(second), "the loser's pending file is deleted");

    storage.delete(new Path(root, "_temp"), true);
    assertFalse(storage.exists(new Path(root, "_temp/t+0/100")));
    storage.delete(new Path(root, "missing-file"), false);
  }

  @Test
  void theConditionalPutRefusesAnotherWritersExistingKeyAndKeepsItsBytes() throws IOException {
    S3Storage storage = open();
    Path manifest = new Path(storage.root(), "_collector/t+0/commit-7");
    assertEquals(Boolean.TRUE, storage.putIfAbsent(manifest, bytes("winner")));
    // What the server must refuse, past the existence check: a store that ignored If-None-Match would replace it.
    assertEquals(Boolean.FALSE, storage.putIfAbsent(manifest, bytes("zombie")));
    assertArrayEquals(bytes("winner"), storage.read(manifest));
    // The winner's own PUT again (the SDK retrying one whose answer was lost): still won, not fenced by itself.
    assertEquals(Boolean.TRUE, storage.putIfAbsent(manifest, bytes("winner")));
  }
}
