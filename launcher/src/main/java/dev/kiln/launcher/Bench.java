package dev.kiln.launcher;

import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.embedded.EmbeddedStores;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code kiln bench}: what users compare, measured through the API and read back from the
 * tasks' own timestamps. Without {@code --url} it starts an embedded Kiln (all roles, one JVM) in
 * a temporary dir. Every mode prints its figures as text and as one JSON line ({@code bench: {...}}).
 *
 * <ul>
 *   <li>{@code e2e} (default): N tasks submitted one by one with C in flight; submit rate,
 *       end-to-end rate, submit→start and submit→finish percentiles;
 *   <li>{@code drain}: the queue paused, N tasks bulk-submitted (the bulk submit rate), the queue
 *       resumed; the rate at which the standing backlog drains;
 *   <li>{@code open}: N tasks submitted open-loop at a fixed {@code --rate}, whatever the replies;
 *       submit→start p50 / p99 / p99.9;
 *   <li>{@code backlog}: {@code --backlog M} tasks waiting, then the drain rate of the first N of
 *       them, to show the claim's cost does not grow with the queue.
 * </ul>
 */
public final class Bench {
  static final String USAGE = "kiln bench [--mode e2e|drain|open|backlog|sse|workers] [--tasks N] [--concurrency C] [--rate R] "
      + "[--backlog M] [--streams N] [--workers W] [--slots S] [--prefetch P] [--warmup N] [--url URL --key KEY --database-url URL]";

  private Bench() {}

  /** The options of a run, with their defaults. */
  record Options(String mode, int tasks, int concurrency, int rate, int backlog, int streams, int workers, int slots, int prefetch,
                 int warmup, String url, String key, String databaseUrl) {
    static Options parse(String[] args) {
      Map<String, String> a = new HashMap<>(Map.of("--mode", "e2e", "--tasks", "10000", "--concurrency", "64", "--rate", "500",
          "--backlog", "0", "--slots", "64", "--prefetch", "64", "--streams", "1000", "--workers", "200"));
      a.put("--warmup", "2000");
      for (int i = 0; i + 1 < args.length; i += 2) {
        if (!args[i].startsWith("--")) throw new IllegalArgumentException("unknown argument '" + args[i] + "'\n" + USAGE);
        a.put(args[i], args[i + 1]);
      }
      Options o = new Options(a.get("--mode"), Integer.parseInt(a.get("--tasks")), Integer.parseInt(a.get("--concurrency")),
          Integer.parseInt(a.get("--rate")), Integer.parseInt(a.get("--backlog")), Integer.parseInt(a.get("--streams")),
          Integer.parseInt(a.get("--workers")), Integer.parseInt(a.get("--slots")), Integer.parseInt(a.get("--prefetch")),
          Integer.parseInt(a.get("--warmup")), a.get("--url"),
          a.getOrDefault("--key", System.getenv("KILN_ADMIN_KEY")), a.get("--database-url"));
      if (!List.of("e2e", "drain", "open", "backlog", "sse", "workers").contains(o.mode())) throw new IllegalArgumentException(USAGE);
      if (o.mode().equals("workers") && o.url() != null) throw new IllegalArgumentException("--mode workers starts its own Kiln: no --url");
      return o;
    }
  }

