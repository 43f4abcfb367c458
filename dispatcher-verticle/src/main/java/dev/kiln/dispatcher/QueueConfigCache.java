package dev.kiln.dispatcher;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.task.TaskStatus;
import dev.kiln.task.Backoff;
import dev.kiln.task.store.QueueConfig;
import dev.kiln.task.store.QueueConfigs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue configs as the leader last read them (DESIGN §4): reread every
 * {@link Config#refreshMs} and at once when an admin changes one, so a change holds cluster-wide
 * within a second without a restart.
 */
final class QueueConfigCache implements LeaderService {
  private static final Logger LOG = LoggerFactory.getLogger(QueueConfigCache.class);

  static final long DEFAULT_REFRESH_MS = 1_000;
  /** Backoff of a queue that vanished from queue_configs while its tasks still ran. */
  static final Backoff FALLBACK_BACKOFF = new Backoff(1_000, 60_000);

  /** @param refreshMs how often the configs are reread even without a change notice */
  record Config(long refreshMs) {
    Config {
      if (refreshMs <= 0) throw new IllegalArgumentException("refreshMs must be > 0");
    }

    static Config defaults() {
      return new Config(DEFAULT_REFRESH_MS);
    }
  }

  private final Vertx vertx;
  private final QueueConfigs table;
  private final Config config;
  private final Map<String, QueueConfig> configs = new HashMap<>();
  private Consumer<Set<String>> onRefresh = queues -> {};
  private Runnable onChange = () -> {};
  private MessageConsumer<JsonObject> consumer;
  private long timer = -1;

  QueueConfigCache(Vertx vertx, QueueConfigs table, Config config) {
    this.vertx = vertx;
    this.table = table;
    this.config = config;
  }

  /** Called after every refresh with the queues known; {@code onChange} after one an admin asked for. */
  void listen(Consumer<Set<String>> onRefresh, Runnable onChange) {
    this.onRefresh = onRefresh;
    this.onChange = onChange;
  }

  /** The first read; the term starts only once it has the configs. */
  Future<Void> load() {
    return refresh();
  }

  @Override
  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.QUEUES_CHANGED, m -> refresh().onSuccess(v -> onChange.run()));
    timer = vertx.setPeriodic(config.refreshMs(), t -> refresh()
        .onFailure(e -> LOG.warn("cannot read queue configs: {}", e.getMessage())));
    return consumer.completion();
  }

  @Override
  public void stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
    if (consumer != null) consumer.unregister();
  }

  QueueConfig get(String queue) {
    return configs.get(queue);
  }

  Set<String> queues() {
    return Set.copyOf(configs.keySet());
  }

  Backoff backoff(String queue) {
    QueueConfig c = configs.get(queue);
    return c == null ? FALLBACK_BACKOFF : c.backoff();
  }

  private Future<Void> refresh() {
    return table.all().map(all -> {
      for (QueueConfig c : all) {
        configs.put(c.queue(), c);
        KilnMetrics.set("kiln_queue_concurrency_limit", Map.of("queue", c.queue()), c.maxConcurrency());
      }
      KilnMetrics.queues(configs.keySet(), TaskStatus.ENDED.stream().map(TaskStatus::value).toList());
      onRefresh.accept(configs.keySet());
      return null;
    });
  }
}
