package dev.kiln.worker.cog;

import dev.kiln.worker.executor.Attempt;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import java.net.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one prediction to its end over a synchronous, idempotent {@code PUT /predictions/{id}}
 * held open: the answer is the finished prediction. Cog sends an asynchronous prediction's result
 * only to a webhook (it cannot be polled), and a worker need not be reachable from its servers,
 * so the held PUT is the one way that needs no route back.
 * <ul>
 *   <li>A dropped connection (reset, closed, the server restarting) re-sends the same PUT: the id
 *       is the Kiln attempt's, so the server joins the prediction it runs instead of starting
 *       another. Up to {@link #MAX_RESENDS} times, {@link #RESEND_PAUSE_MS} apart.</li>
 *   <li>An answer with the prediction still running (Cog's Python server answers a repeated PUT
 *       with 202 and its state so far) keeps its logs and asks again after the same pause.</li>
 *   <li>A cancel (owner, timeout, drain) posts {@code /cancel} and waits up to the provider's
 *       {@code timeout_ms} for the held PUT to answer {@code canceled}, so the slot is given back
 *       only once the model has stopped; then it lets go of the request.</li>
 * </ul>
 * Every step runs on the attempt's context.
 */
final class PredictionFollower {
  /** Re-sends after a dropped connection before the server counts as unavailable. */
  static final int MAX_RESENDS = 5;
  /** Between re-sends: a restarting server gets a moment, a running one is not asked in a loop. */
  static final long RESEND_PAUSE_MS = 500;

  private static final Logger LOG = LoggerFactory.getLogger(PredictionFollower.class);

  private final CogClient client;
  private final Attempt attempt;
  private final String id;
  private final long requestTimeoutMs;
  private final Context context;
  private final Promise<Prediction> done = Promise.promise();
  private HttpClientRequest inFlight;
  private int resends;
  private boolean sentOnce;
  /** The server said the prediction ended: nothing left to cancel there. */
  private boolean ended;

  PredictionFollower(CogClient client, Attempt attempt, String id, long requestTimeoutMs, Context context) {
    this.client = client;
    this.attempt = attempt;
    this.id = id;
    this.requestTimeoutMs = requestTimeoutMs;
    this.context = context;
  }

  /**
   * The prediction once it ended (any terminal status), or a {@link CogError}; a cancelled
   * attempt ends with its server's {@code canceled} prediction or a failure, which the caller
   * reads as cancelled.
   */
  Future<Prediction> follow(Buffer body) {
    attempt.cancellation().onSuccess(reason -> context.runOnContext(v -> cancel(reason)));
    send(body);
    return done.future();
  }

  private void send(Buffer body) {
    if (done.future().isComplete()) return;
    if (attempt.isCancelled()) {
      done.tryFail(CogError.unavailable("cancelled before the prediction was sent"));
      return;
    }
    boolean resend = sentOnce;
    sentOnce = true;
    client.put(id, body, req -> inFlight = req).onComplete(ar -> {
      inFlight = null;
      if (done.future().isComplete()) return;
      if (ar.succeeded()) answered(body, ar.result());
      else dropped(body, ar.cause(), resend);
    });
  }

  private void answered(Buffer body, CogClient.Answer a) {
    int s = a.status();
    if (s == 200 || s == 201 || s == 202) {
      context.owner().executeBlocking(() -> Prediction.from(a.json()), false).onComplete(ar -> {
        if (ar.failed()) {
          done.tryFail(ar.cause() instanceof CogError e ? e : CogError.unavailable("answered a prediction that is not JSON: " + ar.cause().getMessage()));
          return;
        }
        Prediction p = ar.result();
        if (p.logs() != null) attempt.logsSoFar(p.logs());
        if (p.terminal()) {
          ended = true;
          done.tryComplete(p);
        }
        else context.owner().setTimer(RESEND_PAUSE_MS, t -> send(body));
      });
    } else if (s == 400 || s == 413 || s == 422) {
      done.tryFail(CogError.rejected("refused the input (HTTP " + s + "): " + Problems.detail(a)));
    } else if (s == 409) {
      done.tryFail(CogError.unavailable("is busy: every prediction slot in use (HTTP 409)"));
    } else {
      done.tryFail(CogError.unavailable("answered HTTP " + s + ": " + a.snippet()));
    }
  }

  private void dropped(Buffer body, Throwable cause, boolean wasResend) {
    if (attempt.isCancelled()) {
      letGo("the connection closed");
      return;
    }
    if (cause instanceof CogError e) {
      done.tryFail(e);
    } else if (!wasResend && cause instanceof ConnectException) {
      // Nothing was sent: no prediction to join, and the dispatcher's retry may find a server that is up.
      done.tryFail(CogError.unavailable("unreachable: " + cause.getMessage()));
    } else if (++resends > MAX_RESENDS) {
      done.tryFail(CogError.unavailable("dropped the connection " + MAX_RESENDS + " times (last: " + cause + ")"));
    } else {
      LOG.info("Prediction {}: connection lost ({}), re-sending ({} of {})", id, cause.toString(), resends, MAX_RESENDS);
      context.owner().setTimer(RESEND_PAUSE_MS, t -> send(body));
    }
  }

  private void cancel(String reason) {
    if (ended) return;
    LOG.info("Prediction {}: {}, cancel sent", id, reason);
    // Sent even when this side already let go (a dropped connection): the model must stop either way.
    Future<Integer> cancelled = client.cancel(id);
    if (done.future().isComplete()) return;
    long letGo = context.owner().setTimer(requestTimeoutMs, t -> letGo("the server did not stop it within " + requestTimeoutMs + " ms"));
    done.future().onComplete(x -> context.owner().cancelTimer(letGo));
    cancelled.onComplete(ar -> {
      if (ar.failed()) letGo("its cancel failed: " + ar.cause().getMessage());
      else if (ar.result() == 404) letGo("the server has no such prediction running");
      else if (inFlight == null) letGo("no request held"); // between re-sends: nothing will answer
    });
  }

  private void letGo(String why) {
    if (done.future().isComplete()) return;
    HttpClientRequest req = inFlight;
    if (req != null) req.reset();
    done.tryFail(CogError.unavailable("cancelled; " + why));
  }
}
