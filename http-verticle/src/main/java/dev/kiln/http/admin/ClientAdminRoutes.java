package dev.kiln.http.admin;

import dev.kiln.common.time.Iso;
import dev.kiln.common.hash.Sha256;
import dev.kiln.common.bus.Addresses;
import dev.kiln.task.TaskJson;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.ApiKeyAuth;
import dev.kiln.http.auth.SignIn;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * {@code /api/v1/admin/clients}: API keys (seed 002). A new key's plaintext is shown once;
 * only its SHA-256 is kept. A revoke takes effect on every HTTP node at once.
 */
public final class ClientAdminRoutes {
  static final Set<String> CREATE_FIELDS = Set.of("display_name", "role");
  static final Set<String> ROLES = Set.of("admin", "first_party", "third_party");
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final String INSERT =
      "INSERT INTO api_clients (id, display_name, role, api_key_hash) VALUES ($1, $2, $3, $4) "
          + "RETURNING id, display_name, role, is_active, created_at";
  private static final String LIST = "SELECT id, display_name, role, is_active, created_at FROM api_clients ORDER BY created_at, id";
  private static final String REVOKE = "UPDATE api_clients SET is_active = false WHERE id = $1 AND id <> ALL($2::text[]) RETURNING id";
  /** Built in, so not revocable: the admin (KILN_ADMIN_KEY) and the client of e-mail sign-in, whose users hold no key. */
  private static final String[] BUILT_IN = {"admin", SignIn.CLIENT_ID};
  private static final String EXISTS = "SELECT 1 FROM api_clients WHERE id = $1";

  private final Vertx vertx;
  private final Pool pool;

  public ClientAdminRoutes(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  /** Behind {@link AdminRoutes#adminOnly}. */
  public void mount(Router api) {
    api.post("/admin/clients").handler(this::create);
    api.get("/admin/clients").handler(this::list);
    api.delete("/admin/clients/:id").handler(this::revoke);
  }

  private void create(RoutingContext ctx) {
    JsonObject body = Json.body(ctx, CREATE_FIELDS);
    String name = Json.requiredString(body, "display_name", 100);
    String role = Json.requiredString(body, "role", 20);
    if (!ROLES.contains(role)) throw ApiException.invalid("invalid_field", "role is one of " + ROLES);
    byte[] raw = new byte[24];
    RANDOM.nextBytes(raw);
    String key = "kiln_" + HexFormat.of().formatHex(raw);
    String hash = Sha256.hex(key);
    pool.preparedQuery(INSERT).execute(Tuple.of("key_" + hash.substring(0, 12), name, role, hash))
        .onSuccess(rows -> {
          JsonObject client = client(rows.iterator().next()).put("api_key", key);
          ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json").end(client.encode());
        })
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    pool.query(LIST).execute().onSuccess(rows -> {
      JsonArray items = new JsonArray();
      for (Row r : rows) items.add(client(r));
      ctx.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("items", items).encode());
    }).onFailure(ctx::fail);
  }

  private void revoke(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!id.matches("[A-Za-z0-9_\\-]{1,64}")) throw ApiException.badRequest("invalid_id", "not a client id");
    pool.preparedQuery(REVOKE).execute(Tuple.of(id, (Object) BUILT_IN))
        .compose(rows -> rows.size() > 0 ? Future.succeededFuture()
            : pool.preparedQuery(EXISTS).execute(Tuple.of(id)).compose(found -> Future.failedFuture(found.size() == 0
                ? ApiException.notFound("client")
                : id.equals(SignIn.CLIENT_ID)
                    ? new ApiException(409, "cannot_revoke_users", "the client of e-mail sign-in cannot be revoked; "
                        + "POST /auth/logout ends a user's session")
                    : new ApiException(409, "cannot_revoke_admin", "the KILN_ADMIN_KEY client cannot be revoked; change the variable"))))
        .onSuccess(v -> {
          ApiKeyAuth.forget(vertx, id); // this node, before the answer; the others by the bus
          vertx.eventBus().publish(Addresses.CLIENTS_REVOKED, new JsonObject().put("api_client_id", id));
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  private static JsonObject client(Row r) {
    return new JsonObject().put("id", r.getString("id")).put("display_name", r.getString("display_name"))
        .put("role", r.getString("role")).put("is_active", r.getBoolean("is_active"))
        .put("created_at", Iso.of(r.getOffsetDateTime("created_at")));
  }
}
