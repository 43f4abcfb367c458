package dev.kiln.common.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything Kiln reads from its environment, read once at the edge and validated, so a bad
 * value stops start-up with one line naming the variable.
 */
public record KilnConfig(
    String databaseUrl,          // null: the launcher starts an embedded PostgreSQL
    String redisUrl,             // null: the launcher starts an embedded Redis
    int httpPort,
    String httpHost,             // the address the HTTP (or ops) server binds: an IP literal or a host name
    String adminKey,             // null: the launcher makes one and keeps it under the data dir
    List<String> apiKeys,
    Path dataDir,
    List<String> clusterMembers,
    String clusterHost,
    int clusterPort,
    Set<String> workerQueues,
    int workerSlots,
    int workerPrefetch,          // attempts a worker accepts beyond its slots, queued to start the moment one frees
    boolean debugExecutors,
    boolean demoProviders,       // the CPU stand-ins serve image.* and model3d.*; off: no_executor unless another provider does
    String workerId,
    int rateLimitClient,         // requests per second per API client (admin exempt); 0 = off
    int rateLimitUser,           // requests per second per end user; 0 = off
    Map<String, Long> prices,    // credits held per task, by tool_action; absent = free
    String webhookSecret,        // HMAC-SHA256 key of X-Kiln-Signature; null: webhooks go unsigned
    boolean webhookPrivateAddresses, // may webhooks go to loopback / private addresses (off: refused)
    int eventRetentionDays,      // the events of a task that ended are kept this long; 0 = for ever
    int taskRetentionDays,       // a task that ended is kept this long, with its history; 0 = for ever
    ApiConfig api,
    ImageLimits images,          // how large an image is decoded, and how many at once per node
    WorkerHost workerHost) {     // a worker's providers file, GPUs and asset transport

  public static final int DEFAULT_HTTP_PORT = 8080;
  /** Every interface, as before the setting existed; 127.0.0.1 keeps a node behind a local proxy unreachable from outside. */
  public static final String DEFAULT_HTTP_HOST = "0.0.0.0";
  public static final String DEFAULT_DATA_DIR = "./data";
  public static final String DEFAULT_CLUSTER_HOST = "127.0.0.1";
  public static final int DEFAULT_CLUSTER_PORT = 5701;
  public static final String DEFAULT_WORKER_QUEUES = "image,model3d,debug";
  public static final int DEFAULT_WORKER_SLOTS = 4;
  public static final int DEFAULT_WORKER_PREFETCH = 0;
  public static final int DEFAULT_RATE_LIMIT_CLIENT = 500;
  public static final int DEFAULT_RATE_LIMIT_USER = 20;
  public static final int DEFAULT_EVENT_RETENTION_DAYS = 30;
  public static final int DEFAULT_TASK_RETENTION_DAYS = 0;
  public static final Set<String> KNOWN_QUEUES = Set.of("image", "model3d", "debug");

  public boolean embeddedDatabase() {
    return databaseUrl == null;
  }

  public boolean embeddedRedis() {
    return redisUrl == null;
  }

  public static KilnConfig fromEnv() {
    return from(System.getenv());
  }

  public static KilnConfig from(Map<String, String> env) {
    String db = blankToNull(env.get("DATABASE_URL"));
    if (db != null && !(db.startsWith("postgres://") || db.startsWith("postgresql://"))) {
      throw new ConfigException("DATABASE_URL", "must look like postgresql://user:password@host:5432/db, got '" + db + "'");
    }
    String redis = blankToNull(env.get("REDIS_URL"));
    if (redis != null && !(redis.startsWith("redis://") || redis.startsWith("rediss://"))) {
      throw new ConfigException("REDIS_URL", "must look like redis://host:6379, got '" + redis + "'");
    }
    int port = intIn(env, "KILN_HTTP_PORT", DEFAULT_HTTP_PORT, 0, 65535);
    String httpHost = host(env, "KILN_HTTP_HOST", DEFAULT_HTTP_HOST);
    String admin = blankToNull(env.get("KILN_ADMIN_KEY"));
    if (admin != null && admin.length() < 16) {
      throw new ConfigException("KILN_ADMIN_KEY", "must be at least 16 characters");
    }
    List<String> keys = list(env.get("KILN_API_KEYS"));
    for (String k : keys) {
      if (k.length() < 16) throw new ConfigException("KILN_API_KEYS", "every key must be at least 16 characters");
    }
    Path dataDir = Path.of(env.getOrDefault("KILN_DATA_DIR", DEFAULT_DATA_DIR)).toAbsolutePath().normalize();
    List<String> members = list(env.get("KILN_CLUSTER_MEMBERS"));
    for (String m : members) {
      var hostPort = java.util.regex.Pattern.compile("(\\[[0-9A-Fa-f:]+\\]|[A-Za-z0-9.\\-]+)(?::(\\d{1,5}))?").matcher(m);
      if (!hostPort.matches() || (hostPort.group(2) != null && Integer.parseInt(hostPort.group(2)) > 65535)) {
        throw new ConfigException("KILN_CLUSTER_MEMBERS", "'" + m + "' is not host or host:port");
      }
    }
    String clusterHost = env.getOrDefault("KILN_CLUSTER_HOST", DEFAULT_CLUSTER_HOST).trim();
    int clusterPort = intIn(env, "KILN_CLUSTER_PORT", DEFAULT_CLUSTER_PORT, 1, 65535);
    Set<String> queues = new LinkedHashSet<>(list(env.getOrDefault("KILN_WORKER_QUEUES", DEFAULT_WORKER_QUEUES)));
    if (queues.isEmpty()) throw new ConfigException("KILN_WORKER_QUEUES", "names no queue");
    for (String q : queues) {
      if (!KNOWN_QUEUES.contains(q)) {
        throw new ConfigException("KILN_WORKER_QUEUES", "unknown queue '" + q + "' (known: image, model3d, debug)");
      }
    }
    int slots = intIn(env, "KILN_WORKER_SLOTS", DEFAULT_WORKER_SLOTS, 1, 1024);
    int prefetch = intIn(env, "KILN_WORKER_PREFETCH", DEFAULT_WORKER_PREFETCH, 0, 1024);
    boolean debug = bool(env, "KILN_DEBUG_EXECUTORS", db == null);
    boolean demo = bool(env, "KILN_DEMO_PROVIDERS", true);
    String workerId = blankToNull(env.get("KILN_WORKER_ID"));
    if (workerId != null && !workerId.matches("[A-Za-z0-9._\\-]{1,64}")) {
      throw new ConfigException("KILN_WORKER_ID", "use 1-64 letters, digits, '.', '_' or '-'");
    }
    int rateClient = intIn(env, "KILN_RATE_LIMIT_CLIENT", DEFAULT_RATE_LIMIT_CLIENT, 0, 1_000_000);
    int rateUser = intIn(env, "KILN_RATE_LIMIT_USER", DEFAULT_RATE_LIMIT_USER, 0, 1_000_000);
    Map<String, Long> prices = new HashMap<>();
    for (String entry : list(env.get("KILN_PRICES"))) {
      String[] kv = entry.split("=", 2);
      try {
        long price = Long.parseLong(kv.length == 2 ? kv[1].trim() : "x");
        if (price < 0 || kv[0].isBlank()) throw new NumberFormatException();
        prices.put(kv[0].trim(), price);
      } catch (NumberFormatException e) {
        throw new ConfigException("KILN_PRICES", "use tool_action=credits,... with whole credits >= 0, got '" + entry + "'");
      }
    }
    return new KilnConfig(db, redis, port, httpHost, admin, keys, dataDir, members, clusterHost, clusterPort,
        java.util.Collections.unmodifiableSet(queues), slots, prefetch, debug, demo, workerId, rateClient, rateUser, Map.copyOf(prices),
        blankToNull(env.get("KILN_WEBHOOK_SECRET")), bool(env, "KILN_WEBHOOK_PRIVATE_ADDRESSES", false),
        intIn(env, "KILN_EVENT_RETENTION_DAYS", DEFAULT_EVENT_RETENTION_DAYS, 0, 36_500),
        intIn(env, "KILN_TASK_RETENTION_DAYS", DEFAULT_TASK_RETENTION_DAYS, 0, 36_500), ApiConfig.from(env),
        ImageLimits.from(env), WorkerHost.from(env));
  }

  public KilnConfig withAdminKey(String key) {
    return new KilnConfig(databaseUrl, redisUrl, httpPort, httpHost, key, apiKeys, dataDir, clusterMembers, clusterHost,
        clusterPort, workerQueues, workerSlots, workerPrefetch, debugExecutors, demoProviders, workerId, rateLimitClient, rateLimitUser, prices,
        webhookSecret, webhookPrivateAddresses, eventRetentionDays, taskRetentionDays, api, images, workerHost);
  }

  public KilnConfig withStores(String db, String redis) {
    return new KilnConfig(db, redis, httpPort, httpHost, adminKey, apiKeys, dataDir, clusterMembers, clusterHost,
        clusterPort, workerQueues, workerSlots, workerPrefetch, debugExecutors, demoProviders, workerId, rateLimitClient, rateLimitUser, prices,
        webhookSecret, webhookPrivateAddresses, eventRetentionDays, taskRetentionDays, api, images, workerHost);
  }

  /** Credits a task of this tool_action holds (0: free). */
  public long price(String toolAction) {
    return prices.getOrDefault(toolAction, 0L);
  }

  public Path assetDir() {
    return dataDir.resolve("assets");
  }

  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static List<String> list(String s) {
    if (s == null || s.isBlank()) return List.of();
    List<String> out = new ArrayList<>();
    Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).forEach(out::add);
    return List.copyOf(out);
  }

  /** An IP literal or a host name (checked by its form only: resolving it is the bind's job, which fails start if it cannot). */
  static String host(Map<String, String> env, String name, String dflt) {
    String v = blankToNull(env.get(name));
    if (v == null) return dflt;
    String bare = v.startsWith("[") && v.endsWith("]") ? v.substring(1, v.length() - 1) : v;
    if (io.netty.util.NetUtil.isValidIpV4Address(bare) || io.netty.util.NetUtil.isValidIpV6Address(bare)) return bare;
    if (v.length() <= 253 && v.matches("(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
        && !v.matches("[0-9.]+")) {
      return v;
    }
    throw new ConfigException(name, "must be an IP address (0.0.0.0 for every interface, 127.0.0.1 for this host only) or a host name, got '" + v + "'");
  }

  static int intIn(Map<String, String> env, String name, int dflt, int min, int max) {
    String v = blankToNull(env.get(name));
    if (v == null) return dflt;
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) throw new ConfigException(name, "must be between " + min + " and " + max + ", got " + v);
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(name, "must be a whole number, got '" + v + "'");
    }
  }

  private static boolean bool(Map<String, String> env, String name, boolean dflt) {
    String v = blankToNull(env.get(name));
    if (v == null) return dflt;
    return switch (v.toLowerCase()) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new ConfigException(name, "must be true or false, got '" + v + "'");
    };
  }
}
