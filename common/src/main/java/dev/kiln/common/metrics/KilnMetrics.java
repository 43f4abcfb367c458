package dev.kiln.common.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The node's one Prometheus registry: Vert.x's own meters (HTTP, event bus, pools, JVM) and
 * Kiln's (DESIGN §10). One per process; every role records into it, /metrics scrapes it.
 */
public final class KilnMetrics {
  private static final PrometheusMeterRegistry REGISTRY = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private static final Map<String, AtomicLong> GAUGES = new ConcurrentHashMap<>();
  private static final Map<String, Timer> TIMERS = new ConcurrentHashMap<>();
  private static final Map<String, Counter> COUNTERS = new ConcurrentHashMap<>();

  private KilnMetrics() {}

  public static PrometheusMeterRegistry registry() {
    return REGISTRY;
  }

  public static void submitted(String queue) {
    counter("kiln_tasks_submitted_total", "queue", queue).increment();
  }

  public static void finished(String queue, String status) {
    COUNTERS.computeIfAbsent("kiln_tasks_finished_total\0" + queue + "\0" + status, k -> Counter.builder("kiln_tasks_finished_total")
        .tag("queue", queue).tag("status", status).register(REGISTRY)).increment();
  }

  public static void retried(String queue) {
    counter("kiln_retries_total", "queue", queue).increment();
  }

  public static void timedOut(String queue) {
    counter("kiln_timeouts_total", "queue", queue).increment();
  }

  /** A user's model accepted by POST /models, by format (GLB, GLTF, OBJ). */
  public static void modelUploaded(String format) {
    counter("kiln_models_uploaded_total", "format", format).increment();
  }

  /** A model file sent whole by its signed URL (what download_count counts), by format. */
  public static void modelDownloaded(String format) {
    counter("kiln_model_downloads_total", "format", format).increment();
  }

  /** A like or favorite toggled on ({@code action} added) or off (removed). */
  public static void modelInteraction(String type, String action) {
    COUNTERS.computeIfAbsent("kiln_model_interactions_total\0" + type + "\0" + action, k -> Counter.builder("kiln_model_interactions_total")
        .tag("type", type).tag("action", action).register(REGISTRY)).increment();
  }

  /**
   * An HTTP connection the node closed to protect itself: {@code max_connections} (over the
   * bound), {@code header_timeout}, {@code body_timeout} or {@code idle_timeout}.
   */
  public static void httpConnectionClosed(String reason) {
    counter("kiln_http_connections_closed_total", "reason", reason).increment();
  }

  private static Counter counter(String name, String tag, String value) {
    return COUNTERS.computeIfAbsent(name + "\0" + value, k -> Counter.builder(name).tag(tag, value).register(REGISTRY));
  }

  /** Submit to start of an attempt. */
  public static void waited(String queue, Duration d) {
    timer("kiln_task_wait_seconds", queue).record(d);
  }

  /** Start to end of an attempt. */
  public static void ran(String queue, Duration d) {
    timer("kiln_task_run_seconds", queue).record(d);
  }

  /** From a claim to the worker's acceptance. */
  public static void dispatched(String queue, Duration d) {
    timer("kiln_dispatch_latency_seconds", queue).record(d);
  }

  /** How long the leader took to take in one worker heartbeat (the cost of a fleet). */
  public static void heartbeatHandled(Duration d) {
    timer("kiln_heartbeat_handling_seconds", "all").record(d);
  }

  /** A gauge whose value the caller sets, e.g. queue depth read from Postgres by the leader. */
  public static void set(String name, Map<String, String> tags, long value) {
    String key = name + tags;
    GAUGES.computeIfAbsent(key, k -> {
      AtomicLong v = new AtomicLong();
      Gauge.Builder<Supplier<Number>> b = Gauge.builder(name, v::get);
      tags.forEach(b::tag);
      b.strongReference(true).register(REGISTRY);
      return v;
    }).set(value);
  }

  /** Built once per (name, queue): recording is then a map lookup and the histogram's own work. */
  private static Timer timer(String name, String queue) {
    return TIMERS.computeIfAbsent(name + "\0" + queue, k -> Timer.builder(name).tag("queue", queue).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(30))
        .register(REGISTRY));
  }
}
