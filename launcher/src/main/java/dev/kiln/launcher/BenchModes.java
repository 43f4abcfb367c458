package dev.kiln.launcher;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.Map;

/** The bench's modes (see {@link Bench}); each returns its figures, printed as text on the way. */
final class BenchModes {
  private BenchModes() {}

  /**
   * N tasks end to end, not measured: a fresh JVM (the node's and the bench's own) interprets and
   * compiles for its first seconds, and a figure of those seconds measures the JIT, not Kiln.
   */
  static void warmUp(BenchLoad load, BenchStats stats, int n, int concurrency) throws Exception {
    OffsetDateTime since = stats.mark();
    long t0 = System.nanoTime();
    BenchLoad.await(load.window(n, concurrency, i -> load.submitOne().mapEmpty()));
    waitFor(stats, since, n);
    print("warmed up: %d tasks end to end in %.2f s, not counted", n, seconds(t0));
  }

  /** N tasks submitted one by one with C in flight, then waited for. */
  static JsonObject endToEnd(BenchLoad load, BenchStats stats, int n, int concurrency) throws Exception {
    OffsetDateTime since = stats.mark();
    long t0 = System.nanoTime();
    BenchLoad.await(load.window(n, concurrency, i -> load.submitOne().mapEmpty()));
    double submitSeconds = seconds(t0);
    print("submitted %d tasks one by one in %.2f s: %.0f submits/s (%d in flight)", n, submitSeconds, n / submitSeconds, concurrency);
    waitFor(stats, since, n);
    Map<String, Object> s = stats.summary(since, Integer.MAX_VALUE);
    double total = num(s, "seconds_from_submit");
    print("end to end: %d tasks in %.2f s: %.0f tasks/s (first submit to last finish, server clock)", n, total, n / total);
    percentiles(s);
    stages(load);
    return result("e2e", n, s).put("submits_per_second", round(n / submitSeconds)).put("tasks_per_second", round(n / total))
        .put("concurrency", concurrency);
  }

  /** The queue paused, N tasks bulk-submitted, resumed: how fast a standing backlog drains. */
  static JsonObject drain(BenchLoad load, BenchStats stats, int n, int concurrency) throws Exception {
    load.queue(new JsonObject().put("is_active", false));
    OffsetDateTime since = stats.mark();
    long t0 = System.nanoTime();
    load.bulk(n, Math.max(1, Math.min(concurrency, 8)), 0);
    double submitSeconds = seconds(t0);
    print("bulk-submitted %d tasks in %.2f s: %.0f tasks/s", n, submitSeconds, n / submitSeconds);
    load.queue(new JsonObject().put("is_active", true));
    waitFor(stats, since, n);
    Map<String, Object> s = stats.summary(since, Integer.MAX_VALUE);
    double drain = num(s, "seconds");
    print("drain: %d tasks in %.2f s: %.0f tasks/s (first start to last finish, server clock)", n, drain, n / drain);
    stages(load);
    return result("drain", n, s).put("bulk_submits_per_second", round(n / submitSeconds)).put("tasks_per_second", round(n / drain));
  }

  /** N tasks at a fixed rate, open loop: the latency a task sees at that load. */
  static JsonObject open(BenchLoad load, BenchStats stats, int n, int rate) throws Exception {
    OffsetDateTime since = stats.mark();
    long t0 = System.nanoTime();
    BenchLoad.await(load.openLoop(n, rate));
    double submitSeconds = seconds(t0);
    print("submitted %d tasks open-loop at %d/s in %.2f s (%.0f/s achieved)", n, rate, submitSeconds, n / submitSeconds);
    waitFor(stats, since, n);
    Map<String, Object> s = stats.summary(since, Integer.MAX_VALUE);
    percentiles(s);
    return result("open", n, s).put("rate", rate).put("achieved_rate", round(n / submitSeconds));
  }

  /** M tasks waiting, then the drain rate of the first N of them. */
  static JsonObject backlog(BenchLoad load, BenchStats stats, int waiting, int n, int concurrency) throws Exception {
    load.queue(new JsonObject().put("is_active", false));
    OffsetDateTime since = stats.mark();
    long t0 = System.nanoTime();
    load.bulk(waiting, Math.max(1, Math.min(concurrency, 8)), 0);
    print("%d tasks waiting (bulk-submitted in %.1f s)", waiting, seconds(t0));
    System.out.print(stats.claimPlan().lines().map(l -> "bench:   plan: " + l + "\n").reduce("", String::concat));
    load.queue(new JsonObject().put("is_active", true));
    waitFor(stats, since, Math.min(n, waiting));
    load.queue(new JsonObject().put("is_active", false));
    Map<String, Object> s = stats.summary(since, n);
    double drain = num(s, "seconds");
    print("drain with %d waiting: the first %d in %.2f s: %.0f tasks/s", waiting, n, drain, n / drain);
    return result("backlog", n, s).put("waiting", waiting).put("tasks_per_second", round(n / drain));
  }

  private static void waitFor(BenchStats stats, OffsetDateTime since, long n) throws Exception {
    long deadline = System.nanoTime() + 30L * 60 * 1_000_000_000L;
    while (stats.ended(since) < n) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("tasks did not end within 30 minutes");
      Thread.sleep(250); // polling the database between looks: the bench's own load stays light
    }
  }

  private static void percentiles(Map<String, Object> s) {
    print("submit->start  p50 %.1f ms  p99 %.1f ms  p99.9 %.1f ms", num(s, "start_p50_ms"), num(s, "start_p99_ms"), num(s, "start_p999_ms"));
    print("submit->finish p50 %.1f ms  p99 %.1f ms", num(s, "finish_p50_ms"), num(s, "finish_p99_ms"));
  }

  /** The server's own histograms (a node that runs the dispatcher): mean time per stage. */
  private static void stages(BenchLoad load) throws Exception {
    String text = load.metrics();
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
      if (count > 0) print("mean %-52s %8.2f ms (%d samples)", m[1], sum / count * 1000, (long) count);
    }
  }

  private static JsonObject result(String mode, int n, Map<String, Object> s) {
    return new JsonObject().put("mode", mode).put("tasks", n).put("completed", ((Number) s.get("completed")).longValue())
        .put("start_p50_ms", round(num(s, "start_p50_ms"))).put("start_p99_ms", round(num(s, "start_p99_ms")))
        .put("start_p999_ms", round(num(s, "start_p999_ms"))).put("finish_p99_ms", round(num(s, "finish_p99_ms")))
        .put("ok", ((Number) s.get("completed")).longValue() == ((Number) s.get("n")).longValue());
  }

  private static double num(Map<String, Object> s, String k) {
    Object v = s.get(k);
    return v == null ? Double.NaN : ((Number) v).doubleValue();
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private static void print(String format, Object... args) {
    System.out.println("bench: " + String.format(format, args));
  }
}
