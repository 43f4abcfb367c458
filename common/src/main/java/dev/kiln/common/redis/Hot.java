package dev.kiln.common.redis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Response;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis: the hot and ephemeral (DESIGN §6). Never the only copy of anything durable, so every
 * call here degrades to "nothing" when Redis is away instead of failing the caller.
 */
public final class Hot {
  private static final Logger LOG = LoggerFactory.getLogger(Hot.class);

  /** Live progress outlives its task's run by this much, then Postgres alone answers. */
  public static final int PROGRESS_TTL_SECONDS = 600;

  private final RedisAPI api;
  private long lastWarning;

  public Hot(Vertx vertx, String redisUrl) {
    Redis client = Redis.createClient(vertx, new RedisOptions().setConnectionString(redisUrl)
        .setMaxPoolSize(8).setMaxPoolWaiting(10_000).setMaxWaitingHandlers(10_000));
    this.api = RedisAPI.api(client);
  }

  public static String progressKey(String taskId) {
    return "kiln:progress:" + taskId;
  }

  /** Latest live progress of a running attempt. */
  public Future<Void> putProgress(String taskId, JsonObject progress) {
    return api.setex(progressKey(taskId), String.valueOf(PROGRESS_TTL_SECONDS), progress.encode())
        .<Void>mapEmpty()
        .recover(this::degraded);
  }

  /** The latest live progress, or null when none (or Redis is away). */
  public Future<JsonObject> progress(String taskId) {
    return api.get(progressKey(taskId))
        .map(r -> r == null ? null : new JsonObject(r.toString()))
        .recover(e -> degraded(e).map(v -> null));
  }

  public Future<Void> ping() {
    return api.ping(List.of()).map((Response r) -> null);
  }

  private Future<Void> degraded(Throwable e) {
    long now = System.currentTimeMillis();
    if (now - lastWarning > 10_000) {
      lastWarning = now;
      LOG.warn("Redis unavailable, running degraded (live progress not cached): {}", e.toString());
    }
    return Future.succeededFuture();
  }
}
