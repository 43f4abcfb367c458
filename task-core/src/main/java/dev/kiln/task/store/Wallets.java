package dev.kiln.task.store;

import dev.kiln.common.time.Iso;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

/**
 * Wallets and their ledger, as their owners and admins see them; grants by admins. Holds,
 * captures and releases are not here: they are steps of the task's own transactions
 * ({@code Credits}).
 */
public final class Wallets {
  /** Ledger entries shown with a wallet, newest first. */
  public static final int LEDGER_PAGE = 50;

  private static final String WALLET = "SELECT id, balance, held, updated_at FROM wallets WHERE api_client_id = $1 AND user_id = $2";
  private static final String LEDGER = "SELECT id, task_id, kind, amount, balance_after, held_after, hold_id, note, created_at "
      + "FROM credit_ledger WHERE wallet_id = $1 ORDER BY id DESC LIMIT " + LEDGER_PAGE;
  private static final String GRANT =
      "WITH w AS (INSERT INTO wallets (api_client_id, user_id, balance) VALUES ($1, $2, $3) "
          + "ON CONFLICT ON CONSTRAINT uq_wallets_owner DO UPDATE SET balance = wallets.balance + EXCLUDED.balance "
          + "RETURNING id, balance, held) "
          + "INSERT INTO credit_ledger (wallet_id, kind, amount, balance_after, held_after, note) "
          + "SELECT id, 'grant', $3, balance, held, $4 FROM w RETURNING wallet_id";

  /** A grant to a client that does not exist. */
  public static final class UnknownClient extends RuntimeException {
    UnknownClient() {
      super("no such api client", null, false, false);
    }
  }

  private final Pool pool;

  public Wallets(Pool pool) {
    this.pool = pool;
  }

  /** The wallet of a client ({@code userId} "") or of one end user of it, with its newest ledger entries; empty when none yet. */
  public Future<JsonObject> wallet(String apiClientId, String userId) {
    return pool.preparedQuery(WALLET).execute(Tuple.of(apiClientId, userId)).compose(rows -> {
      JsonObject w = new JsonObject().put("api_client_id", apiClientId).put("user_id", userId.isEmpty() ? null : userId);
      if (rows.size() == 0) return Future.succeededFuture(w.put("balance", 0L).put("held", 0L).put("ledger", new JsonArray()));
      Row r = rows.iterator().next();
      w.put("balance", r.getLong("balance")).put("held", r.getLong("held"));
      return pool.preparedQuery(LEDGER).execute(Tuple.of(r.getUUID("id"))).map(entries -> {
        JsonArray ledger = new JsonArray();
        for (Row e : entries) {
          ledger.add(new JsonObject().put("id", e.getLong("id")).put("kind", e.getString("kind"))
              .put("amount", e.getLong("amount")).put("balance_after", e.getLong("balance_after"))
              .put("held_after", e.getLong("held_after"))
              .put("task_id", e.getUUID("task_id") == null ? null : e.getUUID("task_id").toString())
              .put("hold_id", e.getUUID("hold_id") == null ? null : e.getUUID("hold_id").toString())
              .put("note", e.getString("note")).put("created_at", Iso.of(e.getOffsetDateTime("created_at"))));
        }
        return w.put("ledger", ledger);
      });
    });
  }

  /** Adds credits to a wallet (made if it is the first), as a {@code grant} entry. */
  public Future<Void> grant(String apiClientId, String userId, long amount, String note) {
    return pool.preparedQuery(GRANT).execute(Tuple.of(apiClientId, userId, amount, note))
        .recover(e -> Future.failedFuture(e instanceof PgException pg && "23503".equals(pg.getSqlState()) ? new UnknownClient() : e))
        .mapEmpty();
  }
}
