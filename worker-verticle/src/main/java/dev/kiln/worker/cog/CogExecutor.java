package dev.kiln.worker.cog;

import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.task.ErrorCode;
import dev.kiln.task.ToolAction;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import dev.kiln.worker.providers.ProvidersFile;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One action on a Cog-style server. The task's input goes as the prediction's {@code input} as it
 * is, over the action's {@code defaults}, except its image fields, which go as data: URIs of their
 * bytes. The prediction's id is the attempt's ({@code <task id>-<attempt>}), so a re-sent PUT
 * joins it; its output files are stored as the attempt's outputs (see {@link OutputStore}).
 */
final class CogExecutor implements Executor {
  private final String provider;
  private final ProvidersFile.ActionSpec action;
  private final ProvidersFile.ProviderSpec spec;
  private final CogClient client;

  CogExecutor(ProvidersFile.ProviderSpec spec, ProvidersFile.ActionSpec action, CogClient client) {
    this.provider = spec.name();
    this.spec = spec;
    this.action = action;
    this.client = client;
  }

  @Override
  public String toolAction() {
    return action.toolAction();
  }

  /** The prediction's id: one per attempt, the same on every re-send. */
  static String predictionId(Attempt ex) {
    return ex.taskId() + "-" + ex.attempt();
  }

  @Override
  public Future<Outcome> run(Attempt ex) {
    String id = predictionId(ex);
    ex.providerJob(id);
    Context context = ex.vertx().getOrCreateContext();
    PredictionFollower follower = new PredictionFollower(client, ex, id, spec.requestTimeoutMs(), context);
    return ex.vertx().executeBlocking(() -> request(ex, id), false)
        .compose(body -> {
          ex.progress(5, "sent to " + provider);
          return follower.follow(body);
        })
        .compose(p -> ended(ex, p))
        .recover(e -> Future.succeededFuture(classify(ex, e)));
  }

  /** The PUT's body; reads the input images, so blocking. */
  private Buffer request(Attempt ex, String id) throws Exception {
    JsonObject input = action.defaults() == null ? new JsonObject() : action.defaults().copy();
    ex.input().forEach(e -> input.put(e.getKey(), e.getValue()));
    List<String> fields = ToolAction.of(ex.toolAction()).map(ToolAction::imageFields).orElse(ToolAction.IMAGE_FIELDS);
    for (String field : fields) {
      byte[] bytes = ex.image(field);
      if (bytes == null) continue;
      // The node's decoder read it when it was uploaded; its header says which of PNG or JPEG it is.
      String format = ex.decoder().header(bytes).format();
      input.put(field, DataUri.encode(format.equals("png") ? "image/png" : "image/jpeg", bytes));
    }
    return new JsonObject().put("id", id).put("input", input).toBuffer();
  }

  private Future<Outcome> ended(Attempt ex, Prediction p) {
    return switch (p.status()) {
      case Prediction.SUCCEEDED -> {
        ex.progress(90, "prediction succeeded");
        yield new OutputStore(client, ex, provider).store(p).map(o -> {
          ex.progress(100, "done");
          return o;
        });
      }
      case Prediction.FAILED -> Future.failedFuture(CogError.failed(p.error() == null || p.error().isBlank() ? "the model failed" : p.error()));
      default -> Future.failedFuture(ex.isCancelled() ? CogError.unavailable("cancelled")
          : CogError.unavailable("the server canceled prediction " + p.id() + " itself"));
    };
  }

  private static Outcome classify(Attempt ex, Throwable e) {
    // The worker sends no report for a cancelled attempt; the outcome only ends the run.
    if (ex.isCancelled()) return Outcome.retryable(ErrorCode.CANCELLED, ex.cancellation().result());
    if (e instanceof CogError c) return c.outcome();
    // An output over the node's image limits: the input asked for too much, as the demo providers judge it.
    if (e instanceof BoundedImageDecoder.Rejected r && r.reason() == BoundedImageDecoder.Reason.TOO_LARGE) {
      return Outcome.permanent(ErrorCode.BAD_INPUT, "output: " + e.getMessage());
    }
    return Outcome.crashed(ErrorCode.EXECUTOR_ERROR, e);
  }
}
