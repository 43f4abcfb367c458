package dev.kiln.dispatcher;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which of a queue's {@code tool_action}s a worker can hold (issue 13): one it has an executor
 * for (its heartbeat's {@code tool_actions}) whose {@code min_vram_mb} fits its largest GPU. The
 * claimer makes one claim per group of workers that cannot run the same actions, that claim
 * leaving those actions out; with every worker able to run everything there is one group that
 * excludes nothing, and the claim is the statement it always was. Pure.
 */
final class Placement {
  private Placement() {}

  /**
   * Workers that cannot run the same actions of the queue, and those actions (sorted, empty when
   * they run them all). A claim for the group takes no task of an excluded action.
   */
  record Group(Set<String> excluded, List<WorkerRegistry.Worker> workers) {}

  /** Whether the worker can hold an attempt of the action: it has an executor for it, and a GPU large enough. */
  static boolean canRun(WorkerRegistry.Worker w, String toolAction) {
    if (w.toolActions != null && !w.toolActions.contains(toolAction)) return false;
    Integer need = w.minVramMb.get(toolAction);
    return need == null || w.largestGpuMb >= need;
  }

  /** The queue's actions the worker cannot run. */
  static Set<String> excluded(WorkerRegistry.Worker w, Collection<String> queueActions) {
    Set<String> out = new TreeSet<>();
    for (String a : queueActions) if (!canRun(w, a)) out.add(a);
    return out;
  }

  /**
   * The workers grouped by what they cannot run, a worker that can run none of the queue's
   * actions in no group. The groups that exclude most come first: they claim what they can, so
   * the tasks only the others can run are left to the others' slots.
   */
  static List<Group> groups(List<WorkerRegistry.Worker> workers, Collection<String> queueActions) {
    Map<Set<String>, List<WorkerRegistry.Worker>> by = new LinkedHashMap<>();
    for (WorkerRegistry.Worker w : workers) {
      Set<String> ex = excluded(w, queueActions);
      if (ex.isEmpty() || ex.size() < queueActions.size()) by.computeIfAbsent(ex, k -> new ArrayList<>()).add(w);
    }
    List<Group> out = new ArrayList<>(by.size());
    by.forEach((ex, ws) -> out.add(new Group(Set.copyOf(ex), ws)));
    out.sort(Comparator.comparingInt((Group g) -> g.excluded().size()).reversed()
        .thenComparing(g -> String.join(",", new TreeSet<>(g.excluded()))));
    return out;
  }
}
