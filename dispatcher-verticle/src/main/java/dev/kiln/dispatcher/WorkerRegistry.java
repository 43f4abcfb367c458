package dev.kiln.dispatcher;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The leader's view of which workers are alive: their heartbeats (what each serves, its slots,
 * whether it drains, which attempts it says it has) and the cluster member each runs in. Pure
 * state, no I/O: {@link WorkerWatch} feeds it; the claimers' {@link SlotBook} reads it.
 * Event-loop confined: only the leader's context touches it.
 */
final class WorkerRegistry {
  /** Without a heartbeat for this long a worker is gone and its attempts are lost. */
  static final long DEFAULT_LEASE_MS = 5_000;
  /**
   * A worker that did not accept a hand-off is benched: no new work until it answers a probe,
   * the first this long after, each later one twice as long after (to the lease). Its heartbeats
   * alone prove nothing: a worker split from the cluster still heartbeats to the leader yet has
   * no handler the leader's hand-offs can reach (issue 10, finding 1).
   */
  static final long BENCH_FIRST_PROBE_MS = 500;

  /** One worker as its last heartbeat described it. */
  static final class Worker {
    final String id;
    String nodeId; // the cluster member it heartbeats from (null when not clustered)
    Set<String> queues = Set.of();
    int slots;
    /** Attempts it takes beyond its slots, queued to start the moment one frees. */
    int prefetch;
    boolean draining;
    /** The actions it has an executor for; null when its heartbeat does not say (it takes them all, as before issue 13). */
    Set<String> toolActions;
    /** What its actions need of a GPU, in MB ({@code min_vram_mb}); an action absent needs none. */
    Map<String, Integer> minVramMb = Map.of();
    /** Its largest GPU's memory, in MB ({@code gpus}); 0: no GPU it knows of. */
    int largestGpuMb;
    long lastSeen;
    /** The attempts its last heartbeat named ("task:attempt"): running, or done with a report not yet acknowledged. */
    Set<String> named = Set.of();
    long lastRecorded = -1;
    boolean recordedDraining;
    /** Hand-offs (and probes) it failed in a row; while above 0 it is benched. */
    int failedHandOffs;
    long probeAt;
    boolean probing;

    Worker(String id) {
      this.id = id;
    }
  }

  private final Map<String, Worker> workers = new HashMap<>();
  private final long leaseMs;

  WorkerRegistry(long leaseMs) {
    if (leaseMs <= 0) throw new IllegalArgumentException("leaseMs must be > 0");
    this.leaseMs = leaseMs;
  }

  long leaseMs() {
    return leaseMs;
  }

  /** What a heartbeat changed for the claimers. */
  enum Change {
    /** Its first (it joined, or came back after its lease): it brings slots. */
    JOINED,
    /** What it takes changed (slots, prefetch, queues, draining). */
    CAPACITY,
    /** Nothing a claim would see differently. */
    NONE
  }

  /** Records a heartbeat; says whether the worker joined, changed what it takes, or neither. */
  Change heartbeat(JsonObject hb, long now) {
    String id = hb.getString("worker_id");
    Worker w = workers.get(id);
    boolean joined = w == null || now - w.lastSeen > leaseMs;
    if (w == null) workers.put(id, w = new Worker(id));
    int slots = w.slots, prefetch = w.prefetch;
    boolean draining = w.draining;
    Set<String> queues = w.queues;
    Set<String> actions = w.toolActions;
    Map<String, Integer> needs = w.minVramMb;
    int gpuMb = w.largestGpuMb;
    w.nodeId = hb.getString("node_id");
    w.queues = Set.copyOf(hb.getJsonArray("queues", new JsonArray()).getList());
    w.slots = hb.getInteger("slots", 0);
    w.prefetch = hb.getInteger("prefetch", 0);
    w.draining = hb.getBoolean("draining", false);
    JsonArray told = hb.getJsonArray("tool_actions");
    w.toolActions = told == null ? null : Set.copyOf(told.getList());
    w.minVramMb = needs(hb.getJsonObject("min_vram_mb"));
    w.largestGpuMb = largestGpuMb(hb.getJsonArray("gpus"));
    w.lastSeen = now;
    Set<String> named = new HashSet<>();
    for (Object o : hb.getJsonArray("running", new JsonArray())) {
      JsonObject r = (JsonObject) o;
      named.add(r.getString("task_id") + ":" + r.getInteger("attempt"));
    }
    w.named = named;
    if (joined) return Change.JOINED;
    return slots != w.slots || prefetch != w.prefetch || draining != w.draining || !queues.equals(w.queues)
        || !java.util.Objects.equals(actions, w.toolActions) || !needs.equals(w.minVramMb) || gpuMb != w.largestGpuMb
        ? Change.CAPACITY : Change.NONE;
  }

  private static Map<String, Integer> needs(JsonObject told) {
    if (told == null || told.isEmpty()) return Map.of();
    Map<String, Integer> out = new HashMap<>();
    for (String action : told.fieldNames()) {
      if (told.getValue(action) instanceof Number mb) out.put(action, mb.intValue());
    }
    return Map.copyOf(out);
  }

