package dev.kiln.common.redis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

  private Hot(Redis client) {
    this.api = RedisAPI.api(client);
  }

  /** Holds a node's client in its local map: one per Vert.x instance and URL. */
  private record Shared(Hot hot) implements io.vertx.core.shareddata.Shareable {}

  /**
   * The node's Redis client for this URL: every verticle of a Vert.x instance shares one pool of
   * connections (it is safe to use from any event loop).
   */
  public static Hot shared(Vertx vertx, String redisUrl) {
    var clients = vertx.sharedData().<String, Shared>getLocalMap("kiln.redis");
    return clients.computeIfAbsent(redisUrl, url -> new Shared(new Hot(Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(url).setMaxPoolSize(8).setMaxPoolWaiting(10_000).setMaxWaitingHandlers(10_000))))).hot();
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

  /**
   * One atomic script for both limits: a fixed one-second window (Redis's clock, so every HTTP
   * node shares it) per client and per user. Returns 0, or the milliseconds until the window
   * that would admit the request. Every window is checked before any is counted: a request one
   * limit refuses spends nothing of the others (one end user's flood must not use up its client's
   * budget for everyone else).
   */
  private static final String RATE_LIMIT_LUA = String.join("\n",
      "local t = redis.call('TIME')",
      "local left = 1000 - math.floor(tonumber(t[2]) / 1000)",
      "for i = 1, #KEYS do",
      "  local limit = tonumber(ARGV[i])",
      "  if limit > 0 and tonumber(redis.call('GET', KEYS[i] .. ':' .. t[1]) or '0') >= limit then return left end",
      "end",
      "for i = 1, #KEYS do",
      "  if tonumber(ARGV[i]) > 0 then",
      "    local k = KEYS[i] .. ':' .. t[1]",
      "    if redis.call('INCR', k) == 1 then redis.call('PEXPIRE', k, 2000) end",
      "  end",
      "end",
      "return 0");

  /** Milliseconds to wait (0: go ahead). Redis away: no limit (degraded, never a refusal). */
  public Future<Long> rateLimit(String clientId, int clientLimit, String userId, int userLimit) {
    List<String> args = new ArrayList<>(List.of(RATE_LIMIT_LUA, userId == null ? "1" : "2",
        "kiln:rl:c:" + clientId));
    if (userId != null) args.add("kiln:rl:u:" + clientId + "/" + userId);
    args.add(String.valueOf(clientLimit));
    if (userId != null) args.add(String.valueOf(userLimit));
    return api.eval(args).map(r -> r.toLong()).recover(e -> degraded(e).map(v -> 0L));
  }

  /**
   * Open SSE streams as leases: one sorted set per client and per end user, a member per stream
   * scored with the Redis time its lease runs out. A stream is admitted when, after the lapsed
   * leases are dropped, every set it would join is under its cap (0: none); nothing is added
   * unless all are. Returns 0, or the 1-based index of the set whose cap refused it.
   */
  private static final String OPEN_STREAM_LUA = String.join("\n",
      "local t = redis.call('TIME')",
      "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)",
      "for i = 1, #KEYS do",
      "  local cap = tonumber(ARGV[2 + i])",
      "  if cap > 0 then",
      "    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)",
      "    if redis.call('ZCARD', KEYS[i]) >= cap then return i end",
      "  end",
      "end",
      "for i = 1, #KEYS do",
      "  if tonumber(ARGV[2 + i]) > 0 then",
      "    redis.call('ZADD', KEYS[i], now + tonumber(ARGV[2]), ARGV[1])",
      "    redis.call('PEXPIRE', KEYS[i], ARGV[2])",
      "  end",
      "end",
      "return 0");

  /**
   * Extends the leases of streams still open (ARGV[1] the lease, ARGV[1 + i] the stream in
   * KEYS[i]). XX: a stream that closed meanwhile, or whose lease lapsed, is not brought back.
   */
  private static final String RENEW_STREAMS_LUA = String.join("\n",
      "local t = redis.call('TIME')",
      "local exp = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])",
      "for i = 1, #KEYS do",
      "  redis.call('ZADD', KEYS[i], 'XX', exp, ARGV[1 + i])",
      "  redis.call('PEXPIRE', KEYS[i], ARGV[1])",
      "end",
      "return 0");

  /** Renewed per script call at most: one call's arguments stay small. */
  private static final int RENEW_BATCH = 500;

  /** The sets a tenant's streams count in: its client's, and its end user's when it acts for one. */
  public static List<String> streamKeys(String clientId, String userId) {
    return userId == null ? List.of("kiln:sse:c:" + clientId)
        : List.of("kiln:sse:c:" + clientId, "kiln:sse:u:" + clientId + "/" + userId);
  }

  /** Takes a slot in each set under its cap (caps align with keys); 0, or the index of the refusing set. Redis away: 0. */
  public Future<Integer> openStream(String streamId, List<String> keys, List<Integer> caps, long leaseMs) {
    List<String> args = new ArrayList<>(List.of(OPEN_STREAM_LUA, String.valueOf(keys.size())));
    args.addAll(keys);
    args.add(streamId);
    args.add(String.valueOf(leaseMs));
    for (Integer cap : caps) args.add(String.valueOf(cap));
    return api.eval(args).map(r -> r.toInteger()).recover(e -> degraded(e).map(v -> 0));
  }

  /** Extends the leases of these open streams (stream id to its keys). */
  public Future<Void> renewStreams(Map<String, List<String>> open, long leaseMs) {
    List<Future<?>> calls = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    List<String> members = new ArrayList<>();
    for (Map.Entry<String, List<String>> stream : open.entrySet()) {
      for (String key : stream.getValue()) {
        keys.add(key);
        members.add(stream.getKey());
      }
      if (keys.size() >= RENEW_BATCH) {
        calls.add(renew(keys, members, leaseMs));
        keys = new ArrayList<>();
        members = new ArrayList<>();
      }
    }
    if (!keys.isEmpty()) calls.add(renew(keys, members, leaseMs));
    return Future.join(calls).<Void>mapEmpty().recover(this::degraded);
  }

  private Future<?> renew(List<String> keys, List<String> members, long leaseMs) {
    List<String> args = new ArrayList<>(List.of(RENEW_STREAMS_LUA, String.valueOf(keys.size())));
    args.addAll(keys);
    args.add(String.valueOf(leaseMs));
    args.addAll(members);
    return api.eval(args);
  }

  /** Gives a stream's slots back. Redis away: its lease lapses instead. */
  public Future<Void> closeStream(String streamId, List<String> keys) {
    List<Future<?>> calls = new ArrayList<>();
    for (String key : keys) calls.add(api.zrem(List.of(key, streamId)));
    return Future.join(calls).<Void>mapEmpty().recover(this::degraded);
  }

  /** Keys are per tenant (a client, or one end user of it), as in Postgres. */
  public static String idempotencyKey(String tenant, String key) {
    return "kiln:idem:" + tenant + ":" + key;
  }

  /** The first response to an Idempotency-Key, kept a day for exact replays. */
  public Future<Void> putReplay(String tenant, String key, String body) {
    return api.setex(idempotencyKey(tenant, key), "86400", body).<Void>mapEmpty().recover(this::degraded);
  }

  public Future<String> replay(String tenant, String key) {
    return api.get(idempotencyKey(tenant, key)).map(r -> r == null ? null : r.toString())
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
