package dev.kiln.worker.providers;

import dev.kiln.worker.cog.CogProvider;
import dev.kiln.worker.comfy.ComfyProvider;
import dev.kiln.worker.executor.Provider;
import io.vertx.core.Vertx;
import java.util.List;

/** Makes the provider a providers-file entry describes, by its {@code type}. */
public final class ProviderTypes {
  private ProviderTypes() {}

  /** {@code actions}: the file's actions this provider serves (at least one, or it serves nothing). */
  public static Provider create(ProvidersFile.ProviderSpec spec, List<ProvidersFile.ActionSpec> actions, Vertx vertx) {
    return switch (spec.type()) {
      case "comfyui" -> new ComfyProvider(spec, actions, vertx);
      case "http" -> new CogProvider(spec, actions, vertx);
      default -> throw new IllegalArgumentException("unknown provider type " + spec.type());
    };
  }
}
