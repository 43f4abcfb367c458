package dev.kiln.worker.providers;

import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Provider;
import java.util.List;

/**
 * What every inference server of the providers file shares: its name and slots come from its
 * entry, and it serves one executor per action the file maps to it. A type adds its client,
 * its executors and its health check.
 */
public abstract class ServerProvider implements Provider {
  protected final ProvidersFile.ProviderSpec spec;
  private final List<Executor> executors;

  protected ServerProvider(ProvidersFile.ProviderSpec spec, List<Executor> executors) {
    this.spec = spec;
    this.executors = List.copyOf(executors);
  }

  @Override
  public final String name() {
    return spec.name();
  }

  @Override
  public final List<Executor> executors() {
    return executors;
  }

  /** The file's {@code slots}: an inference server is never an in-process provider (0). */
  @Override
  public final int slots() {
    return spec.slots();
  }
}
