package dev.kiln.http.auth;

import dev.kiln.common.redis.Hot;
import dev.kiln.http.api.ApiException;
import io.vertx.ext.web.RoutingContext;

/**
 * Per-client and per-user request limits (requests per second, one atomic Redis script):
 * over the limit is 429 with Retry-After. Admin clients are not limited. Users signed in by
 * e-mail are limited each, not together: their client ({@code users}) is the public, and one
 * user's burst must not throttle everyone else. Redis away: no limits.
 */
public final class RateLimits {
  private final Hot hot;
  private final int perClient;
  private final int perUser;

  public RateLimits(Hot hot, int perClient, int perUser) {
    this.hot = hot;
    this.perClient = perClient;
    this.perUser = perUser;
  }

  public void handle(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    int clientLimit = SignIn.CLIENT_ID.equals(caller.apiClientId()) ? 0 : perClient;
    if (caller.admin() || (clientLimit == 0 && (perUser == 0 || caller.userId() == null))) {
      ctx.next();
      return;
    }
    hot.rateLimit(caller.apiClientId(), clientLimit, caller.userId(), perUser).onSuccess(waitMs -> {
      if (waitMs == 0) {
        ctx.next();
        return;
      }
      ctx.response().putHeader("Retry-After", String.valueOf(Math.max(1, (waitMs + 999) / 1000)));
      ctx.fail(new ApiException(429, "rate_limited", caller.userId() == null
          ? "more than " + perClient + " requests a second from this client"
          : "more than " + perUser + " requests a second for this user" + (clientLimit == 0 ? "" : ", or " + clientLimit + " for this client")));
    }).onFailure(ctx::fail);
  }
}
