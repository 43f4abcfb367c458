package dev.kiln.dispatcher;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.redis.Hot;
import dev.kiln.task.store.BatchReads;
import dev.kiln.task.store.GenerationRequests;
import dev.kiln.task.store.QueueConfigs;
import dev.kiln.task.store.RunningAttempt;
import dev.kiln.task.store.TaskConfigs;
import dev.kiln.task.store.TaskReads;
import dev.kiln.task.store.TaskStore;
import dev.kiln.task.store.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the leading dispatcher does while it leads, from the moment it wins the lead to the
 * moment it loses it (River's queue maintainer): it builds the term's shared state (the queue
 * configs, the worker registry, the slot book), finds the attempts already running, and starts
 * every service; {@link #stop()} stops them all. Every write of the term carries its epoch.
 */
final class LeaderTerm {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderTerm.class);

  /** Every service's configuration, each with its named defaults. */
  record Config(QueueConfigCache.Config configs, Claimer.Config claimer, HandOff.Config handOff, Settler.Config settler,
                WorkerWatch.Config workerWatch, Rescuer.Config rescuer, ProgressFlusher.Config progress,
                QueueMetrics.Config metrics, WebhookSender.Config webhooks, Pruner.Config pruner, long workerLeaseMs,
                Scheduler.Config scheduler) {}

  private final Vertx vertx;
  private final long epoch;
  private final TaskReads reads;
  private final QueueConfigCache configs;
  private final WorkerRegistry workers;
  private final SlotBook slots;
  private final Claimers claimers;
  private final List<LeaderService> services = new ArrayList<>();

  LeaderTerm(Vertx vertx, Pool pool, Hot hot, TaskStore store, AssetUrls urls, long epoch, Config config) {
    this.vertx = vertx;
    this.epoch = epoch;
    this.reads = new TaskReads(pool);
    this.configs = new QueueConfigCache(vertx, new QueueConfigs(pool), config.configs());
    this.workers = new WorkerRegistry(config.workerLeaseMs());
    this.slots = new SlotBook(workers);
    this.claimers = new Claimers(vertx);
    WorkerRows rows = new WorkerRows(pool);
    WebhookOutbox outbox = new WebhookOutbox(pool);
    ProgressFlusher progress = new ProgressFlusher(vertx, config.progress(), store, hot);
    Settler settler = new Settler(vertx, config.settler(), epoch, store, configs, slots, claimers, progress);
    HandOff handOff = new HandOff(vertx, config.handOff(), settler, workers);
    claimers.factory(queue -> new Claimer(queue, config.claimer(), epoch, store, configs, slots, handOff, claimers, vertx.eventBus()));
    configs.listen(claimers::ensure, claimers::wakeAll);
    services.add(configs);
    services.add(claimers);
    services.add(progress);
    services.add(settler);
    services.add(new WorkerWatch(vertx, config.workerWatch(), config.handOff(), workers, slots, rows, settler, claimers));
    services.add(new Rescuer(vertx, config.rescuer(), reads, workers, rows, settler, claimers).every());
    services.add(new QueueMetrics(vertx, config.metrics(), reads, new GenerationRequests(pool), configs, workers));
    services.add(new WebhookSender(vertx, config.webhooks(), outbox, reads, new BatchReads(pool),
        new GenerationRequests(pool), urls));
    services.add(new Pruner(vertx, config.pruner(), store, outbox, config.webhooks().maxAttempts()).every());
    TaskConfigCache taskConfigs = new TaskConfigCache(vertx, new TaskConfigs(pool), config.scheduler().reloadMs());
    services.add(taskConfigs);
    services.add(new Scheduler(vertx, config.scheduler(), epoch, store, taskConfigs, claimers));
  }

  /** Reads the configs and the attempts already running, then starts every service. */
  Future<Void> start() {
    return configs.load()
        .compose(v -> reads.running())
        .compose(running -> {
          // Held since their claim, not since this takeover, so an attempt its worker never had is
          // found lost before its timeout would spend a retry on it.
          long now = System.currentTimeMillis();
          for (RunningAttempt a : running) {
            workers.expect(a.workerId(), now);
            long since = Math.min(now, a.startedAt().toInstant().toEpochMilli());
            slots.hold(new SlotBook.Held(a.taskId().toString(), a.attempt(), a.queue(), a.workerId(), since));
          }
          List<Future<Void>> started = new ArrayList<>();
          for (LeaderService s : services) started.add(s.start());
          return Future.all(started).<Void>mapEmpty();
        })
        .onSuccess(v -> {
          LOG.info("Leading with epoch {}: queues {}", epoch, configs.queues());
          claimers.wakeAll();
        });
  }

  void stop() {
    for (int i = services.size() - 1; i >= 0; i--) services.get(i).stop();
  }
}
