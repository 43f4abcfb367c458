package dev.kiln.dispatcher;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The leader's view of the workers: who is alive (heartbeats), what each serves, and which
 * running tasks Postgres says each holds. Free slots = slots − held − reserved by a claim in flight.
 * Event-loop confined: only the leader's context touches it.
 */
final class WorkerRegistry {
  /** Without a heartbeat for this long a worker is gone and its attempts are lost. */
  static final long DEFAULT_LEASE_MILLIS = 5_000;
  /**
   * An attempt the worker's heartbeats have not named for this long after its hand-off is one
   * the worker does not have (it restarted, or the hand-off was lost): it is lost.
   */
  static final long UNKNOWN_ATTEMPT_MILLIS = 8_000;

  /** An attempt this leader knows runs on a worker. */
  record Held(String taskId, int attempt, String queue, long since) {}

  static final class Worker {
    final String id;
    String nodeId; // the cluster member it heartbeats from (null when not clustered)
    JsonObject info = new JsonObject();
    Set<String> queues = Set.of();
    int slots;
    boolean draining;
    long lastSeen;
    long lastRecorded;
    boolean recordedDraining;
    final Map<String, Held> held = new HashMap<>();
    int reserved;

    Worker(String id) {
      this.id = id;
    }

    int free() {
      return Math.max(0, slots - held.size() - reserved);
    }
  }

  private final Map<String, Worker> workers = new HashMap<>();
  private final long leaseMillis;

  WorkerRegistry(long leaseMillis) {
    this.leaseMillis = leaseMillis;
  }

  /** How often a live worker's row in {@code workers} is refreshed (last heartbeat, draining). */
  static final long RECORD_EVERY_MILLIS = 5_000;

  /** True when the worker's row should be written now: it joined, changed, or is due. */
  boolean needsRecord(JsonObject hb, long now) {
    Worker w = workers.get(hb.getString("worker_id"));
    if (w == null) return true;
    boolean due = now - w.lastRecorded >= RECORD_EVERY_MILLIS || w.recordedDraining != hb.getBoolean("draining", false);
    if (due) {
      w.lastRecorded = now;
      w.recordedDraining = hb.getBoolean("draining", false);
    }
    return due;
  }

  /** True when a heartbeat is the worker's first (it joined, or came back). */
  boolean isNew(JsonObject hb, long now) {
    Worker w = workers.get(hb.getString("worker_id"));
    return w == null || now - w.lastSeen > leaseMillis;
  }

  /**
   * Records a heartbeat; returns the attempts held on this worker that it no longer names
   * (running or with a report still unacknowledged) past {@link #UNKNOWN_ATTEMPT_MILLIS}.
   */
  List<Held> heartbeat(JsonObject hb, long now) {
    String id = hb.getString("worker_id");
    Worker w = workers.get(id);
    if (w == null) workers.put(id, w = new Worker(id));
    w.info = hb;
    w.nodeId = hb.getString("node_id");
    w.queues = Set.copyOf(hb.getJsonArray("queues").getList());
    w.slots = hb.getInteger("slots");
    w.draining = hb.getBoolean("draining", false);
    w.lastSeen = now;
    Set<String> named = new HashSet<>();
    for (Object o : hb.getJsonArray("running", new io.vertx.core.json.JsonArray())) {
      JsonObject r = (JsonObject) o;
      named.add(r.getString("task_id") + ":" + r.getInteger("attempt"));
    }
    List<Held> unknown = new ArrayList<>();
    for (Held h : w.held.values()) {
      if (!named.contains(h.taskId() + ":" + h.attempt()) && now - h.since() > UNKNOWN_ATTEMPT_MILLIS) unknown.add(h);
    }
    return unknown;
  }

  /** Attempts Postgres says run on a worker (at leadership start, for workers not heard yet too). */
  void hold(String workerId, Held attempt) {
    workers.computeIfAbsent(workerId, id -> {
      Worker w = new Worker(id);
      w.lastSeen = System.currentTimeMillis(); // give it one lease to speak up
      return w;
    }).held.put(attempt.taskId(), attempt);
  }

  void release(String workerId, String taskId) {
    Worker w = workers.get(workerId);
    if (w != null) w.held.remove(taskId);
  }

  /** Up to {@code max} free slots of live workers serving {@code queue}, spread round-robin. */
  List<String> reserve(String queue, int max) {
    List<Worker> able = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (Worker w : workers.values()) {
      if (!w.draining && now - w.lastSeen <= leaseMillis && w.queues.contains(queue) && w.free() > 0) able.add(w);
    }
    able.sort((a, b) -> Integer.compare(b.free(), a.free()));
    List<String> slots = new ArrayList<>();
    boolean any = true;
    while (slots.size() < max && any) {
      any = false;
      for (Worker w : able) {
        if (slots.size() < max && w.free() > 0) {
          w.reserved++;
          slots.add(w.id);
          any = true;
        }
      }
    }
    return slots;
  }

  void unreserve(List<String> slots) {
    for (String id : slots) {
      Worker w = workers.get(id);
      if (w != null) w.reserved = Math.max(0, w.reserved - 1);
    }
  }

  /** Workers silent for longer than the lease; they are forgotten here and returned. */
  List<String> expire(long now) {
    List<String> gone = new ArrayList<>();
    workers.values().removeIf(w -> {
      if (now - w.lastSeen > leaseMillis) {
        gone.add(w.id);
        return true;
      }
      return false;
    });
    return gone;
  }

  /** The workers on a cluster member that left: forgotten here, returned with what they held. */
  List<Worker> left(String nodeId) {
    List<Worker> gone = new ArrayList<>();
    workers.values().removeIf(w -> {
      if (nodeId.equals(w.nodeId)) {
        gone.add(w);
        return true;
      }
      return false;
    });
    return gone;
  }

  /** Workers heard from within the lease (and those given one at a takeover). */
  List<String> live(long now) {
    List<String> ids = new ArrayList<>();
    for (Worker w : workers.values()) if (now - w.lastSeen <= leaseMillis) ids.add(w.id);
    return ids;
  }

  Map<String, Integer> liveByQueue(long now) {
    Map<String, Integer> n = new HashMap<>();
    for (Worker w : workers.values()) {
      if (now - w.lastSeen <= leaseMillis) for (String q : w.queues) n.merge(q, 1, Integer::sum);
    }
    return n;
  }
}
