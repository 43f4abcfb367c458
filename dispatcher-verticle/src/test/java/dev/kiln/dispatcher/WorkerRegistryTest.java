package dev.kiln.dispatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A worker that fails hand-offs is benched until it answers a probe (issue 10, finding 1). Pure, in milliseconds. */
class WorkerRegistryTest {
  private final WorkerRegistry workers = new WorkerRegistry(5_000);

  private void heartbeat(String id, long now) {
    workers.heartbeat(new JsonObject().put("worker_id", id).put("slots", 2).put("queues", new JsonArray(List.of("debug")))
        .put("running", new JsonArray()), now);
  }

  private List<String> able(long now) {
    return workers.able("debug", now).stream().map(w -> w.id).toList();
  }

  @Test
  void aWorkerThatFailedAHandOffTakesNoWorkHoweverOftenItHeartbeatsUntilItAnswersAProbe() {
    heartbeat("w-a", 0);
    heartbeat("w-b", 0);
    assertTrue(workers.handOffFailed("w-a", 0), "the first failure benches it");
    assertFalse(workers.handOffFailed("w-a", 0), "a second in the same claim is not news");
    for (long t = 100; t < 2_000; t += 100) heartbeat("w-a", t);
    assertEquals(List.of("w-b"), able(2_000), "its heartbeats alone do not bring it back");
    assertTrue(workers.proved("w-a"));
    assertEquals(2, able(2_000).size());
    assertFalse(workers.proved("w-a"), "proving a worker that takes work is not news");
  }

  @Test
  void probesOfABenchedWorkerComeOneAtATimeEachLaterThanTheLastUpToTheLease() {
    heartbeat("w-a", 0);
    workers.handOffFailed("w-a", 0);
    assertFalse(workers.probeDue("w-a", 499));
    assertTrue(workers.probeDue("w-a", 500));
    assertFalse(workers.probeDue("w-a", 600), "one probe in flight at a time");
    workers.handOffFailed("w-a", 600); // the probe failed: 1 s now
    assertFalse(workers.probeDue("w-a", 1_599));
    assertTrue(workers.probeDue("w-a", 1_600));
    for (int i = 0; i < 10; i++) workers.handOffFailed("w-a", 10_000);
    assertFalse(workers.probeDue("w-a", 14_999));
    assertTrue(workers.probeDue("w-a", 15_000), "never more than a lease apart");
  }

  @Test
  void aWorkerForgottenAndHeardFromAgainStartsUnbenched() {
    heartbeat("w-a", 0);
    workers.handOffFailed("w-a", 0);
    assertEquals(List.of("w-a"), workers.expire(10_000));
    heartbeat("w-a", 10_000);
    assertEquals(List.of("w-a"), able(10_000));
  }
}
