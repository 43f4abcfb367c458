package dev.kiln.worker.cog;

import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.providers.ProvidersFile;
import dev.kiln.worker.providers.ServerProvider;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * A providers-file server of type {@code http}: a model behind Cog's HTTP API (see README,
 * "HTTP (Cog-style) provider"), serving each of its actions with a {@link CogExecutor}.
 */
public final class CogProvider extends ServerProvider {
  private final CogClient client;

  public CogProvider(ProvidersFile.ProviderSpec spec, List<ProvidersFile.ActionSpec> actions, Vertx vertx) {
    this(spec, actions, new CogClient(spec, vertx));
  }

  private CogProvider(ProvidersFile.ProviderSpec spec, List<ProvidersFile.ActionSpec> actions, CogClient client) {
    super(spec, actions.stream().<Executor>map(a -> new CogExecutor(spec, a, client)).toList());
    this.client = client;
  }

  /** Up while {@code /health-check} says READY or BUSY (BUSY: up, every slot in use). */
  @Override
  public Future<Void> health() {
    return client.healthCheck().compose(a -> {
      String status = null;
      if (a.status() == 200) {
        try {
          status = a.json().getString("status");
        } catch (RuntimeException e) {
          return Future.failedFuture(spec.name() + ": /health-check answered no JSON");
        }
      }
      if ("READY".equals(status) || "BUSY".equals(status)) return Future.succeededFuture();
      return Future.failedFuture(spec.name() + ": /health-check says " + (status != null ? status : "HTTP " + a.status()));
    });
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
