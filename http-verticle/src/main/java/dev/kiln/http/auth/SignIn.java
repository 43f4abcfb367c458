package dev.kiln.http.auth;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.config.ApiConfig;
import dev.kiln.common.hash.Sha256;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

/**
 * End users sign in by e-mailed code (seed 003 EmailVerificationCode): {@code POST
 * /auth/email-code} mails a 6-digit code, {@code POST /auth/verify} trades it for a bearer
 * token. Codes are stored hashed (salted by their row id), expire after {@link #CODE_TTL_SECONDS},
 * and die after {@link #MAX_ATTEMPTS} wrong guesses; an address gets a code at most every
 * {@link #RESEND_SECONDS} and {@link #CODES_PER_HOUR} an hour, and one client address may ask for
 * {@code KILN_EMAIL_CODES_PER_IP} an hour whatever addresses it names. Signed-in users act through the
 * API client {@code users}, as the end user {@code users.id}.
 */
public final class SignIn {
  public static final String CLIENT_ID = "users";
  public static final String ROLE = "user";
  public static final int CODE_TTL_SECONDS = 600;
  public static final int MAX_ATTEMPTS = 5;
  public static final int RESEND_SECONDS = 30;
  public static final int CODES_PER_HOUR = 5;
  private static final String EMAIL = "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+";

  /** Serialises requests for one address, then says how soon it may have another code. */
  private static final String RECENT =
      "SELECT pg_advisory_xact_lock(hashtext('kiln.email-code:' || $1)), "
          + "(SELECT count(*) FROM email_verification_codes WHERE email = $1 AND created_at > now() - interval '1 hour') AS last_hour, "
          + "(SELECT extract(epoch FROM max(created_at) + make_interval(secs => $2) - now()) FROM email_verification_codes "
          + " WHERE email = $1 AND created_at > now() - make_interval(secs => $2)) AS resend_in, "
          + "(SELECT extract(epoch FROM min(created_at) + interval '1 hour' - now()) FROM email_verification_codes "
          + " WHERE email = $1 AND created_at > now() - interval '1 hour') AS hour_frees_in";
  /** Serialises requests from one client address (after the address lock: one order, no deadlock). */
  private static final String RECENT_FROM =
      "SELECT pg_advisory_xact_lock(hashtext('kiln.email-code-from:' || $1::text)), "
          + "(SELECT count(*) FROM email_verification_codes WHERE requested_from = $1::text::inet AND created_at > now() - interval '1 hour') AS last_hour, "
          + "(SELECT extract(epoch FROM min(created_at) + interval '1 hour' - now()) FROM email_verification_codes "
          + " WHERE requested_from = $1::text::inet AND created_at > now() - interval '1 hour') AS hour_frees_in";
  private static final String INSERT_CODE =
      "INSERT INTO email_verification_codes (id, email, code_hash, expires_at, user_id, requested_from) "
          + "VALUES ($1, $2, $3, now() + make_interval(secs => $4), (SELECT id FROM users WHERE email = $2), $5::text::inet)";
  /** The newest open code of the address, checked and counted in one statement. */
  private static final String CHECK_CODE =
      "WITH c AS (SELECT id, attempts, expires_at, "
          + "code_hash = encode(sha256(convert_to(id::text || ':' || $2, 'UTF8')), 'hex') AS matches "
          + "FROM email_verification_codes WHERE email = $1 AND verified_at IS NULL ORDER BY created_at DESC LIMIT 1 FOR UPDATE), "
          + "v AS (SELECT id, attempts, matches AND attempts < $3 AND expires_at > now() AS ok, "
          + "attempts >= $3 AS exhausted, expires_at <= now() AS expired FROM c) "
          + "UPDATE email_verification_codes e SET attempts = e.attempts + (NOT v.ok)::int, verified_at = CASE WHEN v.ok THEN now() END "
          + "FROM v WHERE e.id = v.id RETURNING e.id, v.ok, v.exhausted, v.expired, e.attempts";
  private static final String UPSERT_USER =
      "INSERT INTO users (email, last_login_at) VALUES ($1, now()) "
          + "ON CONFLICT (email) DO UPDATE SET last_login_at = now() RETURNING id, email, name, created_at";
  private static final String LINK_CODE = "UPDATE email_verification_codes SET user_id = $2 WHERE id = $1";
  private static final String INSERT_SESSION =
      "INSERT INTO user_sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING expires_at";
  private static final String REVOKE = "UPDATE user_sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL";
  private static final String WHO = "SELECT email, name, created_at, last_login_at FROM users WHERE id = $1";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Vertx vertx;
  private final Pool pool;
  private final Mailer mailer;
  private final int sessionTtl;
  private final int codesPerIp;

