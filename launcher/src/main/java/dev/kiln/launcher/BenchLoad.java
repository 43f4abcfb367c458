package dev.kiln.launcher;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** The bench's client: the API calls a run makes, with at most so many in flight. */
final class BenchLoad implements AutoCloseable {
  /** Tasks per bulk request. */
  static final int BULK = 1_000;
  static final Buffer NOOP = new JsonObject().put("tool_action", "debug.noop").toBuffer();

  private final Vertx vertx;
  private final WebClient client;
  /** Its own connection: a probe must not wait behind the load it measures. */
  private final WebClient probe;
  private final String key;

  BenchLoad(Vertx vertx, String url, String key, int connections) {
    this.vertx = vertx;
    this.key = key;
    URI base = URI.create(url);
    this.client = WebClient.create(vertx, new WebClientOptions().setDefaultHost(base.getHost())
        .setDefaultPort(base.getPort() < 0 ? 80 : base.getPort()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(connections));
    this.probe = WebClient.create(vertx, new WebClientOptions().setDefaultHost(base.getHost())
        .setDefaultPort(base.getPort() < 0 ? 80 : base.getPort()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(1));
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.MINUTES);
  }

  /** Changes the debug queue (PUT /admin/queues/debug). */
  void queue(JsonObject change) throws Exception {
    HttpResponse<Buffer> r = await(client.put("/api/v1/admin/queues/debug").putHeader("X-Auth-Key", key)
        .putHeader("Content-Type", "application/json").sendBuffer(change.toBuffer()));
    if (r.statusCode() != 200) throw new IllegalStateException("PUT /admin/queues/debug answered " + r.statusCode() + ": " + r.bodyAsString());
  }

  /** One debug.noop task; its id. */
  Future<String> submitOne() {
    return client.post("/api/v1/tasks").putHeader("X-Auth-Key", key).putHeader("Content-Type", "application/json")
        .sendBuffer(NOOP).map(r -> {
          if (r.statusCode() != 202) throw new IllegalStateException("submit answered " + r.statusCode() + ": " + r.bodyAsString());
          return r.bodyAsJsonObject().getString("id");
        });
  }

  /** One debug.noop task of an end user, submitted by another client (its key). */
  Future<String> submitAs(String clientKey, String user) {
    return client.post("/api/v1/tasks").putHeader("X-Auth-Key", clientKey).putHeader("X-User-Id", user)
        .putHeader("Content-Type", "application/json").sendBuffer(NOOP).map(r -> {
          if (r.statusCode() != 202) throw new IllegalStateException("submit answered " + r.statusCode() + ": " + r.bodyAsString());
          return r.bodyAsJsonObject().getString("id");
        });
  }

  /** A new first-party client (POST /admin/clients); its key. */
  String client(String name) throws Exception {
    HttpResponse<Buffer> r = await(client.post("/api/v1/admin/clients").putHeader("X-Auth-Key", key)
        .putHeader("Content-Type", "application/json")
        .sendBuffer(new JsonObject().put("display_name", name).put("role", "first_party").toBuffer()));
    if (r.statusCode() != 201) throw new IllegalStateException("POST /admin/clients answered " + r.statusCode() + ": " + r.bodyAsString());
    return r.bodyAsJsonObject().getString("api_key");
  }

  Future<Void> health() {
    return probe.get("/health").send().mapEmpty();
  }

  static long pct(List<Long> values, int p) {
    List<Long> s;
    synchronized (values) {
      s = new ArrayList<>(values);
    }
    if (s.isEmpty()) return -1;
    Collections.sort(s);
    return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
  }

  /** {@code n} debug.noop tasks in one POST /tasks/bulk, at {@code priority}. */
  Future<Integer> submitBulk(int n, int priority) {
    JsonArray tasks = new JsonArray();
    for (int i = 0; i < n; i++) tasks.add(new JsonObject().put("tool_action", "debug.noop").put("priority", priority));
    return client.post("/api/v1/tasks/bulk").putHeader("X-Auth-Key", key).putHeader("Content-Type", "application/json")
        .sendBuffer(new JsonObject().put("tasks", tasks).toBuffer()).map(r -> {
          if (r.statusCode() != 202) throw new IllegalStateException("bulk submit answered " + r.statusCode() + ": " + r.bodyAsString());
          return n;
        });
  }

  /** {@code total} tasks in bulk requests of {@link #BULK}, {@code width} requests in flight. */
  void bulk(int total, int width, int priority) throws Exception {
    int requests = (total + BULK - 1) / BULK;
    await(window(requests, width, i -> submitBulk(Math.min(BULK, total - i * BULK), priority).mapEmpty()));
  }

  /** The node's heap in use (its /metrics), in MiB. */
  long heapMb() throws Exception {
    return Math.round(sum(metrics(), "jvm_memory_used_bytes{area=\"heap\"") / 1024 / 1024);
  }

  /** The sum of a Prometheus family's samples whose line starts with {@code prefix}. */
  static double sum(String metrics, String prefix) {
    double total = 0;
    for (String line : metrics.split("\n")) {
      if (line.startsWith(prefix)) total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
    return total;
  }

  String metrics() throws Exception {
    return await(client.get("/metrics").send()).bodyAsString();
  }

  /** Runs {@code op(0..n-1)} with at most {@code width} in flight; fails on the first failure. */
  Future<Void> window(int n, int width, Function<Integer, Future<Void>> op) {
    Promise<Void> all = Promise.promise();
    if (n == 0) return Future.succeededFuture();
    int[] next = {0};
    int[] finished = {0};
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
    vertx.getOrCreateContext().runOnContext(v -> {
      for (int k = 0; k < Math.min(width, n); k++) launch[0].run();
    });
    return all.future();
  }

  /**
   * Open loop: {@code n} submits at {@code rate} a second on a 1 ms clock, each sent when it is
   * due whatever the replies to the earlier ones (a slow server sees the load anyway); completes
   * when every reply is in.
   */
  Future<Void> openLoop(int n, int rate) {
    return openLoop(n, rate, this::submitOne);
  }

  /** As {@link #openLoop(int, int)}, each submit made by {@code submit}. */
  Future<Void> openLoop(int n, int rate, java.util.function.Supplier<Future<String>> submit) {
    Promise<Void> all = Promise.promise();
    List<Future<String>> sent = new ArrayList<>(n);
    long start = System.nanoTime();
    vertx.getOrCreateContext().runOnContext(v -> vertx.setPeriodic(1, t -> {
      long due = Math.min(n, (System.nanoTime() - start) * rate / 1_000_000_000L);
      while (sent.size() < due) sent.add(submit.get());
      if (sent.size() == n) {
        vertx.cancelTimer(t);
        Future.all(sent).<Void>mapEmpty().onComplete(all);
      }
    }));
    return all.future();
  }

  @Override
  public void close() {
    probe.close();
    client.close();
  }
}
