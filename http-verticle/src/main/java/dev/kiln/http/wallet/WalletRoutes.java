package dev.kiln.http.wallet;

import dev.kiln.common.time.Iso;
import dev.kiln.task.TaskJson;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Set;

/**
 * Credits (seeds 000, 004): {@code GET /me/wallet} shows the caller's wallet (an end user's with
 * {@code X-User-Id}, else the client's) and its ledger; admins grant credits. Holds, captures
 * and releases are made by Postgres with the task's own changes (see V1__init.sql).
 */
public final class WalletRoutes {
  static final Set<String> GRANT_FIELDS = Set.of("api_client_id", "user_id", "amount", "note");
  static final long MAX_GRANT = 1_000_000_000_000L;
  static final int LEDGER_PAGE = 50;

  private static final String WALLET = "SELECT id, balance, held, updated_at FROM wallets WHERE api_client_id = $1 AND user_id = $2";
  private static final String LEDGER = "SELECT id, task_id, kind, amount, balance_after, held_after, hold_id, note, created_at "
      + "FROM credit_ledger WHERE wallet_id = $1 ORDER BY id DESC LIMIT " + LEDGER_PAGE;
  private static final String GRANT =
      "WITH w AS (INSERT INTO wallets (api_client_id, user_id, balance) VALUES ($1, $2, $3) "
          + "ON CONFLICT ON CONSTRAINT uq_wallets_owner DO UPDATE SET balance = wallets.balance + EXCLUDED.balance "
          + "RETURNING id, balance, held) "
          + "INSERT INTO credit_ledger (wallet_id, kind, amount, balance_after, held_after, note) "
          + "SELECT id, 'grant', $3, balance, held, $4 FROM w RETURNING wallet_id";

  private final Pool pool;

  public WalletRoutes(Pool pool) {
    this.pool = pool;
  }

  public void mount(Router api) {
    api.get("/me/wallet").handler(this::mine);
    api.post("/admin/wallets/grant").handler(this::grant);
  }

  private void mine(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    wallet(caller.clientId(), caller.userId() == null ? "" : caller.userId())
        .onSuccess(w -> Json.send(ctx, 200, w)).onFailure(ctx::fail);
  }

  private Future<JsonObject> wallet(String clientId, String userId) {
    return pool.preparedQuery(WALLET).execute(Tuple.of(clientId, userId)).compose(rows -> {
      JsonObject w = new JsonObject().put("api_client_id", clientId).put("user_id", userId.isEmpty() ? null : userId);
      if (rows.size() == 0) {
        return Future.succeededFuture(w.put("balance", 0L).put("held", 0L).put("ledger", new JsonArray()));
      }
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

  /** Admin only: behind {@link dev.kiln.http.admin.AdminRoutes#adminOnly}. */
  private void grant(RoutingContext ctx) {
    JsonObject body = Json.body(ctx, GRANT_FIELDS);
    String clientId = Json.requiredString(body, "api_client_id", 64);
    String userId = java.util.Objects.requireNonNullElse(Json.optionalString(body, "user_id", 128), "");
    Object amountValue = body.getValue("amount");
    if (amountValue == null) throw ApiException.invalid("missing_field", "'amount' is required");
    if (!(amountValue instanceof Integer || amountValue instanceof Long)
        || ((Number) amountValue).longValue() < 1 || ((Number) amountValue).longValue() > MAX_GRANT) {
      throw ApiException.invalid("invalid_field", "'amount' is a whole number of credits from 1 to " + MAX_GRANT);
    }
    String note = Json.optionalString(body, "note", 500);
    pool.preparedQuery(GRANT).execute(Tuple.of(clientId, userId, ((Number) amountValue).longValue(), note))
        .recover(e -> Future.failedFuture(e instanceof PgException pg && "23503".equals(pg.getSqlState())
            ? ApiException.notFound("api client") : e))
        .compose(v -> wallet(clientId, userId))
        .onSuccess(w -> Json.send(ctx, 200, w))
        .onFailure(ctx::fail);
  }
}
