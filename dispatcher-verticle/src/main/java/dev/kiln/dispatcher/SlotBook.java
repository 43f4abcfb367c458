package dev.kiln.dispatcher;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which attempts run where, as this leader made or found them, and which worker slots a claim in
 * flight has reserved: free slots of a worker = its slots + its prefetch − attempts it holds −
 * reserved. The
 * claimers take only free slots; {@code max_concurrency} is also checked by Postgres in every
 * claim, so this book never has to be perfect to be safe, only to not waste claims. Pure state.
 */
final class SlotBook {
  /** An attempt this leader knows runs on a worker, since when (its claim, not this leader's takeover). */
  record Held(String taskId, int attempt, String queue, String workerId, long since) {
    String key() {
      return taskId + ":" + attempt;
    }
  }

  private final WorkerRegistry workers;
  private final Map<String, Held> byTask = new HashMap<>();
  private final Map<String, Map<String, Held>> byWorker = new HashMap<>();
  private final Map<String, Set<String>> byQueue = new HashMap<>();
  private final Map<String, Integer> reserved = new HashMap<>();

  SlotBook(WorkerRegistry workers) {
    this.workers = workers;
  }

  /** How many more attempts the queue may start under {@code maxConcurrency}, as far as this leader knows. */
  int room(String queue, int maxConcurrency) {
    return maxConcurrency - byQueue.getOrDefault(queue, Set.of()).size();
  }

  void hold(Held h) {
    release(h.taskId());
    byTask.put(h.taskId(), h);
    byWorker.computeIfAbsent(h.workerId(), w -> new HashMap<>()).put(h.taskId(), h);
    byQueue.computeIfAbsent(h.queue(), q -> new HashSet<>()).add(h.taskId());
  }

  /** The task's attempt no longer runs; returns what was held (null when nothing was). */
  Held release(String taskId) {
    Held h = byTask.remove(taskId);
    if (h == null) return null;
    Map<String, Held> w = byWorker.get(h.workerId());
    if (w != null) {
      w.remove(taskId);
      if (w.isEmpty()) byWorker.remove(h.workerId());
    }
    Set<String> q = byQueue.get(h.queue());
    if (q != null) q.remove(taskId);
    return h;
  }

  Held held(String taskId) {
    return byTask.get(taskId);
  }

  List<Held> heldOn(String workerId) {
    return List.copyOf(byWorker.getOrDefault(workerId, Map.of()).values());
  }

  int free(WorkerRegistry.Worker w) {
    return Math.max(0, w.slots + w.prefetch - byWorker.getOrDefault(w.id, Map.of()).size() - reserved.getOrDefault(w.id, 0));
  }

  /**
   * Reserves up to {@code max} free slots of live workers serving {@code queue}, spread
   * round-robin (most free first), and returns one worker id per slot. Give them back with
   * {@link #unreserve} when the claim is done, whatever it took.
   */
  List<String> reserve(String queue, int max, long now) {
    return reserve(workers.able(queue, now), max);
  }

  /**
   * The live workers serving {@code queue} that have a free slot, grouped by the queue's actions
   * they cannot run ({@link Placement}); empty when none has a free slot.
   */
  List<Placement.Group> groups(String queue, Collection<String> queueActions, long now) {
    List<WorkerRegistry.Worker> able = new ArrayList<>(workers.able(queue, now));
    able.removeIf(w -> free(w) == 0);
    return Placement.groups(able, queueActions);
  }

  /** As {@link #reserve(String, int, long)}, among these workers only. */
  List<String> reserve(List<WorkerRegistry.Worker> among, int max) {
    List<WorkerRegistry.Worker> able = new ArrayList<>(among);
    able.removeIf(w -> free(w) == 0);
    able.sort(Comparator.comparingInt(this::free).reversed().thenComparing(w -> w.id));
    List<String> slots = new ArrayList<>();
    boolean any = true;
    while (slots.size() < max && any) {
      any = false;
      for (WorkerRegistry.Worker w : able) {
        if (slots.size() < max && free(w) > 0) {
          reserved.merge(w.id, 1, Integer::sum);
          slots.add(w.id);
          any = true;
        }
      }
    }
    return slots;
  }

  void unreserve(List<String> slots) {
    for (String id : slots) reserved.computeIfPresent(id, (k, n) -> n > 1 ? n - 1 : null);
  }
}
