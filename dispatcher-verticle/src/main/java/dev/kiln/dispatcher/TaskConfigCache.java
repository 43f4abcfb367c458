package dev.kiln.dispatcher;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.metrics.ScheduleMetrics;
import dev.kiln.task.schedule.SchedulerType;
import dev.kiln.task.store.TaskConfig;
import dev.kiln.task.store.TaskConfigs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task configs as the leader knows them (the seed caches its ORM instances): read whole when
 * the term starts and every {@link #reloadMs}, and one config again at once when the HTTP node
 * that changed it says so ({@code kiln.task-configs.changed}). A schedule tick reads only the head
 * of {@link #due}, never the table. Being stale costs no wrong fire: a fire decides from the row
 * under its lock, and what it answers replaces the entry here.
 */
final class TaskConfigCache implements LeaderService {
  private static final Logger LOG = LoggerFactory.getLogger(TaskConfigCache.class);

  /** Scheduled configs by their next instant, then id: the head is the next to fire. */
  private record Due(Instant at, long id) {}

  private static final Comparator<Due> BY_INSTANT = Comparator.comparing(Due::at).thenComparingLong(Due::id);

  private final Vertx vertx;
  private final TaskConfigs table;
  private final long reloadMs;
  private final Map<Long, TaskConfig> byId = new HashMap<>();
  private final Map<Long, Due> dueOf = new HashMap<>();
  private final TreeSet<Due> due = new TreeSet<>(BY_INSTANT);
  private MessageConsumer<JsonObject> consumer;
  private long timer = -1;

  TaskConfigCache(Vertx vertx, TaskConfigs table, long reloadMs) {
    if (reloadMs <= 0) throw new IllegalArgumentException("reloadMs must be > 0");
    this.vertx = vertx;
    this.table = table;
    this.reloadMs = reloadMs;
  }

  /** Completes once the configs are read and the change notices heard cluster-wide. */
  @Override
  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.TASK_CONFIGS_CHANGED, m -> {
      Long id = m.body().getLong("id");
      if (id != null) reread(id);
    });
    timer = vertx.setPeriodic(reloadMs, t -> reload().onFailure(e -> LOG.warn("cannot read task configs: {}", e.getMessage())));
    return Future.all(consumer.completion(), reload()).mapEmpty();
  }

  @Override
  public void stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
    if (consumer != null) consumer.unregister();
  }

  private void reread(long id) {
    table.get(id).onSuccess(c -> put(id, c)).onFailure(e -> LOG.warn("cannot read task config {}: {}", id, e.getMessage()));
  }

  private Future<Void> reload() {
    return table.all().map(all -> {
      byId.clear();
      dueOf.clear();
      due.clear();
      for (TaskConfig c : all) index(c);
      count();
      return null;
    });
  }

  /** The config as it now is; null: it is gone. */
  void put(long id, TaskConfig c) {
    byId.remove(id);
    Due old = dueOf.remove(id);
    if (old != null) due.remove(old);
    if (c != null) index(c);
    count();
  }

  private void index(TaskConfig c) {
    byId.put(c.id(), c);
    if (c.scheduled()) {
      Due d = new Due(c.nextRunAt().toInstant(), c.id());
      dueOf.put(c.id(), d);
      due.add(d);
    }
  }

  /** The ids of the scheduled configs whose next instant is not after {@code now}, soonest first. */
  List<Long> dueAt(Instant now) {
    List<Long> out = new ArrayList<>();
    for (Due d : due) {
      if (d.at().isAfter(now)) break;
      out.add(d.id());
    }
    return out;
  }

  int size() {
    return byId.size();
  }

  private void count() {
    Map<SchedulerType, Long> n = new EnumMap<>(SchedulerType.class);
    for (SchedulerType t : SchedulerType.values()) n.put(t, 0L);
    for (TaskConfig c : byId.values()) n.merge(c.schedulerType(), 1L, Long::sum);
    n.forEach((t, k) -> ScheduleMetrics.configs(t.name(), k));
    byId.keySet().forEach(ScheduleMetrics::known);
  }
}
