package dev.kiln.dispatcher;

import dev.kiln.common.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The claimers of a leader term, one per queue, and who to wake: the created-hint
 * ({@code kiln.tasks.created}) wakes its queue's claimer; a queue that had room but found every
 * free slot reserved by another queue's claim in flight is "starved" and retried when slots come
 * free.
 */
final class Claimers implements LeaderService {
  private final Vertx vertx;
  private final Map<String, Claimer> byQueue = new HashMap<>();
  private final Set<String> starved = new HashSet<>();
  private Function<String, Claimer> factory;
  private MessageConsumer<JsonObject> hints;
  private boolean stopped;

  Claimers(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public Future<Void> start() {
    hints = vertx.eventBus().consumer(Addresses.TASKS_CREATED, m -> wake(m.body().getString("queue")));
    return hints.completion();
  }

  void factory(Function<String, Claimer> factory) {
    this.factory = factory;
  }

  /** Makes sure each known queue has its claimer. */
  void ensure(Set<String> queues) {
    for (String q : queues) byQueue.computeIfAbsent(q, factory);
  }

  void wake(String queue) {
    Claimer c = byQueue.get(queue);
    if (c != null && !stopped) c.wake();
  }

  void wakeAll() {
    for (String q : List.copyOf(byQueue.keySet())) wake(q);
  }

  void starved(String queue) {
    starved.add(queue);
  }

  /** Slots came free (a settlement, or a claim that used fewer than it reserved): retry the starved queues. */
  void wakeStarved() {
    if (starved.isEmpty()) return;
    List<String> queues = List.copyOf(starved);
    starved.clear();
    queues.forEach(this::wake);
  }

  @Override
  public void stop() {
    stopped = true;
    if (hints != null) hints.unregister();
    byQueue.values().forEach(Claimer::stop);
  }
}
