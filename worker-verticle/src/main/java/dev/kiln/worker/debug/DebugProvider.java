package dev.kiln.worker.debug;

import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Provider;
import java.util.List;

/**
 * The {@code debug} provider: actions that measure and fault-test Kiln itself ({@code debug.noop},
 * {@code debug.sleep}). On with {@code KILN_DEBUG_EXECUTORS}, by default only with the embedded
 * database.
 */
public final class DebugProvider implements Provider {
  public static final String NAME = "debug";

  private final List<Executor> executors = List.of(new DebugNoop(), new DebugSleep());

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Executor> executors() {
    return executors;
  }
}
