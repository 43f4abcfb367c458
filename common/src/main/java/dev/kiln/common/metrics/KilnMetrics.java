package dev.kiln.common.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's one Prometheus registry: Vert.x's own meters (HTTP, event bus, pools, JVM) and
 * Kiln's (DESIGN §10). One per process; every role records into it, /metrics scrapes it.
 * Every Kiln meter is built here or in {@link ScheduleMetrics}, once, with its HELP text
 * ({@link MetricHelp}) and, for histograms, the buckets of {@link Buckets}: the exposition passes
 * {@code promtool check metrics} with nothing to say.
 */
public final class KilnMetrics {
  private static final PrometheusMeterRegistry REGISTRY = create();
  private static final Map<String, AtomicLong> GAUGES = new ConcurrentHashMap<>();
  private static final Map<String, Timer> TIMERS = new ConcurrentHashMap<>();
  private static final Map<String, Counter> COUNTERS = new ConcurrentHashMap<>();

  /** Why an HTTP connection is closed by the node ({@link #httpConnectionClosed}). */
  public static final List<String> CONNECTION_CLOSE_REASONS = List.of("max_connections", "header_timeout", "body_timeout", "idle_timeout");

  static {
    // Known label sets are there at zero from the start, so rate() and absent() see a series
    // before its first event (a counter born at 1 loses that first increment to rate()).
    CONNECTION_CLOSE_REASONS.forEach(r -> counter("kiln_http_connections_closed_total", "reason", r));
  }

  private KilnMetrics() {}

  public static PrometheusMeterRegistry registry() {
    return REGISTRY;
  }

  private static PrometheusMeterRegistry create() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Micrometer's JVM binders name three meters in ways Prometheus's lint refuses: counters of
    // milliseconds and nanoseconds (it wants base units; the values cannot be rescaled by a
    // filter), and a gauge ending in _count (read as a histogram's). process_cpu_usage and
    // jvm_gc_pause_seconds carry what the first two tell; the CPU count keeps its value under a new name.
    r.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("jvm.compilation.time")
        || id.getName().equals("process.cpu.time")));
    r.config().meterFilter(new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
      }
    });
    return r;
  }

  /**
   * The per-queue series at zero for the queues that exist ({@code queue_configs}), with every
   * ending a task can have: called by the leader's queue cache and by the HTTP role at start.
   */
  public static void queues(Collection<String> queues, Collection<String> endedStatuses) {
    for (String q : queues) {
      counter("kiln_tasks_submitted_total", "queue", q);
      counter("kiln_retries_total", "queue", q);
      counter("kiln_timeouts_total", "queue", q);
      for (String s : endedStatuses) finishedCounter(q, s);
      timer("kiln_task_wait_seconds", q, Buckets.WAIT);
      timer("kiln_task_run_seconds", q, Buckets.RUN);
      timer("kiln_dispatch_latency_seconds", q, Buckets.DISPATCH);
    }
  }

  /** The model series at zero for every format and interaction type (the HTTP role's). */
  public static void models(Collection<String> formats, Collection<String> interactionTypes) {
    for (String f : formats) {
      counter("kiln_models_uploaded_total", "format", f);
      counter("kiln_model_downloads_total", "format", f);
    }
    for (String t : interactionTypes) {
      for (String a : List.of("added", "removed")) interactionCounter(t, a);
    }
  }

  public static void submitted(String queue) {
    counter("kiln_tasks_submitted_total", "queue", queue).increment();
  }

  public static void finished(String queue, String status) {
    finishedCounter(queue, status).increment();
  }

  private static Counter finishedCounter(String queue, String status) {
    return COUNTERS.computeIfAbsent("kiln_tasks_finished_total\0" + queue + "\0" + status, k -> Counter.builder("kiln_tasks_finished_total")
        .description(MetricHelp.of("kiln_tasks_finished_total")).tag("queue", queue).tag("status", status).register(REGISTRY));
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
    interactionCounter(type, action).increment();
  }

  private static Counter interactionCounter(String type, String action) {
    return COUNTERS.computeIfAbsent("kiln_model_interactions_total\0" + type + "\0" + action, k -> Counter.builder("kiln_model_interactions_total")
        .description(MetricHelp.of("kiln_model_interactions_total")).tag("type", type).tag("action", action).register(REGISTRY));
  }

  /**
   * An HTTP connection the node closed to protect itself: {@code max_connections} (over the
   * bound), {@code header_timeout}, {@code body_timeout} or {@code idle_timeout}.
   */
  public static void httpConnectionClosed(String reason) {
    counter("kiln_http_connections_closed_total", "reason", reason).increment();
  }

  private static Counter counter(String name, String tag, String value) {
    return COUNTERS.computeIfAbsent(name + "\0" + value, k -> Counter.builder(name).description(MetricHelp.of(name))
        .tag(tag, value).register(REGISTRY));
  }

  /** Submit to start of an attempt. */
  public static void waited(String queue, Duration d) {
    timer("kiln_task_wait_seconds", queue, Buckets.WAIT).record(d);
  }

  /** Start to end of an attempt. */
  public static void ran(String queue, Duration d) {
    timer("kiln_task_run_seconds", queue, Buckets.RUN).record(d);
  }

  /** From a claim to the worker's acceptance. */
  public static void dispatched(String queue, Duration d) {
    timer("kiln_dispatch_latency_seconds", queue, Buckets.DISPATCH).record(d);
  }

  /** How long the leader took to take in one worker heartbeat (the cost of a fleet). */
  public static void heartbeatHandled(Duration d) {
    timer("kiln_heartbeat_handling_seconds", "all", Buckets.HEARTBEAT).record(d);
  }

  /** A gauge whose value the caller sets, e.g. queue depth read from Postgres by the leader. */
  public static void set(String name, Map<String, String> tags, double value) {
    String key = name + tags;
    GAUGES.computeIfAbsent(key, k -> {
      AtomicLong bits = new AtomicLong(Double.doubleToLongBits(0));
      Gauge.Builder<AtomicLong> b = Gauge.builder(name, bits, v -> Double.longBitsToDouble(v.get())).description(MetricHelp.of(name));
      tags.forEach(b::tag);
      b.strongReference(true).register(REGISTRY);
      return bits;
    }).set(Double.doubleToLongBits(value));
  }

  /** Built once per (name, queue): recording is then a map lookup and the histogram's own work. */
  private static Timer timer(String name, String queue, Duration[] buckets) {
    return TIMERS.computeIfAbsent(name + "\0" + queue, k -> Timer.builder(name).description(MetricHelp.of(name)).tag("queue", queue)
        .serviceLevelObjectives(buckets).register(REGISTRY));
  }
}
