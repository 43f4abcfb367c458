package dev.kiln.http.auth;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.hash.Sha256;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * SSE stream tokens, for browsers: {@code EventSource} cannot send {@code X-Auth-Key} or
 * {@code Authorization}, so an authenticated {@code POST /auth/stream-tokens} gives a short-lived
 * token that the SSE routes, and only they, take as {@code ?stream_token=}. The token is
 * {@code <claims>.<signature>}: base64url JSON naming the caller ({@code c} client, {@code r}
 * role, {@code u} end user, {@code s} the sign-in session it came from) and its expiry {@code e}
 * (unix s), signed with the key of signed asset URLs, so any HTTP node takes another's. It is
 * checked when a stream opens: a revoked client or ended session is refused then, even before
 * the token expires; an open stream is not cut when it expires.
 */
public final class StreamTokens {
  public static final String PARAM = "stream_token";
  /** The routes a stream token opens (the API's SSE streams), and no other. */
  public static final List<String> STREAM_ROUTES = List.of("/tasks/:id/events", "/events", "/generation-requests/:id/events");
  /** What the signature is made for: a '/' in it, so no asset or model URL's signature is a token's, nor the reverse. */
  private static final String SUBJECT = "stream-token/";
  /** Far above a real token (~200 characters), so a huge query is refused before it is decoded. */
  private static final int MAX_LENGTH = 1024;

  private static final String SESSION =
      "SELECT id FROM user_sessions WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()";
  private static final String SESSION_LIVE =
      "SELECT 1 FROM user_sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()";
  private static final String CLIENT_LIVE = "SELECT 1 FROM api_clients WHERE id = $1 AND role = $2 AND is_active";

  private final Pool pool;
  private final AssetUrls urls;
  private final int ttlSeconds;

  public StreamTokens(Pool pool, AssetUrls urls, int ttlSeconds) {
    this.pool = pool;
    this.urls = urls;
    this.ttlSeconds = ttlSeconds;
  }

  /** Before authentication: a stream token on an SSE route stands in for the key. */
  public void mountStreams(Router api) {
    for (String route : STREAM_ROUTES) api.get(route).handler(this::accept);
  }

  /** After authentication: who may follow streams gets a token for them. */
  public void mount(Router api) {
    api.post("/auth/stream-tokens").handler(this::issue);
  }

  private void issue(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    String bearer = BearerAuth.token(ctx);
    // A signed-in user's token names the session, so a logout ends it too.
    Future<String> session = bearer == null ? Future.succeededFuture(null)
        : pool.preparedQuery(SESSION).execute(Tuple.of(Sha256.hex(bearer))).compose(rows -> rows.size() == 0
            ? Future.failedFuture(new ApiException(401, "unauthorized", "unknown, expired or revoked bearer token"))
            : Future.succeededFuture(rows.iterator().next().getUUID("id").toString()));
    session.map(sessionId -> token(caller, sessionId)).onSuccess(t -> Json.send(ctx, 201, t)).onFailure(ctx::fail);
  }

  /** A new token for the caller (and the sign-in session it came from, or null), with its expiry. */
  private JsonObject token(Caller caller, String sessionId) {
    long expires = System.currentTimeMillis() / 1000 + ttlSeconds;
    JsonObject claims = new JsonObject().put("c", caller.apiClientId()).put("r", caller.role()).put("u", caller.userId())
        .put("s", sessionId).put("e", expires);
    String body = Base64.getUrlEncoder().withoutPadding().encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
    return new JsonObject().put("stream_token", body + "." + urls.signature(SUBJECT + body, expires))
        .put("expires_at", Instant.ofEpochSecond(expires).toString());
  }

  private void accept(RoutingContext ctx) {
    List<String> tokens = ctx.queryParam(PARAM);
    if (tokens.isEmpty()) {
      ctx.next();
      return;
    }
    var headers = ctx.request().headers();
    if (headers.contains(ApiKeyAuth.HEADER) || headers.contains("Authorization") || headers.contains(ApiKeyAuth.USER_HEADER)) {
      throw ApiException.badRequest("ambiguous_credentials", "a stream token names its caller; send no X-Auth-Key, X-User-Id or Authorization with it");
    }
    if (tokens.size() > 1) throw invalid();
    JsonObject claims = verify(tokens.get(0));
    String session = claims.getString("s");
    Caller caller = new Caller(claims.getString("c"), claims.getString("r"), claims.getString("u"));
    Future<Integer> live = session != null
        ? pool.preparedQuery(SESSION_LIVE).execute(Tuple.of(UUID.fromString(session))).map(r -> r.size())
        : pool.preparedQuery(CLIENT_LIVE).execute(Tuple.of(caller.apiClientId(), caller.role())).map(r -> r.size());
    live.onSuccess(n -> {
      if (n == 0) {
        ctx.fail(new ApiException(401, "stream_token_revoked", session != null
            ? "the sign-in session this stream token came from has ended; sign in again"
            : "the API client this stream token came from is revoked"));
        return;
      }
      ctx.put(Caller.CONTEXT_KEY, caller);
      ctx.next();
    }).onFailure(ctx::fail);
  }

  /** The token's claims when it is this cluster's and not expired; else a 401 that says which. */
  private JsonObject verify(String token) {
    int dot = token.indexOf('.');
    if (token.length() > MAX_LENGTH || dot <= 0 || dot != token.lastIndexOf('.')) throw invalid();
    String body = token.substring(0, dot);
    JsonObject claims;
    try {
      claims = new JsonObject(new String(Base64.getUrlDecoder().decode(body), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      throw invalid();
    }
    if (!(claims.getValue("e") instanceof Number expires) || !(claims.getValue("c") instanceof String)
        || !(claims.getValue("r") instanceof String)) {
      throw invalid();
    }
    if (!urls.authentic(SUBJECT + body, expires.longValue(), token.substring(dot + 1))) throw invalid();
    if (expires.longValue() <= System.currentTimeMillis() / 1000) {
      throw new ApiException(401, "stream_token_expired", "the stream token has expired; POST /api/v1/auth/stream-tokens for a new one");
    }
    return claims;
  }

  private static ApiException invalid() {
    return new ApiException(401, "invalid_stream_token", "the stream token is not one this cluster signed");
  }
}
