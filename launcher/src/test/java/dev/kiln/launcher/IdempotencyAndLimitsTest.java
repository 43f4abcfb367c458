package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Sql;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Idempotency-Key replays and per-client / per-user rate limits. */
class IdempotencyAndLimitsTest {
  static final int CLIENT_LIMIT = 10;
  static final int USER_LIMIT = 3;
  static final String NOOP = "{\"tool_action\": \"debug.noop\"}";

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_RATE_LIMIT_CLIENT", String.valueOf(CLIENT_LIMIT),
      "KILN_RATE_LIMIT_USER", String.valueOf(USER_LIMIT)));

  private static long tasks() throws Exception {
    try (Sql sql = kiln.sql()) {
      return sql.count("SELECT count(*) FROM tasks");
    }
  }

  @Test
  void aRepeatedIdempotencyKeyReplaysTheFirstAnswerAndCreatesNothing() throws Exception {
    long before = tasks();
    Api.Reply first = kiln.api().post("/api/v1/tasks", NOOP, "Idempotency-Key", "order-42");
    Api.Reply again = kiln.api().post("/api/v1/tasks", NOOP, "Idempotency-Key", "order-42");
    assertEquals(202, first.status());
    assertEquals(202, again.status());
    assertEquals(first.body(), again.body(), "the first answer, replayed");
    assertEquals("true", again.header("Idempotent-Replayed"));
    assertEquals(before + 1, tasks());

    Api.Reply other = kiln.api().post("/api/v1/tasks", "{\"tool_action\": \"debug.sleep\"}", "Idempotency-Key", "order-42");
    assertEquals(422, other.status());
    assertEquals("idempotency_key_reused", other.json().getString("code"));
    assertEquals(400, kiln.api().post("/api/v1/tasks", NOOP, "Idempotency-Key", "has space").status());
    assertEquals(400, kiln.api().post("/api/v1/tasks", NOOP, "Idempotency-Key", "k".repeat(256)).status());
    assertEquals(before + 1, tasks(), "refused requests created nothing");

    // The same request is the same however its keys are ordered; any field that differs makes another.
    Api.Reply ordered = kiln.api().post("/api/v1/tasks", "{\"tool_action\": \"debug.noop\", \"priority\": 3}", "Idempotency-Key", "order-43");
    Api.Reply reordered = kiln.api().post("/api/v1/tasks", "{\"priority\": 3, \"tool_action\": \"debug.noop\"}", "Idempotency-Key", "order-43");
    assertEquals(202, ordered.status(), ordered.body());
    assertEquals(ordered.body(), reordered.body());
    assertEquals("true", reordered.header("Idempotent-Replayed"));
    Api.Reply hooked = kiln.api().post("/api/v1/tasks", "{\"tool_action\": \"debug.noop\", \"priority\": 3, "
        + "\"webhook_url\": \"https://example.com/hook\"}", "Idempotency-Key", "order-43");
    assertEquals(422, hooked.status(), "another webhook_url is another request: " + hooked.body());
    assertEquals(before + 2, tasks());
  }

  @Test
  void aRepeatedBatchWithOneKeyIsOneBatch() throws Exception {
    String body = "{\"prompt\": \"owls\", \"batch_size\": 3, \"width\": 64, \"height\": 64, \"base_seed\": 7}";
    oneBatchForOneKey(body, body.replace("owls", "cats"), "batch-9", 3);
  }

  /** Issue 14: the generic form (one tool_action over many items) replays as the image form does. */
  @Test
  void aRepeatedGenericBatchWithOneKeyIsOneBatch() throws Exception {
    String body = "{\"tool_action\": \"debug.sleep\", \"items\": [{\"duration_ms\": 1}, {}, {\"duration_ms\": 2}]}";
    oneBatchForOneKey(body, body.replace("2}", "3}"), "generic-batch-9", 3);
  }

  /** Six concurrent sends of {@code body} under {@code key} make one batch of {@code size} tasks; {@code other} under it is a 422. */
  private static void oneBatchForOneKey(String body, String other, String key, int size) throws Exception {
    long before = tasks();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    Set<String> ids = new HashSet<>();
    int replayed = 0;
    try {
      List<Future<Api.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 6; i++) replies.add(pool.submit(() -> kiln.api().post("/api/v1/batches", body, "Idempotency-Key", key)));
      for (Future<Api.Reply> f : replies) {
        Api.Reply r = f.get();
        assertEquals(202, r.status(), r.body());
        ids.add(r.json().getString("id"));
        if ("true".equals(r.header("Idempotent-Replayed"))) replayed++;
      }
    } finally {
      pool.shutdown();
    }
    assertEquals(1, ids.size(), "one batch for one key");
    assertEquals(5, replayed, "all but the first are replays");
    assertEquals(before + size, tasks(), "its tasks, once");
    Api.Reply again = kiln.api().post("/api/v1/batches", other, "Idempotency-Key", key);
    assertEquals(422, again.status(), again.body());
    assertEquals("idempotency_key_reused", again.json().getString("code"));
    assertEquals(before + size, tasks());
  }

  @Test
  void concurrentRequestsWithOneKeyCreateOneTask() throws Exception {
    long before = tasks();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Api.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 16; i++) replies.add(pool.submit(() -> kiln.api().post("/api/v1/tasks", NOOP, "Idempotency-Key", "burst-1")));
      Set<String> ids = new HashSet<>();
      for (Future<Api.Reply> f : replies) {
        Api.Reply r = f.get();
        assertEquals(202, r.status(), r.body());
        ids.add(r.json().getString("id"));
      }
      assertEquals(1, ids.size(), "one task for one key");
    } finally {
      pool.shutdown();
    }
    assertEquals(before + 1, tasks());
  }

  /** Users signed in by e-mail share one client (the public): each has the user limit, none the client's. */
  @Test
  void signedInUsersAreLimitedEachNotTogether() throws Exception {
    List<Api> users = new ArrayList<>();
    for (int i = 0; i < 8; i++) users.add(kiln.signedIn("reader" + i + "@example.com"));
    // 24 quick requests fall in at most two one-second windows, so at least 12 in one: over the client limit of 10.
    for (Api user : users) {
      for (int i = 0; i < USER_LIMIT; i++) {
        Api.Reply r = user.get("/api/v1/tasks?limit=1");
        assertEquals(200, r.status(), (users.size() * USER_LIMIT) + " requests over " + CLIENT_LIMIT + " a second, within each user's limit: " + r.body());
      }
    }
  }

  /** One end user's refused requests are not the client's: a flooding user does not lock out the others. */
  @Test
  void aUserRefusedByItsLimitSpendsNothingOfTheClients() throws Exception {
    Api.Reply made = kiln.api().post("/api/v1/admin/clients", "{\"display_name\": \"Shared\", \"role\": \"first_party\"}");
    assertEquals(201, made.status(), made.body());
    Api client = kiln.api().as(made.json().getString("api_key"));
    Api flooder = client.forUser("flooder");
    Api other = client.forUser("other");
    int refused = 0;
    for (int round = 0; round < USER_LIMIT; round++) {
      // More than the client's limit from one user within a few ms: all but USER_LIMIT a second are refused.
      for (int i = 0; i < CLIENT_LIMIT + 2; i++) if (flooder.get("/api/v1/tasks?limit=1").status() == 429) refused++;
      Api.Reply r = other.get("/api/v1/tasks?limit=1");
      assertEquals(200, r.status(), "another user of the client, within its own limit, after the flood: " + r.body());
    }
    assertTrue(refused > 0, "the flooder was refused");
  }

  @Test
  void overTheLimitIs429WithRetryAfterAndAdminsAreNotLimited() throws Exception {
    Api client = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
    int limited = 0;
    for (int i = 0; i < 3 * CLIENT_LIMIT; i++) {
      Api.Reply r = client.get("/api/v1/tasks?limit=1");
      if (r.status() == 429) {
        limited++;
        assertEquals("rate_limited", r.json().getString("code"));
        assertEquals("1", r.header("Retry-After"));
      } else {
        assertEquals(200, r.status());
      }
    }
    assertTrue(limited > 0, "a client over its limit is refused");

    Api user = client.forUser("eager");
    int accepted = 0;
    long start = System.nanoTime();
    for (int i = 0; i < 4 * USER_LIMIT; i++) {
      if (user.get("/api/v1/tasks?limit=1").status() != 429) accepted++;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(accepted <= USER_LIMIT * (Math.ceil(seconds) + 1), "a user gets at most its limit per second: " + accepted);

    for (int i = 0; i < 3 * CLIENT_LIMIT; i++) assertEquals(200, kiln.api().get("/api/v1/tasks?limit=1").status(), "admin is not limited");
  }
}
