package dev.activationmonkey.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.InvalidInputException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupInstanceTest {
  @TempDir Path slots;

  @Test
  void collectorsRunningSideBySideGetDistinctIdsAndAReleasedIdIsReused() {
    try (GroupInstance first = GroupInstance.claimSlot(slots, "monkey-collector", "Host.A")) {
      assertEquals(Optional.of("collector-host.a-0"), first.id());
      try (GroupInstance second = GroupInstance.claimSlot(slots, "monkey-collector", "Host.A");
           GroupInstance otherGroup = GroupInstance.claimSlot(slots, "other", "Host.A")) {
        assertEquals(Optional.of("collector-host.a-1"), second.id());
        assertEquals(Optional.of("collector-host.a-0"), otherGroup.id(), "slots are per group");
      }
      try (GroupInstance restarted = GroupInstance.claimSlot(slots, "monkey-collector", "Host.A")) {
        assertEquals(Optional.of("collector-host.a-1"), restarted.id(), "a stopped collector's id goes to the next one started");
      }
    }
  }

  @Test
  void noneIsDynamicMembershipAndAnythingElseIsTheId() {
    CollectorConfig.Builder base = CollectorConfig.builder().bootstrapServers("localhost:9092");
    try (GroupInstance none = GroupInstance.claim(base.set("group.instance.id", "none").build())) {
      assertTrue(none.id().isEmpty());
    }
    try (GroupInstance fixed = GroupInstance.claim(base.set("group.instance.id", "collector-pod-0").build())) {
      assertEquals(Optional.of("collector-pod-0"), fixed.id());
    }
    assertEquals("auto", CollectorConfig.builder().bootstrapServers("x:1").build().groupInstanceId());
  }

  @Test
  void theKafkaPropertyIsManaged() {
    InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
        () -> CollectorConfig.builder().bootstrapServers("x:1").set("kafka.group.instance.id", "a").build());
    assertTrue(e.getMessage().contains("use group.instance.id"), e.getMessage());
  }
}