  public SignIn(Vertx vertx, Pool pool, ApiConfig config, Path dataDir) {
    this.vertx = vertx;
    this.pool = pool;
    this.mailer = new Mailer(vertx, config.smtp(), dataDir);
    this.sessionTtl = config.sessionTtlSeconds();
    this.codesPerIp = config.emailCodesPerIp();
  }

  /** The two routes that need no credentials: mount before authentication. */
  public void mountPublic(Router api) {
    api.post("/auth/email-code").handler(this::emailCode);
    api.post("/auth/verify").handler(this::verify);
  }

  public void mount(Router api) {
    api.post("/auth/logout").handler(this::logout);
    api.get("/me").handler(this::me);
  }

  private void emailCode(RoutingContext ctx) {
    String email = email(Json.body(ctx, Set.of("email")));
    String code = String.format("%06d", RANDOM.nextInt(1_000_000));
    UUID id = UUID.randomUUID();
    String from = networkAddress(ctx);
    pool.withTransaction(conn -> mayHaveCode(conn, email, from).compose(v -> conn.preparedQuery(INSERT_CODE)
            .execute(Tuple.of(id, email, Sha256.hex(id + ":" + code), CODE_TTL_SECONDS, from))))
        // Mailed after commit: a code that exists may fail to arrive (ask again), never the reverse.
        .compose(v -> mailer.send(email, "Your Kiln sign-in code: " + code,
            "Your Kiln sign-in code is " + code + ".\nIt works once, for " + CODE_TTL_SECONDS / 60 + " minutes.\n"
                + "If you did not ask for it, ignore this mail.\n")
            .recover(e -> Future.failedFuture(new ApiException(503, "mail_unavailable", "the sign-in mail could not be sent; try again"))))
        .onSuccess(v -> Json.send(ctx, 202, new JsonObject().put("email", email).put("expires_in", CODE_TTL_SECONDS)))
        .onFailure(ctx::fail);
  }

  /** The TCP peer's address (forwarding headers are not trusted: the router does not allow them), without an IPv6 zone. */
  private static String networkAddress(RoutingContext ctx) {
    var peer = ctx.request().remoteAddress();
    String host = peer == null ? null : peer.hostAddress();
    if (host == null) return null;
    int zone = host.indexOf('%');
    return zone < 0 ? host : host.substring(0, zone);
  }

  /** Fails with 429 while the e-mail address, or the network address asking, has had its codes. */
  private Future<Void> mayHaveCode(SqlConnection conn, String email, String from) {
    Future<Void> address = conn.preparedQuery(RECENT).execute(Tuple.of(email, RESEND_SECONDS)).compose(rows -> {
      Row r = rows.iterator().next();
      Double resendIn = r.getDouble("resend_in");
      if (resendIn != null && resendIn > 0) return Future.failedFuture(tooSoon(resendIn, "a code was sent to this address just now"));
      if (r.getLong("last_hour") >= CODES_PER_HOUR) {
        return Future.failedFuture(tooSoon(r.getDouble("hour_frees_in"), "this address had " + CODES_PER_HOUR + " codes in the last hour"));
      }
      return Future.succeededFuture();
    });
    if (codesPerIp == 0 || from == null) return address;
    return address.compose(v -> conn.preparedQuery(RECENT_FROM).execute(Tuple.of(from))).compose(rows -> {
      Row r = rows.iterator().next();
      return r.getLong("last_hour") < codesPerIp ? Future.succeededFuture() : Future.failedFuture(tooSoon(r.getDouble("hour_frees_in"),
          "the network address " + from + " asked for " + codesPerIp + " codes in the last hour"));
    });
  }

  private static ApiException tooSoon(Double seconds, String why) {
    long wait = Math.max(1, (long) Math.ceil(seconds == null ? 1 : seconds));
    return new ApiException(429, "too_many_codes", why + "; try again in " + wait + " s").retryAfter(wait);
  }

