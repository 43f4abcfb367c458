package dev.kiln.dispatcher;

import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.task.store.Claimed;
import dev.kiln.task.store.QueueConfig;
import dev.kiln.task.store.TaskStore;
import io.vertx.core.eventbus.EventBus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One queue's claimer: claims as much as free worker slots and {@code max_concurrency} allow
 * (one statement, see the task core's TaskClaim) and hands each claimed attempt to its worker.
 * One claim at a time per queue; woken by the created-hint, by settlements, by workers joining,
 * and by the rescuer's sweep.
 */
final class Claimer {
  private static final Logger LOG = LoggerFactory.getLogger(Claimer.class);

  static final int DEFAULT_CLAIM_BATCH = 64;

  /** @param claimBatch most attempts one claim starts */
  record Config(int claimBatch) {
    Config {
      if (claimBatch < 1) throw new IllegalArgumentException("claimBatch must be >= 1");
    }

    static Config defaults() {
      return new Config(DEFAULT_CLAIM_BATCH);
    }
  }

  private final String queue;
  private final Config config;
  private final long epoch;
  private final TaskStore store;
  private final QueueConfigCache configs;
  private final SlotBook slots;
  private final HandOff handOff;
  private final Claimers all;
  private final EventBus bus;
  private boolean busy;
  private boolean again;
  private boolean stopped;

  Claimer(String queue, Config config, long epoch, TaskStore store, QueueConfigCache configs, SlotBook slots, HandOff handOff,
          Claimers all, EventBus bus) {
    this.queue = queue;
    this.config = config;
    this.epoch = epoch;
    this.store = store;
    this.configs = configs;
    this.slots = slots;
    this.handOff = handOff;
    this.all = all;
    this.bus = bus;
  }

  void wake() {
    if (stopped) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    again = false;
    claimRound();
  }

  void stop() {
    stopped = true;
  }

  private void claimRound() {
    QueueConfig cfg = configs.get(queue);
    if (cfg == null || !cfg.isActive() || stopped) {
      idle();
      return;
    }
    int room = slots.room(queue, cfg.maxConcurrency());
    if (room <= 0) {
      idle();
      return;
    }
    List<String> reserved = slots.reserve(queue, Math.min(config.claimBatch(), room), System.currentTimeMillis());
    if (reserved.isEmpty()) {
      all.starved(queue);
      idle();
      return;
    }
    store.claim(epoch, queue, reserved, cfg.enablePriority()).onComplete(ar -> {
      slots.unreserve(reserved);
      if (ar.failed()) {
        all.wakeStarved();
        LOG.warn("claim on queue {} failed: {}", queue, ar.cause().getMessage());
        idle();
        return;
      }
      List<Claimed> claimed = ar.result();
      Map<String, List<Claimed>> byWorker = new LinkedHashMap<>();
      for (Claimed c : claimed) {
        start(c);
        byWorker.computeIfAbsent(c.workerId(), w -> new ArrayList<>()).add(c);
      }
      byWorker.forEach(handOff::send);
      if (claimed.size() < reserved.size()) all.wakeStarved();
      if (claimed.size() == reserved.size() && !stopped) claimRound(); // there may be more waiting
      else idle();
    });
  }

  private void start(Claimed c) {
    slots.hold(new SlotBook.Held(c.taskId().toString(), c.attempt(), queue, c.workerId(), System.currentTimeMillis()));
    c.started().publish(bus);
    KilnMetrics.waited(queue, Duration.between(c.createdAt(), c.startedAt()));
  }

  private void idle() {
    busy = false;
    if (again) wake();
  }
}
