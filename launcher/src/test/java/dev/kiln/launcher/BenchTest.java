package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code kiln bench} against a running node, small: each mode a user would run ends with its JSON
 * line, every task it submitted counted as completed. It checks that the bench measures, not what.
 */
class BenchTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_WORKER_SLOTS", "16"));

  /** Runs the bench with {@code args} against the node; its JSON line, after checking it exited 0. */
  private static JsonObject bench(String... args) throws Exception {
    String[] all = new String[args.length + 6];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(new String[] {"--url", "http://127.0.0.1:" + kiln.port(), "--key", KilnNode.ADMIN_KEY,
        "--database-url", kiln.node().databaseUrl}, 0, all, args.length, 6);
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int rc;
    synchronized (System.class) {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      try {
        rc = Bench.run(all);
      } finally {
        System.setOut(out);
      }
    }
    String text = captured.toString(StandardCharsets.UTF_8);
    out.print(text);
    assertEquals(0, rc, text);
    String line = text.lines().filter(l -> l.startsWith("bench: {")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no JSON line in:\n" + text));
    return new JsonObject(line.substring("bench: ".length()));
  }

  @Test
  void drainCountsEveryTaskAndARate() throws Exception {
    JsonObject r = bench("--mode", "drain", "--tasks", "300", "--warmup", "20");
    assertEquals("drain", r.getString("mode"));
    assertEquals(300, r.getLong("completed"));
    assertTrue(r.getDouble("tasks_per_second") > 0, r.encode());
    assertTrue(r.getDouble("bulk_submits_per_second") > 0, r.encode());
  }

  @Test
  void openLoopSubmitsAtItsRateAndGivesPercentiles() throws Exception {
    JsonObject r = bench("--mode", "open", "--tasks", "200", "--rate", "100", "--warmup", "0");
    assertEquals(200, r.getLong("completed"));
    // 200 submits at 100/s take about two seconds whatever the replies: the achieved rate says so.
    assertTrue(r.getDouble("achieved_rate") > 80 && r.getDouble("achieved_rate") < 120, r.encode());
    assertTrue(r.getDouble("start_p50_ms") <= r.getDouble("start_p99_ms"), r.encode());
    assertTrue(r.getDouble("start_p99_ms") <= r.getDouble("start_p999_ms"), r.encode());
  }

  @Test
  void endToEndWithoutADatabaseUrlIsRefused() throws Exception {
    assertEquals(2, Bench.run(new String[] {"--url", "http://127.0.0.1:" + kiln.port(), "--key", KilnNode.ADMIN_KEY}));
    assertEquals(2, Bench.run(new String[] {"--mode", "nonsense"}));
  }
}
