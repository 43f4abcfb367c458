package dev.kiln.task.store;

import static dev.kiln.task.store.StoreFixture.await;
import static dev.kiln.task.store.StoreFixture.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.task.AttemptOutcome;
import dev.kiln.task.Backoff;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Claim order (DESIGN §4): priority first when the queue enables it, tenants round-robin within a
 * level, oldest first within a tenant; one tenant's backlog never starves another's, however
 * they arrive. Claims one at a time, so the claim order is the order.
 */
class FairOrderTest {
  @RegisterExtension static final StoreFixture db = new StoreFixture();

  private final Map<UUID, String> tenantOf = new HashMap<>();

  @BeforeEach
  void emptyQueue() throws Exception {
    db.sql.update("UPDATE tasks SET status = 'cancelled', finished_at = now() WHERE status IN ('pending', 'retrying', 'running')");
    db.queue(1, true);
  }

  private void submit(String user, int n, int priority) throws Exception {
    List<NewTask> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) tasks.add(task("a", user, 0, priority));
    for (Created c : await(db.store.create(tasks))) tenantOf.put(c.id(), user);
  }

  /** Claims and completes {@code n} tasks one at a time; returns their tenants in claim order. */
  private List<String> run(int n) throws Exception {
    List<String> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<Claimed> c = await(db.store.claim(db.epoch, "debug", List.of("w-1"), true));
      if (c.isEmpty()) break;
      order.add(tenantOf.get(c.get(0).taskId()));
      await(db.store.settle(db.epoch, List.of(new Settlement(c.get(0).taskId(), c.get(0).attempt(), AttemptOutcome.COMPLETED, false,
          null, null, null, null, new JsonArray())), q -> new Backoff(1, 1)));
    }
    return order;
  }

  @Test
  void aSingleTaskWaitsOneRoundBehindAnotherTenantsBacklog() throws Exception {
    submit("heavy", 50, 0);
    submit("light", 1, 0);
    List<String> order = run(51);
    assertTrue(order.indexOf("light") <= 1, "light started at " + order.indexOf("light"));
  }

  @Test
  void aTenantArrivingLateJoinsTheRoundBeingServedInsteadOfJumpingTheLine() throws Exception {
    submit("early", 40, 0);
    assertEquals(List.of("early", "early", "early", "early", "early", "early", "early", "early", "early", "early"), run(10));
    submit("late", 20, 0);
    List<String> next = run(20);
    // Round-robin from here: the two alternate. Before the fix the late tenant's line started at
    // seq 0, below the early one's 10..39, and all 20 of its tasks ran first.
    long early = next.stream().filter("early"::equals).count();
    assertEquals(10, early, "the early tenant keeps its turn: " + next);
    for (int i = 0; i + 1 < next.size(); i += 2) {
      assertTrue(!next.get(i).equals(next.get(i + 1)), "alternating: " + next);
    }
  }

  @Test
  void higherPriorityGoesFirstAndWithinALevelTenantsStillAlternate() throws Exception {
    submit("x", 3, 0);
    submit("y", 2, 5);
    submit("z", 2, 5);
    List<String> order = run(7);
    assertEquals(List.of("y", "z", "y", "z"), order.subList(0, 4));
    assertEquals(List.of("x", "x", "x"), order.subList(4, 7));
  }
}
