package dev.kiln.dispatcher;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.db.Db;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.common.redis.Hot;
import dev.kiln.task.RetryPolicy;
import dev.kiln.task.store.TaskStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatcher role. Every dispatcher node runs one; the one holding the Postgres lead runs a
 * {@link LeaderTerm}, the others stand by and take over when the lead's session dies.
 */
public final class DispatcherVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(DispatcherVerticle.class);

  private final KilnConfig config;
  private static final String LEADER_METRIC = "kiln_dispatcher_leader";
  private final String nodeId = "d-" + UUID.randomUUID().toString().substring(0, 8);
  private Leadership leadership;

  public DispatcherVerticle(KilnConfig config) {
    this.config = config;
  }

  /** The services' configurations: their named defaults, and what Kiln's environment sets. */
  static LeaderTerm.Config termConfig(KilnConfig kiln) {
    return new LeaderTerm.Config(QueueConfigCache.Config.defaults(), Claimer.Config.defaults(), HandOff.Config.defaults(),
        Settler.Config.defaults(), WorkerWatch.Config.defaults(), Rescuer.Config.defaults(), ProgressFlusher.Config.defaults(),
        QueueMetrics.Config.defaults(), WebhookSender.Config.of(kiln),
        Pruner.Config.of(days(kiln.eventRetentionDays()), days(kiln.taskRetentionDays())), WorkerRegistry.DEFAULT_LEASE_MS,
        Scheduler.Config.defaults());
  }

  private static Duration days(int n) {
    return n <= 0 ? null : Duration.ofDays(n);
  }

  /** Completes once this node has asked for the lead the first time: it leads or stands by. */
  @Override
  public Future<?> start() {
    Pool pool = Db.pool(vertx, config.databaseUrl());
    Hot hot = Hot.shared(vertx, config.redisUrl());
    AssetUrls urls = AssetUrls.of(config);
    TaskStore store = new TaskStore(pool, RetryPolicy.standard());
    LeaderTerm.Config terms = termConfig(config);
    leadership = new Leadership(vertx, Db.connectOptions(config.databaseUrl()), nodeId, pool, epoch -> {
      LeaderTerm term = new LeaderTerm(vertx, pool, hot, store, urls, epoch, terms);
      LOG.info("Dispatcher {} takes the lead (epoch {})", nodeId, epoch);
      return term.start().map(x -> {
        KilnMetrics.set(LEADER_METRIC, Map.of(), 1);
        return (Runnable) () -> {
          KilnMetrics.set(LEADER_METRIC, Map.of(), 0);
          term.stop();
        };
      }).onFailure(e -> term.stop());
    });
    KilnMetrics.set(LEADER_METRIC, Map.of(), 0); // a standby says so: "no leader" is then sum() == 0, not an absent series
    return leadership.start().onSuccess(v -> LOG.info("Dispatcher {} started; leading or standing by", nodeId));
  }

  @Override
  public Future<?> stop() {
    return leadership.close();
  }
}
