package dev.kiln.worker.comfy;

import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.providers.ProvidersFile;
import dev.kiln.worker.providers.ServerProvider;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * A ComfyUI server of the providers file ({@code type: comfyui}): one executor per action it
 * serves, each running that action's workflow; {@code slots} prompts of this worker at once.
 */
public final class ComfyProvider extends ServerProvider {
  private final ComfyClient client;

  public ComfyProvider(ProvidersFile.ProviderSpec spec, List<ProvidersFile.ActionSpec> actions, Vertx vertx) {
    this(spec, actions, new ComfyClient(vertx, spec.name(), spec.url(), spec.requestTimeoutMs()));
  }

  private ComfyProvider(ProvidersFile.ProviderSpec spec, List<ProvidersFile.ActionSpec> actions, ComfyClient client) {
    super(spec, actions.stream().<Executor>map(a -> new ComfyExecutor(spec.name(), client, a)).toList());
    this.client = client;
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
