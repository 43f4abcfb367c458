package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a node leaves behind when it is stopped the way SIGTERM stops it (the shutdown hook's close). */
class NodeStopTest {

  /** Issue 10, finding 10: an all-in-one node's worker row stayed "draining" for minutes after a SIGTERM. */
  @Test
  void aStoppedAllInOneNodeLeavesItsWorkerOfflineNotDraining() throws Exception {
    KilnNode kiln = KilnNode.start(Map.of("KILN_WORKER_ID", "stop-test-worker"));
    String db = kiln.databaseUrl;
    try (Sql sql = new Sql(db)) {
      Eventually.await("the worker's row active", Duration.ofSeconds(20),
          () -> sql.count("SELECT count(*) FROM workers WHERE id = 'stop-test-worker' AND status = 'active'") == 1);
      kiln.close();
      assertEquals(List.of(Map.of("status", "offline")), sql.rows("SELECT status FROM workers WHERE id = 'stop-test-worker'"),
          "offline the moment the node has stopped");
    }
  }
}
