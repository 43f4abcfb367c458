package dev.kiln.http.sse;

import dev.kiln.common.bus.Addresses;
import dev.kiln.task.TaskEvent;
import dev.kiln.task.store.Scope;
import dev.kiln.task.store.TaskReads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The task events this HTTP instance's open streams are owed, each delivered once. Events come
 * from the bus ({@code kiln.tasks.events}, which carries the event and its task's owner), so a
 * stream costs nothing per event of tasks it does not follow; Postgres is asked every
 * {@link #CATCH_UP_MILLIS}, once for all streams and only for the tasks and clients they follow,
 * for what the bus dropped. SSE therefore costs what the streams are owed, not streams × events.
 *
 * <p>Event ids are numbered when a transaction writes them, not when it commits, so a lower id
 * can become visible after a higher one. The feed looks back over the ids of the last
 * {@link #LATE_MILLIS} and skips what it delivered: an event is missed only if the bus dropped it
 * and its transaction took longer than that to commit (Kiln's take milliseconds).
 */
final class EventFeed {
  /** Postgres is asked this often for events the bus may have dropped, while any stream is open. */
  static final long CATCH_UP_MILLIS = 2_000;
  /** How long the feed keeps looking back for events that committed after later-numbered ones. */
  static final long LATE_MILLIS = 10_000;
  /** Events fetched in one catch-up query at most (a full page is followed by the next). */
  static final int PAGE = 500;

  /** An open stream. */
  interface Listener {
    void onEvent(TaskEvent event);
  }

  private final Vertx vertx;
  private final TaskReads reads;
  private final Map<String, Set<Listener>> byTask = new HashMap<>();
  private final Map<String, Set<Listener>> byClient = new HashMap<>();
  /** Streams of one end user of a client, by "client/user": an event reaches only its own tenant's. */
  private final Map<String, Set<Listener>> byTenant = new HashMap<>();
  /** How to take each listener out again, without a walk over every map. */
  private final Map<Listener, Runnable> unfollowers = new HashMap<>();
  private final Set<Listener> everything = new LinkedHashSet<>();
  /** Every id at or below it was numbered more than LATE_MILLIS ago, or before the feed started following. */
  private long floor = -1;
  /** Ids above the floor already delivered. */
  private final TreeSet<Long> seen = new TreeSet<>();
  /** (when, the newest id then), oldest first: what the floor may rise to once LATE_MILLIS pass. */
  private final ArrayDeque<long[]> horizons = new ArrayDeque<>();
  private Future<Void> following;
  private boolean fetching;
  private MessageConsumer<JsonObject> consumer;
  private long timer = -1;

  EventFeed(Vertx vertx, TaskReads reads) {
    this.vertx = vertx;
    this.reads = reads;
  }

  Future<Void> start() {
    timer = vertx.setPeriodic(CATCH_UP_MILLIS, t -> catchUp());
    return Future.succeededFuture();
  }

  void stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
    if (consumer != null) consumer.unregister();
  }

  /** Follows one task's events. Completes once the feed follows (a replay read after that misses nothing). */
  Future<Void> followTask(String taskId, Listener l) {
    add(byTask, taskId, l);
    return follow();
  }

  /**
   * Follows the events of the tasks a scope sees: one end user's of a client, a client's, or
   * every task (an admin; one acting for an end user filters in its listener).
   */
  Future<Void> followScope(Scope scope, Listener l) {
    if (scope.apiClientId() == null) {
      everything.add(l);
      unfollowers.put(l, () -> everything.remove(l));
    } else if (scope.userId() == null) {
      add(byClient, scope.apiClientId(), l);
    } else {
      add(byTenant, scope.apiClientId() + "/" + scope.userId(), l);
    }
    return follow();
  }

  private void add(Map<String, Set<Listener>> index, String key, Listener l) {
    index.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(l);
    unfollowers.put(l, () -> {
      Set<Listener> set = index.get(key);
      if (set != null && set.remove(l) && set.isEmpty()) index.remove(key);
    });
  }

  void unfollow(Listener l) {
    Runnable out = unfollowers.remove(l);
    if (out != null) out.run();
    if (idle()) {
      // Nothing to deliver to: off the bus (an event then costs this node nothing), and forget
      // where the feed was; the next stream starts it from the present.
      if (consumer != null) consumer.unregister();
      consumer = null;
      following = null;
      floor = -1;
      seen.clear();
      horizons.clear();
    }
  }

  private boolean idle() {
    return unfollowers.isEmpty();
  }

  /** On the bus first, then the floor read: what commits in between arrives on the bus and is not missed. */
  private Future<Void> follow() {
    if (following == null) {
      consumer = vertx.eventBus().consumer(Addresses.TASKS_EVENTS, m -> accept(TaskEvent.fromJson(m.body())));
      following = consumer.completion().compose(v -> reads.newestEventId()).map(newest -> {
        floor = Math.max(floor, newest);
        seen.headSet(floor, true).clear();
        return null;
      });
      following.onFailure(e -> {
        following = null;
        if (consumer != null) consumer.unregister();
        consumer = null;
      });
    }
    return following;
  }

  /** Delivers an event to the streams that follow its task, once; an event nobody follows costs a map lookup. */
  private void accept(TaskEvent e) {
    if (following == null || e.id() <= floor) return;
    List<Listener> to = new ArrayList<>(everything);
    Set<Listener> task = byTask.get(e.taskId());
    if (task != null) to.addAll(task);
    if (e.apiClientId() != null) {
      Set<Listener> client = byClient.get(e.apiClientId());
      if (client != null) to.addAll(client);
      Set<Listener> tenant = byTenant.isEmpty() ? null : byTenant.get(e.apiClientId() + "/" + (e.userId() == null ? "" : e.userId()));
      if (tenant != null) to.addAll(tenant);
    }
    if (to.isEmpty() || !seen.add(e.id())) return;
    for (Listener l : to) l.onEvent(e);
  }

  private void catchUp() {
    if (fetching || idle() || following == null || !following.succeeded()) return;
    fetching = true;
    raiseFloor();
    long asked = System.currentTimeMillis();
    List<UUID> tasks = byTask.keySet().stream().map(UUID::fromString).toList();
    // The newest id of all, read first: once LATE_MILLIS pass, every id up to it has committed or
    // never will, whoever's it is, so the floor may rise to it (and the scan stays short).
    long[] newest = new long[1];
    reads.newestEventId().compose(n -> {
      newest[0] = n;
      Set<String> clients = new HashSet<>(byClient.keySet());
      for (String tenant : byTenant.keySet()) clients.add(tenant.substring(0, tenant.indexOf('/')));
      return reads.eventsAfter(floor, List.copyOf(clients), tasks, !everything.isEmpty(), PAGE);
    }).onComplete(ar -> {
      fetching = false;
      if (ar.failed()) return; // Postgres away: the next catch-up asks again
      List<TaskEvent> events = ar.result();
      for (TaskEvent e : events) accept(e);
      if (events.size() == PAGE) {
        catchUp(); // a full page: there is more, and the horizon is not reached yet
      } else {
        horizons.addLast(new long[] {asked, newest[0]});
      }
    });
  }

  /** Ids numbered long enough ago are final: the floor rises to them, and the scan starts there. */
  private void raiseFloor() {
    long cutoff = System.currentTimeMillis() - LATE_MILLIS;
    while (!horizons.isEmpty() && horizons.peekFirst()[0] < cutoff) floor = Math.max(floor, horizons.pollFirst()[1]);
    seen.headSet(floor, true).clear();
  }
}