  private static int largestGpuMb(JsonArray gpus) {
    int largest = 0;
    if (gpus == null) return largest;
    for (Object o : gpus) {
      if (o instanceof JsonObject g && g.getValue("memory_mb") instanceof Number mb) largest = Math.max(largest, mb.intValue());
    }
    return largest;
  }

  /**
   * A worker Postgres says runs attempts but that has not spoken to this leader yet (a takeover):
   * it gets one lease to speak up before its attempts count as orphaned.
   */
  void expect(String workerId, long now) {
    workers.computeIfAbsent(workerId, id -> {
      Worker w = new Worker(id);
      w.lastSeen = now;
      return w;
    });
  }

  /** True when the worker's row should be written now: it is new, changed, or due every {@code everyMs}. */
  boolean needsRecord(String workerId, long now, long everyMs) {
    Worker w = workers.get(workerId);
    if (w == null) return false;
    boolean due = w.lastRecorded < 0 || now - w.lastRecorded >= everyMs || w.recordedDraining != w.draining;
    if (due) {
      w.lastRecorded = now;
      w.recordedDraining = w.draining;
    }
    return due;
  }

  /** Whether the worker's last heartbeat named this attempt. */
  boolean names(String workerId, String attemptKey) {
    Worker w = workers.get(workerId);
    return w != null && w.named.contains(attemptKey);
  }

  /**
   * The worker did not accept a hand-off or a probe: benched, it is probed again after a wait that
   * doubles each time. Returns whether this benched it (it was taking work until now).
   */
  boolean handOffFailed(String workerId, long now) {
    Worker w = workers.get(workerId);
    if (w == null) return false;
    w.probing = false;
    w.failedHandOffs++;
    w.probeAt = now + Math.min(leaseMs, BENCH_FIRST_PROBE_MS << Math.min(w.failedHandOffs - 1, 20));
    return w.failedHandOffs == 1;
  }

  /** True (once per due probe) when a benched worker should be probed now. */
  boolean probeDue(String workerId, long now) {
    Worker w = workers.get(workerId);
    if (w == null || w.failedHandOffs == 0 || w.probing || now < w.probeAt) return false;
    w.probing = true;
    return true;
  }

  /** It answered a probe: it takes work again. Returns whether it had been benched. */
  boolean proved(String workerId) {
    Worker w = workers.get(workerId);
    if (w == null || w.failedHandOffs == 0) return false;
    w.failedHandOffs = 0;
    w.probing = false;
    return true;
  }

  boolean benched(String workerId) {
    Worker w = workers.get(workerId);
    return w != null && w.failedHandOffs > 0;
  }

  /** Live workers that take new work of {@code queue}: not draining, not benched. */
  List<Worker> able(String queue, long now) {
    List<Worker> out = new ArrayList<>();
    for (Worker w : workers.values()) {
      if (!w.draining && w.failedHandOffs == 0 && now - w.lastSeen <= leaseMs && w.queues.contains(queue) && w.slots > 0) out.add(w);
    }
    return out;
  }

  /** Workers silent for longer than the lease: forgotten here, and returned. */
  List<String> expire(long now) {
    List<String> gone = new ArrayList<>();
    workers.values().removeIf(w -> {
      if (now - w.lastSeen > leaseMs) {
        gone.add(w.id);
        return true;
      }
      return false;
    });
    return gone;
  }

  /** A worker that said it stopped: forgotten here. */
  void forget(String workerId) {
    workers.remove(workerId);
  }

  /** The workers of a cluster member that left: forgotten here, and returned. */
  List<String> left(String nodeId) {
    List<String> gone = new ArrayList<>();
    workers.values().removeIf(w -> {
      if (nodeId.equals(w.nodeId)) {
        gone.add(w.id);
        return true;
      }
      return false;
    });
    return gone;
  }

  /** Workers heard from within the lease (and those given one at a takeover). */
  List<String> live(long now) {
    List<String> ids = new ArrayList<>();
    for (Worker w : workers.values()) if (now - w.lastSeen <= leaseMs) ids.add(w.id);
    return ids;
  }

  Map<String, Integer> liveByQueue(long now) {
    Map<String, Integer> n = new HashMap<>();
    for (Worker w : workers.values()) {
      if (now - w.lastSeen <= leaseMs) for (String q : w.queues) n.merge(q, 1, Integer::sum);
    }
    return n;
  }

  /** Slots of the live workers that take new work, by queue (a worker on several queues counts in each): the autoscaler's supply. */
  Map<String, Integer> liveSlotsByQueue(long now) {
    Map<String, Integer> n = new HashMap<>();
    for (Worker w : workers.values()) {
      if (!w.draining && now - w.lastSeen <= leaseMs) for (String q : w.queues) n.merge(q, w.slots, Integer::sum);
    }
    return n;
  }
}
