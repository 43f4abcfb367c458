package dev.kiln.dispatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Slot reservation: free = slots − held − reserved, spread over the able workers. Pure, in milliseconds. */
class SlotBookTest {
  private final WorkerRegistry workers = new WorkerRegistry(5_000);
  private final SlotBook book = new SlotBook(workers);

  private void heartbeat(String id, int slots, boolean draining, long now, String... queues) {
    workers.heartbeat(new JsonObject().put("worker_id", id).put("slots", slots).put("draining", draining)
        .put("queues", new JsonArray(List.of(queues))).put("running", new JsonArray()), now);
  }

  @Test
  void reservesOnlyFreeSlotsOfLiveWorkersOfTheQueueSpreadRoundRobin() {
    heartbeat("w-a", 2, false, 0, "image");
    heartbeat("w-b", 3, false, 0, "image", "debug");
    heartbeat("w-c", 4, false, 0, "debug");
    heartbeat("w-d", 4, true, 0, "image");
    List<String> slots = book.reserve("image", 10, 1_000);
    assertEquals(5, slots.size(), "2 + 3: the debug-only and the draining worker take no image work");
    assertEquals(List.of("w-b", "w-a", "w-b", "w-a", "w-b"), slots, "most free first, then round-robin");
    assertTrue(book.reserve("image", 1, 1_000).isEmpty(), "all reserved by the claim in flight");
    assertEquals(4, book.reserve("debug", 10, 1_000).size(), "w-b's slots are taken by the image claim; w-c's 4 are free");
  }

  @Test
  void heldAttemptsTakeSlotsUntilReleasedAndUnreserveGivesBackWhatAClaimDidNotUse() {
    heartbeat("w-a", 2, false, 0, "image");
    book.hold(new SlotBook.Held("t1", 1, "image", "w-a", 0));
    List<String> slots = book.reserve("image", 5, 1_000);
    assertEquals(List.of("w-a"), slots);
    book.unreserve(slots);
    assertEquals(1, book.reserve("image", 5, 1_000).size(), "back after the claim");
    assertEquals("t1", book.release("t1").taskId());
    assertNull(book.release("t1"), "released once");
  }

  @Test
  void roomIsMaxConcurrencyLessWhatRunsInTheQueue() {
    book.hold(new SlotBook.Held("t1", 1, "image", "w-a", 0));
    book.hold(new SlotBook.Held("t2", 1, "image", "w-b", 0));
    book.hold(new SlotBook.Held("t3", 1, "debug", "w-b", 0));
    assertEquals(2, book.room("image", 4));
    assertEquals(0, book.room("image", 2));
    book.hold(new SlotBook.Held("t1", 2, "image", "w-c", 0)); // the task's next attempt replaces its last
    assertEquals(2, book.room("image", 4));
    assertEquals(List.of(), book.heldOn("w-a"));
  }

  @Test
  void aSilentWorkerTakesNoWorkAndExpires() {
    heartbeat("w-a", 2, false, 0, "image");
    assertTrue(book.reserve("image", 1, 6_000).isEmpty(), "past its lease");
    assertEquals(List.of("w-a"), workers.expire(6_000));
    assertTrue(workers.live(6_000).isEmpty());
  }

  @Test
  void aWorkerExpectedAtATakeoverGetsOneLeaseButNoWork() {
    workers.expect("w-x", 1_000);
    assertEquals(List.of("w-x"), workers.live(5_000));
    assertTrue(book.reserve("image", 1, 1_000).isEmpty(), "it has said nothing of what it serves");
    assertEquals(List.of("w-x"), workers.expire(6_001));
  }

  @Test
  void aHeartbeatNamesTheAttemptsItsWorkerHasAndSaysWhatChanged() {
    JsonObject hb = new JsonObject().put("worker_id", "w-a").put("slots", 1).put("queues", new JsonArray().add("image"))
        .put("node_id", "n-1").put("running", new JsonArray().add(new JsonObject().put("task_id", "t1").put("attempt", 2)));
    assertEquals(WorkerRegistry.Change.JOINED, workers.heartbeat(hb, 0));
    assertEquals(WorkerRegistry.Change.NONE, workers.heartbeat(hb, 1_000), "still there, nothing new");
    assertEquals(WorkerRegistry.Change.CAPACITY, workers.heartbeat(hb.copy().put("draining", true), 1_500), "it drains");
    assertTrue(workers.names("w-a", "t1:2"));
    assertTrue(!workers.names("w-a", "t1:1"));
    assertEquals(WorkerRegistry.Change.JOINED, workers.heartbeat(hb, 7_500), "back after its lease");
    assertEquals(List.of("w-a"), workers.left("n-1"));
  }
}
