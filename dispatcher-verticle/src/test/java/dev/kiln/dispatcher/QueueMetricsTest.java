package dev.kiln.dispatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The autoscaling signal's arithmetic and the slots it counts. Pure, in milliseconds. */
class QueueMetricsTest {
  @Test
  void saturationIsTheUsableDemandOverTheSlots() {
    assertEquals(0.0, QueueMetrics.saturation(0, 4, 0), "nothing to do is 0, with or without slots");
    assertEquals(0.0, QueueMetrics.saturation(0, 4, 8));
    assertEquals(0.5, QueueMetrics.saturation(4, 16, 8));
    assertEquals(2.0, QueueMetrics.saturation(16, 16, 8));
    assertEquals(0.5, QueueMetrics.saturation(100, 4, 8), "no more than the concurrency limit lets run counts");
    assertEquals(Double.POSITIVE_INFINITY, QueueMetrics.saturation(3, 4, 0), "work and no slot: scale from zero");
  }

  @Test
  void slotsAreThoseOfLiveWorkersThatTakeNewWork() {
    WorkerRegistry workers = new WorkerRegistry(5_000);
    workers.heartbeat(hb("w-a", 4, false, "image", "debug"), 0);
    workers.heartbeat(hb("w-b", 2, false, "image"), 0);
    workers.heartbeat(hb("w-c", 8, true, "image"), 0);
    workers.heartbeat(hb("w-old", 16, false, "model3d"), -10_000);
    assertEquals(Map.of("image", 6, "debug", 4), workers.liveSlotsByQueue(0), "a draining worker and one past its lease bring none");
  }

  private static JsonObject hb(String id, int slots, boolean draining, String... queues) {
    return new JsonObject().put("worker_id", id).put("slots", slots).put("draining", draining)
        .put("queues", new JsonArray(List.of(queues))).put("running", new JsonArray());
  }
}