  private void verify(RoutingContext ctx) {
    JsonObject body = Json.body(ctx, Set.of("email", "code"));
    String email = email(body);
    String code = Json.requiredString(body, "code", 16);
    if (!code.matches("\\d{6}")) throw ApiException.invalid("invalid_code", "the code is 6 digits");
    String token = "kiln_s_" + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
    pool.withTransaction(conn -> conn.preparedQuery(CHECK_CODE).execute(Tuple.of(email, code, MAX_ATTEMPTS)).compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(Verdict.of(null));
          Row c = rows.iterator().next();
          if (!c.getBoolean("ok")) return Future.succeededFuture(Verdict.of(c));
          return session(conn, email, c.getUUID("id"), token);
        }))
        // The wrong guess is counted (committed) before it is answered.
        .compose(Verdict::answer)
        .onSuccess(session -> Json.send(ctx, 200, session.put("access_token", token).put("token_type", "Bearer")
            .put("expires_in", sessionTtl)))
        .onFailure(ctx::fail);
  }

  private Future<Verdict> session(SqlConnection conn, String email, UUID codeId, String token) {
    return conn.preparedQuery(UPSERT_USER).execute(Tuple.of(email)).compose(users -> {
      Row u = users.iterator().next();
      UUID userId = u.getUUID("id");
      return conn.preparedQuery(LINK_CODE).execute(Tuple.of(codeId, userId))
          .compose(v -> conn.preparedQuery(INSERT_SESSION).execute(Tuple.of(userId, Sha256.hex(token), sessionTtl)))
          .map(s -> new Verdict(null, new JsonObject().put("user", new JsonObject().put("id", userId.toString())
              .put("email", u.getString("email")))
              .put("expires_at", dev.kiln.common.time.Iso.of(s.iterator().next().getOffsetDateTime("expires_at")))));
    });
  }

  /** What a verify comes to: a session, or the refusal to give after the transaction. */
  private record Verdict(ApiException refusal, JsonObject session) {
    static Verdict of(Row code) {
      if (code == null) return new Verdict(ApiException.invalid("invalid_code", "no code is open for this address; ask for one"), null);
      if (code.getBoolean("exhausted")) {
        return new Verdict(new ApiException(429, "too_many_attempts", "this code had " + MAX_ATTEMPTS + " wrong guesses; ask for a new one"), null);
      }
      if (code.getBoolean("expired")) return new Verdict(ApiException.invalid("code_expired", "this code has expired; ask for a new one"), null);
      int left = Math.max(0, MAX_ATTEMPTS - code.getInteger("attempts"));
      return new Verdict(ApiException.invalid("invalid_code", "wrong code; " + left + " attempt" + (left == 1 ? "" : "s") + " left"), null);
    }

    Future<JsonObject> answer() {
      return refusal != null ? Future.failedFuture(refusal) : Future.succeededFuture(session);
    }
  }

  private void logout(RoutingContext ctx) {
    String token = BearerAuth.token(ctx);
    if (token == null) throw ApiException.invalid("not_signed_in", "logout ends a bearer session; API keys are revoked by an admin");
    String hash = Sha256.hex(token);
    pool.preparedQuery(REVOKE).execute(Tuple.of(hash)).onSuccess(v -> {
      vertx.eventBus().publish(Addresses.SESSIONS_REVOKED, new JsonObject().put("token_hash", hash));
      ctx.response().setStatusCode(204).end();
    }).onFailure(ctx::fail);
  }

  /** Who the credentials say the caller is. */
  private void me(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    JsonObject me = new JsonObject().put("api_client_id", caller.apiClientId()).put("role", caller.role()).put("user_id", caller.userId());
    if (!ROLE.equals(caller.role())) {
      Json.send(ctx, 200, me);
      return;
    }
    pool.preparedQuery(WHO).execute(Tuple.of(UUID.fromString(caller.userId()))).onSuccess(rows -> {
      Row u = rows.iterator().next();
      Json.send(ctx, 200, me.put("email", u.getString("email")).put("name", u.getString("name"))
          .put("last_login_at", dev.kiln.common.time.Iso.of(u.getOffsetDateTime("last_login_at"))));
    }).onFailure(ctx::fail);
  }

  private static String email(JsonObject body) {
    String email = Json.requiredString(body, "email", 254).trim().toLowerCase(Locale.ROOT);
    if (!email.matches(EMAIL)) throw ApiException.invalid("invalid_email", "'email' is not an e-mail address");
    return email;
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

}
