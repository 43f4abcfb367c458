package dev.kiln.launcher;

import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.embedded.EmbeddedStores;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@code kiln bench}: submits N {@code debug.noop} tasks through the HTTP API, waits for all to
 * finish, and prints end-to-end tasks/s and submit→start / submit→finish percentiles from the
 * tasks' own timestamps. Without {@code --url} it starts an embedded Kiln in a temporary dir.
 */
public final class Bench {
  private Bench() {}

  public static int run(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>(Map.of("--tasks", "10000", "--concurrency", "64", "--tool-action", "debug.noop"));
    for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i], args[i + 1]);
    int n = Integer.parseInt(a.get("--tasks"));
    int concurrency = Integer.parseInt(a.get("--concurrency"));
    String url = a.get("--url");
    String key = a.getOrDefault("--key", System.getenv("KILN_ADMIN_KEY"));
    EmbeddedStores stores = null;
    Node node = null;
    if (url == null) {
      Path dir = Files.createTempDirectory("kiln-bench");
      stores = EmbeddedStores.start(dir, true, true);
      key = "bench-admin-key-" + System.nanoTime();
      int port = EmbeddedStores.freePort();
      KilnConfig cfg = KilnConfig.from(Map.of("DATABASE_URL", stores.databaseUrl(), "REDIS_URL", stores.redisUrl(),
          "KILN_ADMIN_KEY", key, "KILN_HTTP_PORT", String.valueOf(port), "KILN_DATA_DIR", dir.toString(),
          "KILN_DEBUG_EXECUTORS", "true", "KILN_WORKER_SLOTS", a.getOrDefault("--slots", "64")));
      node = Node.start(cfg, EnumSet.allOf(Role.class), false).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      url = "http://127.0.0.1:" + port;
      System.out.println("bench: embedded Kiln at " + url + " (data in " + dir + ")");
    }
    if (key == null) {
      System.err.println("bench: give --key (or KILN_ADMIN_KEY) for --url");
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    try {
      URI base = URI.create(url);
      WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost(base.getHost())
          .setDefaultPort(base.getPort() < 0 ? 80 : base.getPort()).setKeepAlive(true),
          new PoolOptions().setHttp1MaxSize(concurrency));
      return measure(vertx, client, key, n, concurrency, a.get("--tool-action"));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (node != null) node.close().get(60, TimeUnit.SECONDS);
      if (stores != null) stores.close();
    }
  }

  private static int measure(Vertx vertx, WebClient client, String key, int n, int concurrency, String action)
      throws Exception {
    JsonObject body = new JsonObject().put("tool_action", action).put("input", new JsonObject());
    long t0 = System.nanoTime();
    List<String> ids = Collections.synchronizedList(new ArrayList<>());
    window(vertx, n, concurrency, i -> client.post("/api/v1/tasks").putHeader("X-Auth-Key", key)
        .putHeader("Content-Type", "application/json").sendBuffer(body.toBuffer()).map(r -> {
          if (r.statusCode() != 202) throw new IllegalStateException("submit answered " + r.statusCode() + ": " + r.bodyAsString());
          ids.add(r.bodyAsJsonObject().getString("id"));
          return null;
        })).toCompletionStage().toCompletableFuture().get(30, TimeUnit.MINUTES);
    double submitSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("bench: submitted %d %s tasks in %.2f s (%.0f submits/s, %d in flight)%n", n, action,
        submitSeconds, n / submitSeconds, concurrency);

    // Wait on the last task submitted (the queue is FIFO here) with light polling, so that the
    // benchmark does not take the CPU it measures; then read every task once for its timestamps.
    Map<String, JsonObject> done = new java.util.concurrent.ConcurrentHashMap<>();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    String lastId = ids.get(ids.size() - 1);
    while (System.nanoTime() < deadline && !terminal(get(client, key, lastId))) pause(vertx, 200);
    while (done.size() < n && System.nanoTime() < deadline) {
      List<String> open = ids.stream().filter(id -> !done.containsKey(id)).toList();
      window(vertx, open.size(), concurrency, i -> getTask(client, key, open.get(i)).map(t -> {
        if (terminal(t)) done.put(open.get(i), t);
        return null;
      })).toCompletionStage().toCompletableFuture().get(30, TimeUnit.MINUTES);
      if (done.size() < n) pause(vertx, 500);
    }
    double wallSeconds = (System.nanoTime() - t0) / 1e9;
    List<Long> toStart = new ArrayList<>();
    List<Long> toFinish = new ArrayList<>();
    Instant first = Instant.MAX;
    Instant last = Instant.MIN;
    int completed = 0;
    for (JsonObject t : done.values()) {
      Instant created = Instant.parse(t.getString("created_at"));
      Instant finished = Instant.parse(t.getString("finished_at", t.getString("created_at")));
      if (t.getString("started_at") != null) toStart.add(Duration.between(created, Instant.parse(t.getString("started_at"))).toMillis());
      toFinish.add(Duration.between(created, finished).toMillis());
      if (created.isBefore(first)) first = created;
      if (finished.isAfter(last)) last = finished;
      if ("completed".equals(t.getString("status"))) completed++;
    }
    double serverSeconds = Math.max(0.001, Duration.between(first, last).toMillis() / 1000.0);
    System.out.printf("bench: %d of %d finished (%d completed) in %.2f s wall%n", done.size(), n, completed, wallSeconds);
    System.out.printf("bench: throughput %.0f tasks/s end to end (first submit to last finish, server clock)%n", done.size() / serverSeconds);
    System.out.printf("bench: submit->start  p50 %d ms  p99 %d ms%n", pct(toStart, 50), pct(toStart, 99));
    System.out.printf("bench: submit->finish p50 %d ms  p99 %d ms%n", pct(toFinish, 50), pct(toFinish, 99));
    whereTheTimeGoes(client);
    return done.size() == n ? 0 : 1;
  }

  /** The server's own histograms (a node that runs the dispatcher): mean time per stage. */
  private static void whereTheTimeGoes(WebClient client) throws Exception {
    String text = client.get("/metrics").send().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).bodyAsString();
    for (String[] m : new String[][] {
        {"kiln_task_wait_seconds", "submit -> claimed (queueing)"},
        {"kiln_dispatch_latency_seconds", "claimed -> worker accepted (hand-off)"},
        {"kiln_task_run_seconds", "claimed -> outcome settled (run + report + settle)"}}) {
      double sum = 0;
      double count = 0;
      for (String line : text.split("\n")) {
        if (line.startsWith(m[0] + "_sum")) sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        if (line.startsWith(m[0] + "_count")) count += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
      if (count > 0) System.out.printf("bench: mean %-52s %8.2f ms (%d samples)%n", m[1], sum / count * 1000, (long) count);
    }
  }

  private static Future<JsonObject> getTask(WebClient client, String key, String id) {
    return client.get("/api/v1/tasks/" + id).putHeader("X-Auth-Key", key).send()
        .map((HttpResponse<io.vertx.core.buffer.Buffer> r) -> r.bodyAsJsonObject());
  }

  private static JsonObject get(WebClient client, String key, String id) throws Exception {
    return getTask(client, key, id).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static boolean terminal(JsonObject t) {
    return switch (t.getString("status")) {
      case "completed", "failed", "cancelled", "timeout" -> true;
      default -> false;
    };
  }

  private static void pause(Vertx vertx, long millis) throws Exception {
    Promise<Void> p = Promise.promise();
    vertx.setTimer(millis, x -> p.complete());
    p.future().toCompletionStage().toCompletableFuture().get();
  }

  /** Runs {@code op(0..n-1)} with at most {@code width} in flight; fails on the first failure. */
  static Future<Void> window(Vertx vertx, int n, int width, Function<Integer, Future<Void>> op) {
    Promise<Void> all = Promise.promise();
    if (n == 0) return Future.succeededFuture();
    int[] next = {0};
    int[] finished = {0};
    var ctx = vertx.getOrCreateContext();
    Runnable[] launch = new Runnable[1];
    launch[0] = () -> {
      int i = next[0]++;
      op.apply(i).onComplete(ar -> {
        if (ar.failed()) {
          all.tryFail(ar.cause());
          return;
        }
        finished[0]++;
        if (finished[0] == n) all.tryComplete();
        else if (next[0] < n) launch[0].run();
      });
    };
    ctx.runOnContext(v -> {
      for (int k = 0; k < Math.min(width, n); k++) launch[0].run();
    });
    return all.future();
  }

  static long pct(List<Long> values, int p) {
    if (values.isEmpty()) return -1;
    List<Long> s = new ArrayList<>(values);
    Collections.sort(s);
    return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
  }
}
