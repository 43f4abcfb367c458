package dev.kiln.dispatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Placement (issue 13): a worker holds an attempt of an action it has an executor for whose
 * min_vram_mb fits its largest GPU; the claimer claims per group of workers that cannot run the
 * same actions. Pure, from heartbeats.
 */
class PlacementTest {
  private static final List<String> IMAGE = List.of("image.generate", "image.hires", "image.head-swap");

  private final WorkerRegistry workers = new WorkerRegistry(5_000);
  private final SlotBook book = new SlotBook(workers);

  private WorkerRegistry.Worker heartbeat(String id, JsonObject extra) {
    workers.heartbeat(new JsonObject().put("worker_id", id).put("slots", 2).put("queues", new JsonArray(List.of("image")))
        .put("running", new JsonArray()).mergeIn(extra), 0);
    return workers.able("image", 0).stream().filter(w -> w.id.equals(id)).findFirst().orElseThrow();
  }

  private static JsonObject actions(String... names) {
    return new JsonObject().put("tool_actions", new JsonArray(List.of((Object[]) names)));
  }

  private static JsonArray gpus(int... memoryMb) {
    JsonArray out = new JsonArray();
    for (int i = 0; i < memoryMb.length; i++) out.add(new JsonObject().put("index", i).put("name", "g" + i).put("memory_mb", memoryMb[i]));
    return out;
  }

  @Test
  void anActionNeedsAnExecutorAndTheLargestGpuToFitItsMinVram() {
    JsonObject needs = new JsonObject().put("image.hires", 24_000).put("image.head-swap", 80_000);
    WorkerRegistry.Worker w = heartbeat("w-a", actions("image.generate", "image.hires", "image.head-swap")
        .put("min_vram_mb", needs).put("gpus", gpus(16_000, 24_000)));
    assertTrue(Placement.canRun(w, "image.generate"), "no need: any worker with the executor");
    assertTrue(Placement.canRun(w, "image.hires"), "its second GPU is the one that fits, and the largest counts");
    assertFalse(Placement.canRun(w, "image.head-swap"), "80 GB on a 24 GB card");
    assertFalse(Placement.canRun(w, "image.pose-change"), "no executor for it");
    assertEquals(Set.of("image.head-swap"), Placement.excluded(w, IMAGE));

    WorkerRegistry.Worker cpu = heartbeat("w-cpu", actions("image.hires").put("min_vram_mb", new JsonObject().put("image.hires", 1)));
    assertFalse(Placement.canRun(cpu, "image.hires"), "a worker with no GPU it knows of holds nothing that needs one");
  }

  @Test
  void aWorkerThatDoesNotSayWhatItRunsTakesEverythingAsBefore() {
    WorkerRegistry.Worker old = heartbeat("w-old", new JsonObject());
    assertEquals(Set.of(), Placement.excluded(old, IMAGE));
  }

  @Test
  void workersAreGroupedByWhatTheyCannotRunMostExcludedFirstAndOnesThatRunNothingAreLeftOut() {
    heartbeat("w-full", actions(IMAGE.toArray(new String[0])));
    heartbeat("w-full2", new JsonObject());
    heartbeat("w-nohires", actions("image.generate", "image.head-swap"));
    heartbeat("w-gen", actions("image.generate"));
    heartbeat("w-none", actions("debug.noop"));
    List<Placement.Group> groups = book.groups("image", IMAGE, 0);
    assertEquals(List.of(Set.of("image.hires", "image.head-swap"), Set.of("image.hires"), Set.of()),
        groups.stream().map(Placement.Group::excluded).toList());
    assertEquals(List.of("w-gen"), ids(groups.get(0)));
    assertEquals(List.of("w-nohires"), ids(groups.get(1)));
    assertEquals(Set.of("w-full", "w-full2"), Set.copyOf(ids(groups.get(2))));
  }

  @Test
  void aGroupReservesOnlyItsOwnWorkersAndAWorkerWithoutFreeSlotsIsInNoGroup() {
    heartbeat("w-full", new JsonObject());
    heartbeat("w-gen", actions("image.generate"));
    Placement.Group gen = book.groups("image", IMAGE, 0).get(0);
    assertEquals(List.of("w-gen", "w-gen"), book.reserve(gen.workers(), 10));
    assertEquals(List.of(Set.of()), book.groups("image", IMAGE, 0).stream().map(Placement.Group::excluded).toList(),
        "w-gen's slots are all reserved");
  }

  @Test
  void whatAWorkerRunsOrHoldsIsNewsToTheClaimers() {
    workers.heartbeat(new JsonObject().put("worker_id", "w-a").put("slots", 1).put("queues", new JsonArray(List.of("image")))
        .mergeIn(actions("image.generate")), 0);
    JsonObject same = new JsonObject().put("worker_id", "w-a").put("slots", 1).put("queues", new JsonArray(List.of("image")))
        .mergeIn(actions("image.generate"));
    assertEquals(WorkerRegistry.Change.NONE, workers.heartbeat(same.copy(), 100));
    assertEquals(WorkerRegistry.Change.CAPACITY, workers.heartbeat(same.copy().mergeIn(actions("image.generate", "image.hires")), 200));
    assertEquals(WorkerRegistry.Change.CAPACITY, workers.heartbeat(same.copy().mergeIn(actions("image.generate", "image.hires"))
        .put("gpus", gpus(24_000)), 300));
    assertEquals(WorkerRegistry.Change.CAPACITY, workers.heartbeat(same.copy().mergeIn(actions("image.generate", "image.hires"))
        .put("gpus", gpus(24_000)).put("min_vram_mb", new JsonObject().put("image.hires", 20_000)), 400));
  }

  private static List<String> ids(Placement.Group g) {
    return g.workers().stream().map(w -> w.id).toList();
  }
}
