package dev.kiln.worker.comfy;

import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Provider;
import dev.kiln.worker.providers.ProvidersFile;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * A ComfyUI server of the providers file ({@code type: comfyui}): one executor per action it
 * serves, each running that action's workflow; {@code slots} prompts of this worker at once.
 */
public final class ComfyProvider implements Provider {
  private final ProvidersFile.ProviderSpec spec;
  private final ComfyClient client;
  private final List<Executor> executors;

  public ComfyProvider(ProvidersFile.ProviderSpec spec, List<ProvidersFile.ActionSpec> actions, Vertx vertx) {
    this.spec = spec;
    this.client = new ComfyClient(vertx, spec.name(), spec.url(), spec.requestTimeoutMs());
    this.executors = actions.stream().<Executor>map(a -> new ComfyExecutor(spec.name(), client, a)).toList();
  }

  @Override
  public String name() {
    return spec.name();
  }

  @Override
  public List<Executor> executors() {
    return executors;
  }

  @Override
  public int slots() {
    return spec.slots();
  }

  /** {@code GET /system_stats} answers 200 within the request timeout. */
  @Override
  public Future<Void> health() {
    return client.systemStats();
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
