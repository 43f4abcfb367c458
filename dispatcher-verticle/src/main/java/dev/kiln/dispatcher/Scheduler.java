package dev.kiln.dispatcher;

import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.common.metrics.ScheduleMetrics;
import dev.kiln.task.schedule.FirePlan;
import dev.kiln.task.store.Created;
import dev.kiln.task.store.Deposed;
import dev.kiln.task.store.Fired;
import dev.kiln.task.store.TaskStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires task configs (seed 001, issue 12; River's periodic job enqueuer): every
 * {@link Config#tickMs} it takes the configs whose next instant has come from the
 * {@link TaskConfigCache} and fires each one ({@link TaskStore#fire}: fenced by the term's epoch,
 * exactly once per instant by the unique key on {@code (config_id, scheduled_for)}), then
 * announces the tasks, wakes their queues' claimers and counts the fires. Instants more than
 * {@link Config#misfireGraceMs} late follow the config's misfire policy ({@code FirePlan}).
 */
final class Scheduler implements LeaderService {
  private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

  static final long DEFAULT_TICK_MS = 100;
  static final long DEFAULT_MISFIRE_GRACE_MS = 60_000;
  static final int DEFAULT_MAX_FIRES_IN_FLIGHT = 4;
  static final long DEFAULT_FAILED_FIRE_PAUSE_MS = 1_000;
  static final long DEFAULT_RELOAD_MS = 60_000;

  /**
   * @param tickMs how often due configs are looked for (in memory): the most an on-time fire waits
   * @param misfireGraceMs how late an instant may be and still fire as on time; later ones were missed (misfire policy)
   * @param maxFiresInFlight fire transactions at once (each config has at most one)
   * @param failedFirePauseMs how long a config whose fire failed waits before it is tried again
   * @param reloadMs how often the configs are read whole, besides the change notices
   */
  record Config(long tickMs, long misfireGraceMs, int maxFiresInFlight, long failedFirePauseMs, long reloadMs) {
    Config {
      if (tickMs <= 0 || misfireGraceMs < 0 || maxFiresInFlight < 1 || failedFirePauseMs < 0 || reloadMs <= 0) {
        throw new IllegalArgumentException("bad scheduler config");
      }
    }

    static Config defaults() {
      return new Config(DEFAULT_TICK_MS, DEFAULT_MISFIRE_GRACE_MS, DEFAULT_MAX_FIRES_IN_FLIGHT, DEFAULT_FAILED_FIRE_PAUSE_MS,
          DEFAULT_RELOAD_MS);
    }
  }

  private final Vertx vertx;
  private final Config config;
  private final long epoch;
  private final TaskStore store;
  private final TaskConfigCache configs;
  private final Claimers claimers;
  private final Set<Long> inFlight = new HashSet<>();
  /** Configs whose last fire failed, and until when they wait. */
  private final Map<Long, Long> pausedUntil = new HashMap<>();
  private long timer = -1;
  private boolean stopped;

  Scheduler(Vertx vertx, Config config, long epoch, TaskStore store, TaskConfigCache configs, Claimers claimers) {
    this.vertx = vertx;
    this.config = config;
    this.epoch = epoch;
    this.store = store;
    this.configs = configs;
    this.claimers = claimers;
  }

  @Override
  public Future<Void> start() {
    timer = vertx.setPeriodic(config.tickMs(), t -> tick());
    return Future.succeededFuture();
  }

  @Override
  public void stop() {
    stopped = true;
    if (timer >= 0) vertx.cancelTimer(timer);
  }

  private void tick() {
    Instant now = Instant.now();
    long nowMs = now.toEpochMilli();
    for (long id : configs.dueAt(now)) {
      if (inFlight.size() >= config.maxFiresInFlight()) return;
      if (inFlight.contains(id) || pausedUntil.getOrDefault(id, 0L) > nowMs) continue;
      pausedUntil.remove(id);
      inFlight.add(id);
      fire(id).onComplete(ar -> inFlight.remove(id));
    }
  }

  private Future<Fired> fire(long id) {
    // The fire decides by PostgreSQL's clock under the row's lock; this node's only said when to look.
    return store.fire(epoch, id, Duration.ofMillis(config.misfireGraceMs()))
        .onSuccess(f -> {
          if (stopped) return; // a deposed term's cache is gone with it; the new leader reads the row afresh
          configs.put(id, f.config());
          announce(f);
        })
        .onFailure(e -> {
          ScheduleMetrics.fired(id, ScheduleMetrics.FAILED, 1);
          if (e instanceof Deposed) return; // the term is ending; the next leader fires what is due
          pausedUntil.put(id, System.currentTimeMillis() + config.failedFirePauseMs());
          LOG.warn("task config {}: fire failed, tried again in {} ms: {}", id, config.failedFirePauseMs(), e.getMessage());
        });
  }

  /** After commit: each task's created event, its queue woken, the fires counted and their lag measured. */
  private void announce(Fired f) {
    FirePlan plan = f.plan();
    if (plan == null) return;
    for (Created c : f.created()) {
      c.event().publish(vertx.eventBus());
      KilnMetrics.submitted(c.queue());
      claimers.wake(c.queue());
      String scheduled = c.task().getString("scheduled_for");
      String created = c.task().getString("created_at");
      if (scheduled != null && created != null) {
        ScheduleMetrics.lag(Duration.between(OffsetDateTime.parse(scheduled), OffsetDateTime.parse(created)));
      }
    }
    ScheduleMetrics.fired(f.configId(), ScheduleMetrics.ON_TIME, plan.onTime().size());
    ScheduleMetrics.fired(f.configId(), ScheduleMetrics.CAUGHT_UP, plan.caughtUp() == null ? 0 : 1);
    ScheduleMetrics.fired(f.configId(), ScheduleMetrics.SKIPPED, plan.skipped());
    if (plan.caughtUp() != null || plan.skipped() > 0) {
      LOG.info("task config {}: {} missed instants skipped{}, next {}", f.configId(), plan.skipped(),
          plan.caughtUp() == null ? "" : ", one run made up for " + plan.caughtUp(), plan.nextRunAt());
    }
  }
}
