package dev.kiln.dispatcher;

import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.task.ToolAction;
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
 * Each claim is for workers that can run the same actions of the queue ({@link Placement}).
 * One claim round at a time per queue; woken by the created-hint, by settlements, by workers joining,
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
  /** The queue's tool_actions: what a group of workers may be unable to run. */
  private final List<String> actions;
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
    this.actions = ToolAction.ofQueue(queue);
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
    if (slots.room(queue, cfg.maxConcurrency()) <= 0) {
      idle();
      return;
    }
    List<Placement.Group> groups = slots.groups(queue, actions, System.currentTimeMillis());
    if (groups.isEmpty()) {
      all.starved(queue);
      idle();
      return;
    }
    claimGroups(cfg, groups, 0, false);
  }

  /**
   * One claim per group of workers (each leaving out the actions its workers cannot run), one
   * after the other, so each sees the room the one before left; another round when any came
   * back full, since there may be more waiting.
   */
  private void claimGroups(QueueConfig cfg, List<Placement.Group> groups, int i, boolean anyFull) {
    if (i == groups.size() || stopped) {
      if (anyFull && !stopped) claimRound();
      else idle();
      return;
    }
    int room = slots.room(queue, cfg.maxConcurrency());
    if (room <= 0) {
      idle();
      return;
    }
    Placement.Group group = groups.get(i);
    List<String> reserved = slots.reserve(group.workers(), Math.min(config.claimBatch(), room));
    if (reserved.isEmpty()) {
      claimGroups(cfg, groups, i + 1, anyFull);
      return;
    }
    store.claim(epoch, queue, reserved, cfg.enablePriority(), group.excluded()).onComplete(ar -> {
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
      claimGroups(cfg, groups, i + 1, anyFull || claimed.size() == reserved.size());
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
