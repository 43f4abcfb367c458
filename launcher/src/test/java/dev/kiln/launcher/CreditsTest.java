package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Credits: held with the task, captured on success, released otherwise; the ledger balances. */
class CreditsTest {
  static final long SLEEP_PRICE = 10;

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_PRICES", "debug.sleep=" + SLEEP_PRICE + ",image.generate=2"));

  private static JsonObject wallet(Api as) throws Exception {
    return as.get("/api/v1/me/wallet").json();
  }

  private static String sleep(Api as, JsonObject input) throws Exception {
    Api.Reply r = as.post("/api/v1/tasks", new JsonObject().put("tool_action", "debug.sleep").put("input", input).encode());
    assertEquals(202, r.status(), r.body());
    return r.json().getString("id");
  }

  @Test
  void creditsAreHeldCapturedAndReleasedAndTheLedgerBalances() throws Exception {
    Api payer = kiln.api().forUser("payer");
    Api.Reply grant = kiln.api().post("/api/v1/admin/wallets/grant", "{\"api_client_id\": \"admin\", \"user_id\": \"payer\", \"amount\": 35}");
    assertEquals(200, grant.status(), grant.body());
    assertEquals(35, wallet(payer).getLong("balance"));

    String ok = sleep(payer, new JsonObject().put("duration_ms", 400));
    Eventually.await("held while it runs", Duration.ofSeconds(10), () -> wallet(payer).getLong("held") == SLEEP_PRICE);
    payer.awaitStatus(ok, "completed", Duration.ofSeconds(30));
    Eventually.await("captured", Duration.ofSeconds(10), () -> wallet(payer).getLong("held") == 0);
    assertEquals(25, wallet(payer).getLong("balance"));

    String bad = sleep(payer, new JsonObject().put("fail_permanently", true));
    payer.awaitStatus(bad, "failed", Duration.ofSeconds(30));
    assertEquals(25, wallet(payer).getLong("balance"), "released on failure");

    String a = sleep(payer, new JsonObject().put("hang", true));
    String b = sleep(payer, new JsonObject().put("hang", true));
    long tasksBefore = count("SELECT count(*) FROM tasks");
    Api.Reply broke = payer.post("/api/v1/tasks", "{\"tool_action\": \"debug.sleep\", \"input\": {\"hang\": true}}");
    assertEquals(402, broke.status(), broke.body());
    assertEquals("insufficient_credits", broke.json().getString("code"));
    assertEquals(tasksBefore, count("SELECT count(*) FROM tasks"), "nothing created");
    assertEquals(5, wallet(payer).getLong("balance"));
    assertEquals(20, wallet(payer).getLong("held"));

    for (String id : List.of(a, b)) {
      Eventually.await("running", Duration.ofSeconds(10), () -> !"pending".equals(payer.task(id).getString("status")));
      assertEquals(200, payer.post("/api/v1/tasks/" + id + "/cancel", "").status());
    }
    JsonObject w = wallet(payer);
    assertEquals(25, w.getLong("balance"), "released on cancel");
    assertEquals(0, w.getLong("held"));

    assertEquals(202, payer.post("/api/v1/tasks/" + a + "/retry", "").status());
    assertEquals(15, wallet(payer).getLong("balance"), "a manual retry holds anew");
    Eventually.await("running again", Duration.ofSeconds(10), () -> !"pending".equals(payer.task(a).getString("status")));
    assertEquals(200, payer.post("/api/v1/tasks/" + a + "/cancel", "").status());
    assertEquals(25, wallet(payer).getLong("balance"), "and releases it again");

    try (Sql sql = kiln.sql()) {
      LedgerCheck.assertBalanced(sql);
    }
  }

  /** Issue 14: a generic batch holds each item's price in its one transaction, all or nothing, as a bulk submit does. */
  @Test
  void aGenericBatchHoldsEveryItemsCreditsOrCreatesNothing() throws Exception {
    Api payer = kiln.api().forUser("batch-payer");
    Api.Reply grant = kiln.api().post("/api/v1/admin/wallets/grant", "{\"api_client_id\": \"admin\", \"user_id\": \"batch-payer\", \"amount\": 25}");
    assertEquals(200, grant.status(), grant.body());
    long before = count("SELECT count(*) FROM tasks") + count("SELECT count(*) FROM task_batches");
    Api.Reply broke = payer.post("/api/v1/batches", "{\"tool_action\": \"debug.sleep\", \"items\": [{}, {}, {}]}");
    assertEquals(402, broke.status(), broke.body());
    assertEquals("insufficient_credits", broke.json().getString("code"));
    assertEquals(before, count("SELECT count(*) FROM tasks") + count("SELECT count(*) FROM task_batches"), "nothing created");
    assertEquals(25, wallet(payer).getLong("balance"));

    Api.Reply r = payer.post("/api/v1/batches", "{\"tool_action\": \"debug.sleep\", \"items\": [{\"hang\": true}, {\"hang\": true}]}");
    assertEquals(202, r.status(), r.body());
    JsonObject w = wallet(payer);
    assertEquals(List.of(5L, 20L), List.of(w.getLong("balance"), w.getLong("held")), "both items held at once");
    String id = r.json().getString("id");
    Api.Reply cancelled = payer.post("/api/v1/batches/" + id + "/cancel", "");
    assertEquals(200, cancelled.status(), cancelled.body());
    Eventually.await("the batch cancelled", Duration.ofSeconds(30),
        () -> "cancelled".equals(payer.get("/api/v1/batches/" + id).json().getString("status")));
    Eventually.await("released", Duration.ofSeconds(10), () -> wallet(payer).getLong("held") == 0);
    assertEquals(25, wallet(payer).getLong("balance"), "released on cancel");
    try (Sql sql = kiln.sql()) {
      LedgerCheck.assertBalanced(sql);
    }
  }

  private static long count(String sql) throws Exception {
    try (Sql s = kiln.sql()) {
      return s.count(sql);
    }
  }
}
