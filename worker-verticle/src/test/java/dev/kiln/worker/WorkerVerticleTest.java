package dev.kiln.worker;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.hash.Sha256;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker on a local event bus, with this test as its dispatcher: its heartbeat names each
 * action's provider, an action no provider serves fails for good, a demo attempt's output lands
 * in the asset store under the data dir, and a report goes again until it is acknowledged.
 */
class WorkerVerticleTest {
  private static final String WORKER = "w-test";

  @TempDir
  Path dataDir;

  private Vertx vertx;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopVertx() throws Exception {
    vertx.close().await(30, SECONDS);
  }

  private void deploy(String demo, String debug) throws Exception {
    KilnConfig config = KilnConfig.from(Map.of("KILN_DATA_DIR", dataDir.toString(), "KILN_WORKER_ID", WORKER,
        "KILN_DEMO_PROVIDERS", demo, "KILN_DEBUG_EXECUTORS", debug));
    vertx.deployVerticle(new WorkerVerticle(config, null)).await(30, SECONDS);
  }

  /** The dispatcher's side of results: acknowledges the reports of a batch and hands the first to the test. */
  private CompletableFuture<JsonObject> results() throws Exception {
    CompletableFuture<JsonObject> acked = new CompletableFuture<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.DISPATCHER_RESULTS, m -> {
      m.reply(acks(m.body()));
      acked.complete(m.body().getJsonArray("reports").getJsonObject(0));
    }).completion().await(10, SECONDS);
    return acked;
  }

  /** The acknowledgement of every report of a batch, as the dispatcher answers one it settled. */
  private static JsonObject acks(JsonObject batch) {
    JsonArray keys = new JsonArray();
    for (Object o : batch.getJsonArray("reports")) {
      JsonObject r = (JsonObject) o;
      keys.add(r.getString("task_id") + ":" + r.getInteger("attempt"));
    }
    return new JsonObject().put("acks", keys);
  }

  private JsonObject run(String taskId, String toolAction, String queue, JsonObject input) throws Exception {
    JsonObject task = new JsonObject().put("task_id", taskId).put("attempt", 1).put("tool_action", toolAction)
        .put("queue", queue).put("input", input).put("timeout_ms", 60_000);
    return vertx.eventBus().<JsonObject>request(Addresses.workerRun(WORKER), task).await(10, SECONDS).body();
  }

  @Test
  void theHeartbeatNamesEachActionsProvider() throws Exception {
    CompletableFuture<JsonObject> beat = new CompletableFuture<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.WORKERS_HEARTBEAT, m -> beat.complete(m.body())).completion().await(10, SECONDS);
    deploy("true", "false");
    JsonObject hb = beat.get(10, SECONDS);
    assertEquals(WORKER, hb.getString("worker_id"));
    JsonArray actions = hb.getJsonArray("tool_actions");
    assertEquals(7, actions.size(), actions.encode());
    JsonObject providers = hb.getJsonObject("providers");
    assertEquals(7, providers.size(), providers.encode());
    for (Object a : actions) assertEquals("demo", providers.getString((String) a), (String) a);
    assertFalse(actions.contains("debug.noop"));
  }

  @Test
  void anActionNoProviderServesFailsForGoodWithNoExecutor() throws Exception {
    CompletableFuture<JsonObject> report = results();
    deploy("false", "true");
    assertEquals(true, run("t-none", "image.generate", "image", new JsonObject().put("prompt", "a cat")).getBoolean("accepted"));
    JsonObject r = report.get(10, SECONDS);
    assertEquals("failed", r.getString("outcome"));
    assertEquals(false, r.getBoolean("retryable"));
    assertEquals("no_executor", r.getString("error_code"));
    assertTrue(r.getString("error_message").contains("image.generate"), r.getString("error_message"));
    assertNull(r.getString("provider"));
  }

  @Test
  void aDemoAttemptStoresItsOutputUnderTheDataDirAndNamesItsProvider() throws Exception {
    CompletableFuture<JsonObject> report = results();
    deploy("true", "false");
    run("t-gen", "image.generate", "image", new JsonObject().put("prompt", "a cat").put("width", 64).put("height", 48)
        .put("num_inference_steps", 2).put("seed", 1));
    JsonObject r = report.get(30, SECONDS);
    assertEquals("completed", r.getString("outcome"), r.encodePrettily());
    assertEquals("demo", r.getString("provider"));
    assertNull(r.getString("error_code"));
    JsonObject asset = r.getJsonArray("assets").getJsonObject(0);
    assertEquals("tasks/t-gen/1/image.png", asset.getString("object_key"));
    byte[] bytes = Files.readAllBytes(dataDir.resolve("assets").resolve(asset.getString("object_key")));
    assertEquals(asset.getString("checksum"), Sha256.hex(bytes));
    assertEquals(asset.getLong("size_bytes"), (long) bytes.length);
  }

  @Test
  void aReportGoesAgainUntilItIsAcknowledgedAndTheAttemptIsHeldMeanwhile() throws Exception {
    JsonObject attempt = new JsonObject().put("task_id", "t-noop").put("attempt", 1);
    AtomicBoolean named = new AtomicBoolean();
    vertx.eventBus().<JsonObject>consumer(Addresses.WORKERS_HEARTBEAT, m -> {
      if (m.body().getJsonArray("running").contains(attempt)) named.set(true);
    }).completion().await(10, SECONDS);
    // The dispatcher refuses the report until a heartbeat has named the attempt as still held.
    AtomicInteger sendings = new AtomicInteger();
    CompletableFuture<JsonObject> acked = new CompletableFuture<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.DISPATCHER_RESULTS, m -> {
      sendings.incrementAndGet();
      if (!named.get()) {
        m.fail(503, "no leader yet");
        return;
      }
      m.reply(acks(m.body()));
      acked.complete(m.body().getJsonArray("reports").getJsonObject(0));
    }).completion().await(10, SECONDS);
    deploy("false", "true");
    run("t-noop", "debug.noop", "debug", new JsonObject());
    JsonObject r = acked.get(20, SECONDS);
    assertEquals("completed", r.getString("outcome"));
    assertEquals("debug", r.getString("provider"));
    assertTrue(sendings.get() >= 2, "sent " + sendings.get() + " times");
  }

  private static JsonObject sleep(String taskId, long ms) {
    return new JsonObject().put("task_id", taskId).put("attempt", 1).put("tool_action", "debug.sleep").put("queue", "debug")
        .put("input", new JsonObject().put("duration_ms", ms)).put("timeout_ms", 60_000);
  }

  @Test
  void aBatchHandOffTakesSlotsAndPrefetchQueuesTheRestAndRefusesBeyond() throws Exception {
    java.util.List<JsonObject> reported = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    AtomicInteger batches = new AtomicInteger();
    vertx.eventBus().<JsonObject>consumer(Addresses.DISPATCHER_RESULTS, m -> {
      batches.incrementAndGet();
      for (Object o : m.body().getJsonArray("reports")) reported.add((JsonObject) o);
      m.reply(acks(m.body()));
    }).completion().await(10, SECONDS);
    KilnConfig config = KilnConfig.from(Map.of("KILN_DATA_DIR", dataDir.toString(), "KILN_WORKER_ID", WORKER,
        "KILN_DEBUG_EXECUTORS", "true", "KILN_WORKER_SLOTS", "2", "KILN_WORKER_PREFETCH", "1"));
    vertx.deployVerticle(new WorkerVerticle(config, null)).await(30, SECONDS);
    JsonArray attempts = new JsonArray().add(sleep("t-1", 300)).add(sleep("t-2", 300)).add(sleep("t-3", 10)).add(sleep("t-4", 10));
    JsonObject reply = vertx.eventBus().<JsonObject>request(Addresses.workerRun(WORKER), new JsonObject().put("attempts", attempts))
        .await(10, SECONDS).body();
    assertEquals(new JsonArray().add("t-1:1").add("t-2:1").add("t-3:1"), reply.getJsonArray("accepted"), "two slots and one prefetched");
    assertEquals(1, reply.getJsonArray("refused").size());
    assertEquals("t-4", reply.getJsonArray("refused").getJsonObject(0).getString("task_id"));
    assertEquals("no free slot", reply.getJsonArray("refused").getJsonObject(0).getString("reason"));
    long t0 = System.nanoTime();
    dev.kiln.testing.Eventually.await("three reports", java.time.Duration.ofSeconds(10), () -> reported.size() == 3);
    java.util.List<String> order = reported.stream().map(r -> r.getString("task_id")).toList();
    assertEquals("t-3", order.get(2), "the prefetched one started when a slot freed, after the 300 ms ones: " + order);
    assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000);
    assertTrue(batches.get() <= 3, "reports that finish together travel together: " + batches.get() + " batches");
  }
}
