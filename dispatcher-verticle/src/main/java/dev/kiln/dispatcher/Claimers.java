package dev.kiln.dispatcher;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The claimers of a leader term, one per queue, and who to wake: a queue that had room but
 * found every free slot reserved by another queue's claim in flight is "starved" and retried
 * when slots come free.
 */
final class Claimers {
  private final Map<String, Claimer> byQueue = new HashMap<>();
  private final Set<String> starved = new HashSet<>();
  private Function<String, Claimer> factory;
  private boolean stopped;

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

  void stop() {
    stopped = true;
    byQueue.values().forEach(Claimer::stop);
  }
}
