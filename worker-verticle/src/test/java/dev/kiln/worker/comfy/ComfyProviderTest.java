package dev.kiln.worker.comfy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.asset.DirectoryAssetStore;
import dev.kiln.common.config.ImageLimits;
import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.task.ErrorCode;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Outcome;
import dev.kiln.worker.providers.ProvidersFile;
import dev.kiln.worker.providers.Workflow;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comfyui provider without a server to talk to (ComfyUiIT drives a real one). */
class ComfyProviderTest {
  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aServerThatDoesNotListenIsAProviderUnavailableFailureAndUnhealthy() throws Exception {
    int port = EmbeddedStores.freePort(); // nothing listens there
    var spec = new ProvidersFile.ProviderSpec("comfy-x", "comfyui", URI.create("http://127.0.0.1:" + port), 3, 2_000);
    var workflow = new Workflow(new JsonObject().put("1", new JsonObject().put("class_type", "EmptyImage")
        .put("inputs", new JsonObject().put("width", "{{width}}").put("height", 64).put("batch_size", 1).put("color", 0))), "w.json");
    var action = new ProvidersFile.ActionSpec("image.generate", "comfy-x", workflow, new JsonObject().put("width", 64), null);
    ComfyProvider provider = new ComfyProvider(spec, List.of(action), vertx);
    assertEquals(3, provider.slots());
    Attempt attempt = new Attempt(vertx, "t-1", 1, "image.generate", new JsonObject().put("prompt", "x"), null,
        new DirectoryAssetStore(dir), new BoundedImageDecoder(ImageLimits.DEFAULT), (p, m) -> {});
    Outcome o = vertx.getOrCreateContext().<Outcome>executeBlocking(() -> null).compose(v -> provider.executors().get(0).run(attempt))
        .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals(ErrorCode.PROVIDER_UNAVAILABLE, o.errorCode(), String.valueOf(o.toJson()));
    assertTrue(o.retryable());
    assertTrue(o.errorMessage().contains("comfy-x"), o.errorMessage());
    var health = provider.health().toCompletionStage().toCompletableFuture();
    assertTrue(assertThrowsOn(health), "unhealthy");
    provider.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static boolean assertThrowsOn(java.util.concurrent.CompletableFuture<Void> f) throws Exception {
    try {
      f.get(10, TimeUnit.SECONDS);
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause() instanceof ComfyFailure;
    }
  }
}
