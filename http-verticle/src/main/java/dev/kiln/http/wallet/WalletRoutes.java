package dev.kiln.http.wallet;

import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import dev.kiln.task.TaskJson;
import dev.kiln.task.store.Wallets;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.Set;

/**
 * Credits (seeds 000, 004): {@code GET /me/wallet} shows the caller's wallet (an end user's with
 * {@code X-User-Id}, else the client's) and its ledger; admins grant credits. Holds, captures
 * and releases are steps of the task's own transactions (the task core's Credits).
 */
public final class WalletRoutes {
  static final Set<String> GRANT_FIELDS = Set.of("api_client_id", "user_id", "amount", "note");
  static final long MAX_GRANT = 1_000_000_000_000L;

  private final Wallets wallets;

  public WalletRoutes(Wallets wallets) {
    this.wallets = wallets;
  }

  public void mount(Router api) {
    api.get("/me/wallet").handler(this::mine);
    api.post("/admin/wallets/grant").handler(this::grant);
  }

  private void mine(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    wallets.wallet(caller.apiClientId(), caller.userId() == null ? "" : caller.userId())
        .onSuccess(w -> Json.send(ctx, 200, w)).onFailure(ctx::fail);
  }

  /** Admin only: behind {@link dev.kiln.http.admin.AdminRoutes#adminOnly}. */
  private void grant(RoutingContext ctx) {
    JsonObject body = Json.body(ctx, GRANT_FIELDS);
    String clientId = Json.requiredString(body, "api_client_id", 64);
    String userId = Objects.requireNonNullElse(Json.optionalString(body, "user_id", 128), "");
    Object amountValue = body.getValue("amount");
    if (amountValue == null) throw ApiException.invalid("missing_field", "'amount' is required");
    if (!(amountValue instanceof Integer || amountValue instanceof Long)
        || ((Number) amountValue).longValue() < 1 || ((Number) amountValue).longValue() > MAX_GRANT) {
      throw ApiException.invalid("invalid_field", "'amount' is a whole number of credits from 1 to " + MAX_GRANT);
    }
    String note = Json.optionalString(body, "note", 500);
    wallets.grant(clientId, userId, ((Number) amountValue).longValue(), note)
        .recover(e -> Future.failedFuture(e instanceof Wallets.UnknownClient ? ApiException.notFound("api client") : e))
        .compose(v -> wallets.wallet(clientId, userId))
        .onSuccess(w -> Json.send(ctx, 200, w))
        .onFailure(ctx::fail);
  }
}
