package dev.kiln.launcher;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code kiln bench --mode sse}: many live clients. Opens {@code --streams} SSE streams
 * ({@code GET /api/v1/events}, each the stream of its own end user of a first-party client), then
 * submits tasks at {@code --rate} for random ones of those users while they stay open; reports
 * how many events arrived, their latency (the event's own time to its arrival), the node's heap
 * and threads, and how {@code /health} answered meanwhile.
 */
final class BenchStreams {
  private BenchStreams() {}

  static JsonObject run(Vertx vertx, BenchLoad load, BenchStats stats, String url, String adminKey, int streams, int tasks, int rate)
      throws Exception {
    String key = load.client("bench streams");
    URI base = URI.create(url);
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(base.getHost()).setDefaultPort(base.getPort())
        .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(streams + 16));
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicLong events = new AtomicLong();
    long t0 = System.nanoTime();
    BenchLoad.await(load.window(streams, 256, i -> open(http, key, "u-" + i, events, latencies)));
    System.out.printf("bench: %d SSE streams open in %.1f s%n", streams, (System.nanoTime() - t0) / 1e9);
    String before = load.metrics();
    List<Long> health = Collections.synchronizedList(new ArrayList<>());
    long probe = vertx.setPeriodic(100, t -> {
      long p0 = System.nanoTime();
      load.health().onSuccess(v -> health.add((System.nanoTime() - p0) / 1_000_000));
    });
    long s0 = System.nanoTime();
    BenchLoad.await(load.openLoop(tasks, rate, () -> load.submitAs(key, "u-" + ThreadLocalRandom.current().nextInt(streams))));
    // Each task says created, started and completed: wait for the streams to be told.
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (events.get() < 3L * tasks && System.nanoTime() < deadline) Thread.sleep(100); // polling a counter, not standing in for it
    vertx.cancelTimer(probe);
    double seconds = (System.nanoTime() - s0) / 1e9;
    String after = load.metrics();
    long heap = Math.round(BenchLoad.sum(after, "jvm_memory_used_bytes{area=\"heap\"") / 1024 / 1024);
    long threads = Math.round(BenchLoad.sum(after, "jvm_threads_live_threads"));
    System.out.printf("bench: %d tasks at %d/s to %d streams: %d events in %.1f s; event latency p50 %d ms p99 %d ms%n",
        tasks, rate, streams, events.get(), seconds, BenchLoad.pct(latencies, 50), BenchLoad.pct(latencies, 99));
    System.out.printf("bench: node heap %d MiB, %d threads; /health p50 %d ms p99 %d ms meanwhile (%d probes)%n", heap, threads,
        BenchLoad.pct(health, 50), BenchLoad.pct(health, 99), health.size());
    http.close();
    return new JsonObject().put("mode", "sse").put("streams", streams).put("tasks", tasks).put("rate", rate)
        .put("events", events.get()).put("ok", events.get() >= 3L * tasks)
        .put("event_p50_ms", BenchLoad.pct(latencies, 50)).put("event_p99_ms", BenchLoad.pct(latencies, 99))
        .put("threads", threads).put("health_p99_ms", BenchLoad.pct(health, 99))
        .put("heap_before_mb", Math.round(BenchLoad.sum(before, "jvm_memory_used_bytes{area=\"heap\"") / 1024 / 1024));
  }

  /** One stream, counted once its headers arrived; every data line after is an event. */
  private static Future<Void> open(HttpClient http, String key, String user, AtomicLong events, List<Long> latencies) {
    return http.request(new RequestOptions().setMethod(HttpMethod.GET).setURI("/api/v1/events").putHeader("X-Auth-Key", key)
            .putHeader("X-User-Id", user).setIdleTimeout(0))
        .compose(req -> req.send())
        .compose(res -> {
          if (res.statusCode() != 200) return Future.failedFuture("a stream answered " + res.statusCode());
          RecordParser lines = RecordParser.newDelimited("\n", (Buffer line) -> {
            String s = line.toString();
            if (!s.startsWith("data: ")) return;
            events.incrementAndGet();
            String at = new JsonObject(s.substring(6)).getString("at");
            if (at != null) latencies.add(System.currentTimeMillis() - Instant.parse(at).toEpochMilli());
          });
          res.handler(lines);
          return Future.succeededFuture();
        });
  }
}
