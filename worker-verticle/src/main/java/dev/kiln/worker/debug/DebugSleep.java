package dev.kiln.worker.debug;

import dev.kiln.task.ErrorCode;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@code debug.sleep}: waits {@code duration_ms} on timers (no thread held), reporting
 * {@code progress_steps} evenly; the first {@code fail_attempts} attempts fail retryably (thrown, so
 * with a stack trace),
 * {@code fail_permanently} fails at once, {@code hang} runs until cancelled.
 */
public final class DebugSleep implements Executor {
  public static final long DEFAULT_DURATION_MS = 100;

  @Override
  public String toolAction() {
    return "debug.sleep";
  }

  @Override
  public Future<Outcome> run(Attempt ex) {
    JsonObject in = ex.input();
    if (in.getBoolean("fail_permanently", false)) {
      return Future.succeededFuture(Outcome.permanent(ErrorCode.BAD_INPUT, "debug.sleep asked to fail permanently"));
    }
    long duration = in.getLong("duration_ms", DEFAULT_DURATION_MS);
    int steps = in.getInteger("progress_steps", 0);
    boolean fail = ex.attempt() <= in.getInteger("fail_attempts", 0);
    boolean hang = in.getBoolean("hang", false);
    Promise<Outcome> done = Promise.promise();
    long stepMillis = steps > 0 ? Math.max(1, duration / steps) : 0;
    long[] timers = {-1, -1};
    if (steps > 0) {
      int[] step = {0};
      timers[0] = ex.vertx().setPeriodic(stepMillis, t -> {
        step[0]++;
        if (step[0] >= steps) ex.vertx().cancelTimer(t);
        if (step[0] <= steps) ex.progress(step[0] * 100 / steps, "step " + step[0] + " of " + steps);
      });
    }
    if (!hang) {
      // A failure on purpose is thrown, as a real executor's bug would be: the worker reports it
      // retryable with its stack trace (the execution's error_traceback).
      timers[1] = ex.vertx().setTimer(Math.max(1, duration), t -> {
        if (fail) done.tryFail(new IllegalStateException("debug.sleep failed attempt " + ex.attempt() + " on purpose"));
        else done.tryComplete(Outcome.success(new JsonObject().put("slept_ms", duration).put("attempt", ex.attempt()), new JsonArray()));
      });
    }
    ex.cancellation().onSuccess(reason -> done.tryFail("cancelled: " + reason));
    return done.future().onComplete(ar -> {
      if (timers[0] >= 0) ex.vertx().cancelTimer(timers[0]);
      if (timers[1] >= 0) ex.vertx().cancelTimer(timers[1]);
    });
  }
}
