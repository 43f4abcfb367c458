package dev.kiln.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.worker.demo.DemoProvider;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.ExecutorRegistry;
import dev.kiln.worker.executor.Outcome;
import dev.kiln.worker.executor.Provider;
import io.vertx.core.Future;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A worker's slots are its providers' slots: each server its own, the stand-ins share KILN_WORKER_SLOTS. */
class SlotsTest {
  /** An inference server of {@code slots} serving these actions. */
  private record Server(String name, int slots, List<Executor> executors) implements Provider {}

  private record Action(String toolAction) implements Executor {
    @Override
    public Future<Outcome> run(Attempt attempt) {
      return Future.failedFuture("not run here");
    }
  }

  private final Server comfy = new Server("comfy-a", 1, List.of(new Action("image.generate"), new Action("image.hires")));
  private final Server cog = new Server("cog-up", 2, List.of(new Action("model3d.generate")));

  @Test
  void eachServerRunsAsManyAsItsSlotsAndTheStandInsShareTheWorkersSlots() {
    Slots s = new Slots(ExecutorRegistry.builder().add(new DemoProvider()).add(comfy).add(cog).build(), 3);
    assertEquals(1 + 2 + 3, s.total(), "servers' slots plus the stand-ins' pool: demo still serves the other image actions");
    assertTrue(s.tryTake("image.generate"));
    assertFalse(s.tryTake("image.hires"), "the ComfyUI's one slot is taken, whichever of its actions asks");
    assertTrue(s.tryTake("model3d.generate"));
    assertTrue(s.tryTake("model3d.generate"));
    assertFalse(s.tryTake("model3d.generate"));
    assertTrue(s.tryTake("image.pose-change"), "a stand-in action does not wait on the servers");
    assertEquals(4, s.busy());
    s.free("image.generate");
    assertTrue(s.tryTake("image.hires"));
  }

  @Test
  void aWorkerOfServersAloneAdvertisesTheirSlotsAndAServerThatIsDownTakesItsSlotsAndActionsOut() {
    Slots s = new Slots(ExecutorRegistry.builder().add(comfy).add(cog).build(), 4);
    assertEquals(3, s.total(), "KILN_WORKER_SLOTS bounds only in-process providers, and none serves here");
    assertTrue(s.health(comfy, false), "going down is a change");
    assertFalse(s.health(comfy, false), "still down is not");
    assertEquals(2, s.total());
    assertEquals(Set.of("model3d.generate"), s.actions());
    assertTrue(s.health(comfy, true));
    assertEquals(3, s.total());
    assertEquals(Set.of("image.generate", "image.hires", "model3d.generate"), s.actions());
  }

  @Test
  void aWorkerWithNoExecutorStillTakesWorkToFailItWithNoExecutor() {
    Slots s = new Slots(ExecutorRegistry.builder().build(), 2);
    assertEquals(2, s.total());
    assertTrue(s.tryTake("image.generate"));
    assertTrue(s.tryTake("image.generate"));
    assertFalse(s.tryTake("image.generate"));
  }
}
