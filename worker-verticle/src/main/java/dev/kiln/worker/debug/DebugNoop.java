package dev.kiln.worker.debug;

import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** {@code debug.noop}: succeeds at once; what the benchmark measures is Kiln itself. */
public final class DebugNoop implements Executor {
  @Override
  public String toolAction() {
    return "debug.noop";
  }

  @Override
  public Future<Outcome> run(Attempt attempt) {
    return Future.succeededFuture(Outcome.success(new JsonObject().put("noop", true), new JsonArray()));
  }
}
