package dev.kiln.task.schedule;

import java.util.Optional;

/** How a task config is run (seed 001 {@code SchedulerType}): one spelling in SQL, Java and JSON. */
public enum SchedulerType {
  /** At every instant of a five-field cron expression, in a time zone. */
  CRON,
  /** Once, at {@code run_at}; then the config is inactive. */
  DATE,
  /** Only by hand ({@code POST /admin/task-configs/{id}/run}). */
  MANUAL;

  public static Optional<SchedulerType> of(String name) {
    for (SchedulerType t : values()) {
      if (t.name().equals(name)) return Optional.of(t);
    }
    return Optional.empty();
  }

  /** Fired by the dispatcher (the seed's {@code is_scheduled}, before is_active). */
  public boolean scheduled() {
    return this != MANUAL;
  }
}