  public static int run(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage());
      return 2;
    }
    EmbeddedStores stores = null;
    Node node = null;
    List<Process> fleet = List.of();
    String url = o.url();
    String key = o.key();
    String databaseUrl = o.databaseUrl();
    if (url == null) {
      Path dir = Files.createTempDirectory("kiln-bench");
      stores = EmbeddedStores.start(dir, true, true);
      key = "bench-admin-key-" + System.nanoTime();
      int port = EmbeddedStores.freePort();
      // The bench's own clients are not rate-limited, nor are its streams and connections capped: it measures Kiln, not its limits.
      Map<String, String> env = new HashMap<>(Map.of("DATABASE_URL", stores.databaseUrl(), "REDIS_URL", stores.redisUrl(),
          "KILN_ADMIN_KEY", key, "KILN_HTTP_PORT", String.valueOf(port), "KILN_DATA_DIR", dir.toString(),
          "KILN_DEBUG_EXECUTORS", "true", "KILN_WORKER_SLOTS", String.valueOf(o.slots()),
          "KILN_WORKER_PREFETCH", String.valueOf(o.prefetch())));
      env.putAll(Map.of("KILN_RATE_LIMIT_CLIENT", "0", "KILN_RATE_LIMIT_USER", "0",
          "KILN_SSE_MAX_STREAMS_PER_CLIENT", "0", "KILN_HTTP_MAX_CONNECTIONS", "0"));
      boolean workers = o.mode().equals("workers");
      if (workers) {
        // A clustered leader with no worker of its own; the fleet joins it from two more JVMs.
        int[] ports = {EmbeddedStores.freePort(), EmbeddedStores.freePort(), EmbeddedStores.freePort()};
        String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
        String clusterName = "kiln-bench-" + System.nanoTime();
        System.setProperty("kiln.cluster.name", clusterName);
        env.putAll(Map.of("KILN_CLUSTER_HOST", "127.0.0.1", "KILN_CLUSTER_PORT", String.valueOf(ports[0]),
            "KILN_CLUSTER_MEMBERS", members));
        fleet = BenchFleet.spawn(o.workers(), dir, clusterName, members, ports);
      }
      KilnConfig cfg = KilnConfig.from(env);
      node = Node.start(cfg, workers ? EnumSet.of(Role.HTTP, Role.DISPATCHER) : EnumSet.allOf(Role.class), workers)
          .toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      url = "http://127.0.0.1:" + port;
      databaseUrl = stores.databaseUrl();
      System.out.println("bench: embedded Kiln at " + url + " (data in " + dir + "), " + o.slots() + " worker slots, prefetch "
          + o.prefetch());
    }
    if (key == null) {
      System.err.println("bench: give --key (or KILN_ADMIN_KEY) with --url");
      return 2;
    }
    if (databaseUrl == null) {
      System.err.println("bench: it reads the tasks' timestamps from Postgres: give --database-url with --url");
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    try (BenchLoad load = new BenchLoad(vertx, url, key, Math.max(o.concurrency(), 64));
         BenchStats stats = new BenchStats(databaseUrl)) {
      // The worker slots (and what they prefetch) bound the run, not the debug queue's default limit.
      int limit = o.mode().equals("workers") ? o.workers() * BenchFleet.SLOTS : o.slots() + o.prefetch();
      load.queue(new JsonObject().put("max_concurrency", Math.max(limit, 1)).put("is_active", true));
      if (o.warmup() > 0 && !o.mode().equals("workers")) BenchModes.warmUp(load, stats, o.warmup(), o.concurrency());
      JsonObject result = switch (o.mode()) {
        case "drain" -> BenchModes.drain(load, stats, o.tasks(), o.concurrency());
        case "open" -> BenchModes.open(load, stats, o.tasks(), o.rate());
        case "backlog" -> BenchModes.backlog(load, stats, o.backlog(), o.tasks(), o.concurrency());
        case "sse" -> BenchStreams.run(vertx, load, stats, url, key, o.streams(), o.tasks(), o.rate());
        case "workers" -> BenchFleet.run(load, stats, o.workers(), o.tasks());
        default -> BenchModes.endToEnd(load, stats, o.tasks(), o.concurrency());
      };
      // Against a --url node the worker's slots are its own; what the bench set is the queue's limit.
      if (o.url() == null) result.put("slots", o.slots()).put("prefetch", o.prefetch());
      result.put("max_concurrency", limit).put("heap_mb", load.heapMb());
      System.out.println("bench: " + result.encode());
      return result.getBoolean("ok", true) ? 0 : 1;
    } finally {
      BenchFleet.stop(fleet);
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (node != null) node.close().get(60, TimeUnit.SECONDS);
      if (stores != null) stores.close();
    }
  }
}
