package dev.kiln.http.auth;

import dev.kiln.common.hash.Sha256;
import dev.kiln.http.api.ApiException;
import dev.kiln.common.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * {@code X-Auth-Key} authentication (seed 002): keys are looked up by SHA-256 hash only. The
 * admin key and the keys of {@code KILN_API_KEYS} are registered on their first use. Bearer
 * tokens of signed-in end users are handed to {@link BearerAuth}.
 */
public final class ApiKeyAuth {
  public static final String HEADER = "X-Auth-Key";
  public static final String USER_HEADER = "X-User-Id";
  /** A known key is trusted this long before Postgres is asked again. */
  public static final long CACHE_MILLIS = 5_000;

  private static final String FIND =
      "SELECT id, role FROM api_clients WHERE api_key_hash = $1 AND is_active";
  private static final String REGISTER =
      "INSERT INTO api_clients (id, display_name, role, api_key_hash) VALUES ($1, $2, $3, $4) "
          + "ON CONFLICT (id) DO UPDATE SET api_key_hash = EXCLUDED.api_key_hash, updated_at = now() "
          + "WHERE api_clients.role = EXCLUDED.role AND api_clients.is_active RETURNING id, role";

  private record Cached(String apiClientId, String role, long until) {}

  private final Pool pool;
  private final String adminHash;
  private final List<String> seededHashes;
  /** One cache per node (a Vert.x local map), so a revoke answered by one HTTP instance holds for all at once. */
  static final String CACHE_MAP = "kiln.auth.keys";
  private final LocalMap<String, JsonObject> cache;
  private final BearerAuth bearer;

  public ApiKeyAuth(Vertx vertx, Pool pool, String adminKey, List<String> apiKeys) {
    this.pool = pool;
    this.bearer = new BearerAuth(vertx, pool);
    this.cache = vertx.sharedData().getLocalMap(CACHE_MAP);
    // A revoked key stops working at once on every node, not when its cache entry ages out.
    vertx.eventBus().<JsonObject>consumer(Addresses.CLIENTS_REVOKED, m -> forget(vertx, m.body().getString("api_client_id")));
    this.adminHash = adminKey == null ? null : Sha256.hex(adminKey);
    this.seededHashes = apiKeys.stream().map(Sha256::hex).toList();
  }

  /**
   * Route handler: puts the {@link Caller} in the context or fails with 401/403. An API client
   * sends {@code X-Auth-Key}; a signed-in end user {@code Authorization: Bearer}; never both.
   */
  public void handle(RoutingContext ctx) {
    if (ctx.get(Caller.CONTEXT_KEY) != null) {
      ctx.next(); // a stream token on an SSE route named the caller (StreamTokens)
      return;
    }
    String key = ctx.request().getHeader(HEADER);
    String token = BearerAuth.token(ctx);
    String user = ctx.request().getHeader(USER_HEADER);
    if (token != null) {
      if (key != null || user != null) {
        ctx.fail(ApiException.badRequest("ambiguous_credentials", "a bearer token names its user; send no X-Auth-Key or X-User-Id with it"));
        return;
      }
      bearer.resolve(token).onSuccess(c -> {
        ctx.put(Caller.CONTEXT_KEY, c);
        ctx.next();
      }).onFailure(ctx::fail);
      return;
    }
    if (key == null && !ctx.queryParam(StreamTokens.PARAM).isEmpty()) {
      ctx.fail(new ApiException(401, "stream_token_not_accepted",
          "a stream token opens only the SSE routes (GET /tasks/{id}/events, /events, /generation-requests/{id}/events); send X-Auth-Key"));
      return;
    }
    if (key == null || key.isEmpty() || key.length() > 256) {
      ctx.fail(new ApiException(401, "unauthorized", "send a valid X-Auth-Key, or Authorization: Bearer after signing in"));
      return;
    }
    resolve(Sha256.hex(key))
        .onSuccess(c -> {
          if (user != null) {
            if (!("admin".equals(c.role()) || "first_party".equals(c.role()))) {
              ctx.fail(new ApiException(403, "forbidden", "only first_party and admin clients may send X-User-Id"));
              return;
            }
            if (!user.matches("[A-Za-z0-9._@:\\-]{1,128}")) {
              ctx.fail(ApiException.badRequest("invalid_user_id", "X-User-Id must be 1-128 of A-Z a-z 0-9 . _ @ : -"));
              return;
            }
          }
          ctx.put(Caller.CONTEXT_KEY, new Caller(c.apiClientId(), c.role(), user));
          ctx.next();
        })
        .onFailure(ctx::fail);
  }

  private Future<Cached> resolve(String hash) {
    JsonObject hit = cache.get(hash);
    long now = System.currentTimeMillis();
    if (hit != null && hit.getLong("until") > now) {
      return Future.succeededFuture(new Cached(hit.getString("api_client_id"), hit.getString("role"), hit.getLong("until")));
    }
    return pool.preparedQuery(FIND).execute(Tuple.of(hash)).compose(rows -> {
      if (rows.size() > 0) return Future.succeededFuture(rows.iterator().next());
      if (hash.equals(adminHash)) return register("admin", "Admin", "admin", hash);
      if (seededHashes.contains(hash)) {
        String id = "key_" + hash.substring(0, 8);
        return register(id, "API Key " + hash.substring(0, 8), "first_party", hash);
      }
      return Future.failedFuture(new ApiException(401, "unauthorized", "unknown or revoked X-Auth-Key"));
    }).map(row -> {
      Cached c = new Cached(row.getString("id"), row.getString("role"), now + CACHE_MILLIS);
      cache.put(hash, new JsonObject().put("api_client_id", c.apiClientId()).put("role", c.role()).put("until", c.until()));
      return c;
    });
  }

  private Future<Row> register(String id, String name, String role, String hash) {
    return pool.preparedQuery(REGISTER).execute(Tuple.of(id, name, role, hash))
        // Two first uses at once: one inserts, the other hits the unique hash and reads it back.
        .recover(e -> pool.preparedQuery(FIND).execute(Tuple.of(hash)))
        .compose(rows -> rows.size() == 1
            ? Future.succeededFuture(rows.iterator().next())
            : Future.failedFuture(new ApiException(401, "unauthorized", "unknown or revoked X-Auth-Key")));
  }

  /** Drops a client's cached keys on this node (other nodes hear of it on the bus). */
  public static void forget(Vertx vertx, String apiClientId) {
    LocalMap<String, JsonObject> cache = vertx.sharedData().getLocalMap(CACHE_MAP);
    for (String hash : List.copyOf(cache.keySet())) {
      JsonObject c = cache.get(hash);
      if (c != null && apiClientId.equals(c.getString("api_client_id"))) cache.remove(hash);
    }
  }

}
