package dev.kiln.worker.comfy;

import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import dev.kiln.worker.providers.ProvidersFile;
import io.vertx.core.Future;

/** One action of a ComfyUI provider: its workflow, run once per attempt ({@link ComfyRun}). */
final class ComfyExecutor implements Executor {
  private final String provider;
  private final ComfyClient client;
  private final ProvidersFile.ActionSpec action;

  ComfyExecutor(String provider, ComfyClient client, ProvidersFile.ActionSpec action) {
    this.provider = provider;
    this.client = client;
    this.action = action;
  }

  @Override
  public String toolAction() {
    return action.toolAction();
  }

  @Override
  public Future<Outcome> run(Attempt attempt) {
    return new ComfyRun(provider, client, action, attempt).run();
  }
}
