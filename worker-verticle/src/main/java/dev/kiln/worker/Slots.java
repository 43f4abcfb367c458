package dev.kiln.worker;

import dev.kiln.worker.executor.ExecutorRegistry;
import dev.kiln.worker.executor.Provider;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A worker's slots, which are its providers' slots: each inference server of the providers file
 * runs as many attempts at once as its {@code slots} (its GPUs' share), while it answers its
 * health check; the in-process providers (demo, debug) share {@code KILN_WORKER_SLOTS}. The
 * heartbeat advertises the sum and the actions of healthy providers only, so the dispatcher does
 * not place work on a server that is down. Pure state, event-loop confined.
 */
final class Slots {
  private final ExecutorRegistry registry;
  private final int inProcessSlots;
  private final boolean anyInProcess;
  /** The providers with slots of their own (inference servers), once: {@link #total} runs at every hand-off. */
  private final List<Provider> servers;
  private final Map<Provider, Integer> busy = new HashMap<>();
  private final Set<Provider> down = new HashSet<>();
  private int inProcessBusy;

  Slots(ExecutorRegistry registry, int inProcessSlots) {
    this.registry = registry;
    this.inProcessSlots = inProcessSlots;
    Set<Provider> sources = registry.sources();
    this.anyInProcess = sources.isEmpty() || sources.stream().anyMatch(p -> p.slots() == 0);
    this.servers = sources.stream().filter(p -> p.slots() > 0).toList();
  }

  /** The inference servers among the providers: those with a health check to run. */
  List<Provider> servers() {
    return servers;
  }

  /**
   * What the heartbeat advertises: the healthy servers' slots, plus {@code KILN_WORKER_SLOTS} when
   * an in-process provider serves anything (or nothing serves anything: the worker still takes
   * work, to fail it with {@code no_executor}).
   */
  int total() {
    int n = anyInProcess ? inProcessSlots : 0;
    for (Provider p : servers) {
      if (!down.contains(p)) n += p.slots();
    }
    return n;
  }

  /** Attempts running in a slot now. */
  int busy() {
    return inProcessBusy + busy.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The actions of providers that answer, as the heartbeat's {@code tool_actions}. */
  Set<String> actions() {
    Set<String> out = new LinkedHashSet<>();
    for (String action : registry.toolActions()) {
      if (!down.contains(registry.entry(action).orElseThrow().source())) out.add(action);
    }
    return out;
  }

  /**
   * Takes a slot of the provider that runs this action (the in-process pool when it is in-process
   * or when no provider does), or says there is none free now.
   */
  boolean tryTake(String toolAction) {
    Provider p = server(toolAction);
    if (p == null) {
      if (inProcessBusy >= inProcessSlots) return false;
      inProcessBusy++;
      return true;
    }
    int n = busy.getOrDefault(p, 0);
    if (n >= p.slots()) return false;
    busy.put(p, n + 1);
    return true;
  }

  /** Gives back the slot {@link #tryTake} took for this action. */
  void free(String toolAction) {
    Provider p = server(toolAction);
    if (p == null) inProcessBusy = Math.max(0, inProcessBusy - 1);
    else busy.computeIfPresent(p, (k, n) -> n > 1 ? n - 1 : null);
  }

  /** Records a health check; true when it changed whether the provider counts. */
  boolean health(Provider p, boolean ok) {
    return ok ? down.remove(p) : down.add(p);
  }

  boolean isDown(Provider p) {
    return down.contains(p);
  }

  /** The inference server behind the action, or null when it runs in-process (or nowhere). */
  private Provider server(String toolAction) {
    return registry.entry(toolAction).map(ExecutorRegistry.Entry::source).filter(p -> p.slots() > 0).orElse(null);
  }
}
