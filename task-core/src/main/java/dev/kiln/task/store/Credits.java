package dev.kiln.task.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Credits (seeds 000, 004), as steps of the transactions that create and end tasks: a priced
 * task holds its price from its owner's wallet when it is created (or retried by its owner), and
 * when it ends the hold is captured (completed) or released (anything else). Each step moves many
 * tasks' credits in one statement; the ledger's unique indexes (V1) make a hold settle exactly one
 * way, once, whatever path ends the task. Wallet rows are locked in id order (tasks first, then
 * wallets, then batches, on every path), so two steps cannot deadlock on them.
 */
final class Credits {
  private Credits() {}

  /** A price to hold for a task just created or retried. */
  record Hold(UUID taskId, UUID holdId, String apiClientId, String userId, long amount, String toolAction) {}

  /** A task's hold ending with the task: captured when it completed, else released. */
  record End(UUID taskId, UUID holdId, long amount, boolean capture) {}

  /**
   * Takes each wallet's total from its balance into held, and writes one {@code hold} entry per
   * task with the balance as it stood after that task's hold. A wallet without enough for all of
   * its tasks changes nothing and is not returned.
   */
  private static final String HOLD =
      "WITH h AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY "
          + "AS h(task_id, hold_id, api_client_id, user_id, amount, n)), "
          + "need AS (SELECT api_client_id, coalesce(user_id, '') AS user_id, sum(amount) AS total FROM h GROUP BY 1, 2), "
          + "locked AS (SELECT w.id FROM wallets w JOIN need ON w.api_client_id = need.api_client_id AND w.user_id = need.user_id "
          + "ORDER BY w.id FOR UPDATE OF w), "
          + "w AS (UPDATE wallets SET balance = balance - need.total, held = held + need.total FROM need "
          + "WHERE wallets.id IN (SELECT id FROM locked) AND wallets.api_client_id = need.api_client_id "
          + "AND wallets.user_id = need.user_id AND wallets.balance >= need.total "
          + "RETURNING wallets.id, wallets.api_client_id, wallets.user_id, wallets.balance, wallets.held, need.total), "
          + "l AS (INSERT INTO credit_ledger (wallet_id, task_id, kind, amount, balance_after, held_after, hold_id) "
          + "SELECT w.id, h.task_id, 'hold', h.amount, "
          + "w.balance + w.total - sum(h.amount) OVER (PARTITION BY w.id ORDER BY h.n), "
          + "w.held - w.total + sum(h.amount) OVER (PARTITION BY w.id ORDER BY h.n), h.hold_id "
          + "FROM h JOIN w ON w.api_client_id = h.api_client_id AND w.user_id = coalesce(h.user_id, '')) "
          + "SELECT api_client_id, user_id FROM w";

  /**
   * Ends holds: every hold's wallet gives up the held amount, a released one gets it back into
   * its balance; one {@code capture} or {@code release} entry per task.
   */
  private static final String END =
      "WITH s AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bool[]) WITH ORDINALITY "
          + "AS s(task_id, hold_id, amount, capture, n)), "
          + "h AS (SELECT s.*, l.wallet_id FROM s JOIN credit_ledger l ON l.hold_id = s.hold_id AND l.kind = 'hold'), "
          + "sums AS (SELECT wallet_id, sum(amount) AS held_total, coalesce(sum(amount) FILTER (WHERE NOT capture), 0) AS back_total "
          + "FROM h GROUP BY wallet_id), "
          + "locked AS (SELECT id FROM wallets WHERE id IN (SELECT wallet_id FROM sums) ORDER BY id FOR UPDATE), "
          + "w AS (UPDATE wallets SET held = held - sums.held_total, balance = balance + sums.back_total FROM sums "
          + "WHERE wallets.id = sums.wallet_id AND wallets.id IN (SELECT id FROM locked) "
          + "RETURNING wallets.id, wallets.balance - sums.back_total AS balance_before, wallets.held + sums.held_total AS held_before) "
          + "INSERT INTO credit_ledger (wallet_id, task_id, kind, amount, balance_after, held_after, hold_id) "
          + "SELECT h.wallet_id, h.task_id, CASE WHEN h.capture THEN 'capture' ELSE 'release' END, h.amount, "
          + "w.balance_before + sum(CASE WHEN h.capture THEN 0 ELSE h.amount END) OVER (PARTITION BY h.wallet_id ORDER BY h.n), "
          + "w.held_before - sum(h.amount) OVER (PARTITION BY h.wallet_id ORDER BY h.n), h.hold_id "
          + "FROM h JOIN w ON w.id = h.wallet_id";

  /** Places the holds, or fails with {@link InsufficientCredits} (the caller's transaction then rolls back). */
  static Future<Void> hold(SqlConnection conn, List<Hold> holds) {
    if (holds.isEmpty()) return Future.succeededFuture();
    int n = holds.size();
    UUID[] tasks = new UUID[n], ids = new UUID[n];
    String[] clients = new String[n], users = new String[n];
    Long[] amounts = new Long[n];
    Map<String, long[]> needs = new LinkedHashMap<>();
    Map<String, String> actions = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      Hold h = holds.get(i);
      tasks[i] = h.taskId();
      ids[i] = h.holdId();
      clients[i] = h.apiClientId();
      users[i] = h.userId();
      amounts[i] = h.amount();
      String owner = owner(h.apiClientId(), h.userId());
      needs.computeIfAbsent(owner, k -> new long[2])[0] += h.amount();
      needs.get(owner)[1]++;
      actions.putIfAbsent(owner, h.toolAction());
    }
    return conn.preparedQuery(HOLD).execute(Tuple.of(tasks, ids, clients, users, amounts)).compose(rows -> {
      if (rows.size() == needs.size()) return Future.succeededFuture();
      List<String> held = new ArrayList<>();
      rows.forEach(r -> held.add(owner(r.getString("api_client_id"), r.getString("user_id"))));
      String short_ = needs.keySet().stream().filter(o -> !held.contains(o)).findFirst().orElseThrow();
      long[] need = needs.get(short_);
      return Future.failedFuture(new InsufficientCredits("insufficient credits: " + (need[1] == 1 ? "" : need[1] + " × ")
          + actions.get(short_) + " need" + (need[1] == 1 ? "s " : " ") + need[0]));
    });
  }

  static Future<Void> end(SqlConnection conn, List<End> ends) {
    if (ends.isEmpty()) return Future.succeededFuture();
    int n = ends.size();
    UUID[] tasks = new UUID[n], ids = new UUID[n];
    Long[] amounts = new Long[n];
    Boolean[] capture = new Boolean[n];
    for (int i = 0; i < n; i++) {
      End e = ends.get(i);
      tasks[i] = e.taskId();
      ids[i] = e.holdId();
      amounts[i] = e.amount();
      capture[i] = e.capture();
    }
    return conn.preparedQuery(END).execute(Tuple.of(tasks, ids, amounts, capture)).mapEmpty();
  }

  private static String owner(String client, String user) {
    return client + "/" + (user == null ? "" : user);
  }
}
