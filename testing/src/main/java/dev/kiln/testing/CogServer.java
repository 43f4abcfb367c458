package dev.kiln.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model server that speaks Cog's HTTP API as its docs/http.md describes it (Cog 0.17), for
 * tests of the {@code http} provider: {@code PUT /predictions/{id}} (synchronous, or 202 at once
 * with {@code Prefer: respond-async}; a PUT for an id it already has joins that prediction: held
 * until it ends, or its state at once when async or ended), {@code POST /predictions/{id}/cancel}
 * (200, or 404 for no such prediction running), {@code GET /health-check} (READY / BUSY, or as
 * set), 409 when every slot is busy, and 422 in FastAPI's words for an input that lacks a
 * required field. A prediction runs {@link #STEPS} steps, logging one line each, then ends as set:
 * succeeded with the output template filled in, failed with an error, or never (until cancelled).
 * Files for outputs are served under {@code /files/<name>}. Faults: the first PUT of a prediction
 * can have its connection closed while the prediction runs on; every PUT can be answered with a
 * status of choice. Thread-safe: set up and read from the test's thread.
 */
public final class CogServer implements AutoCloseable {
  /** The steps a prediction runs, one log line each. */
  public static final int STEPS = 5;
  private static final Pattern PREDICTION = Pattern.compile("/predictions/([^/]+)(/cancel)?");
  private static final Pattern FILE_REF = Pattern.compile("\\{\\{(url|data):([^}]+)}}");

  /** How a prediction ends. */
  public enum Ending { SUCCEED, FAIL, HANG }

  private record ServedFile(String mimeType, byte[] bytes) {}

  private final class Run {
    final String id;
    final JsonObject input;
    final Instant createdAt = Instant.now();
    final long startedNs = System.nanoTime();
    final List<HttpServerResponse> waiters = new ArrayList<>();
    final StringBuilder logs = new StringBuilder();
    String status = "processing";
    Object output;
    String error;
    Instant completedAt;
    Double predictTime;
    long timer = -1;
    int step;

    Run(String id, JsonObject input) {
      this.id = id;
      this.input = input;
    }

    boolean terminal() {
      return completedAt != null;
    }

    JsonObject json() {
      return new JsonObject().put("id", id).put("input", input).put("output", output).put("logs", logs.toString())
          .put("error", error).put("status", status).put("created_at", createdAt.toString())
          .put("started_at", createdAt.toString()).put("completed_at", completedAt == null ? null : completedAt.toString())
          .put("metrics", predictTime == null ? new JsonObject() : new JsonObject().put("predict_time", predictTime));
    }
  }

  private final Vertx vertx;
  private final HttpServer server;
  private final Map<String, Run> runs = new LinkedHashMap<>();
  private final Map<String, ServedFile> files = new HashMap<>();
  private final Map<String, Integer> puts = new HashMap<>();
  private final List<String> cancels = new ArrayList<>();
  private Duration runFor = Duration.ofMillis(300);
  private Ending ending = Ending.SUCCEED;
  /** Unless a test sets one: a 16x16 PNG as a data: URI. */
  private Object outputTemplate = "{{data:output.png}}";
  private List<String> required = List.of();
  private Duration dropFirstAfter;
  private Integer putStatus;
  private String health;
  private int healthChecks;
  private int slots = 1;
  private JsonObject lastInput;

  private CogServer(Vertx vertx) {
    this.vertx = vertx;
    this.server = vertx.createHttpServer().requestHandler(this::handle);
    files.put("output.png", new ServedFile("image/png", Pngs.blank(16, 16)));
  }

  /** Listens on a free port of 127.0.0.1. */
  public static CogServer start(Vertx vertx) throws Exception {
    CogServer s = new CogServer(vertx);
    s.server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return s;
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  // ---- behaviour ----

  /** How long a prediction runs before it ends. */
  public synchronized CogServer runFor(Duration d) {
    runFor = d;
    return this;
  }

  public synchronized CogServer ending(Ending e) {
    ending = e;
    return this;
  }

  /** A file the output may name: {@code {{url:name}}} serves it at a URL, {@code {{data:name}}} inlines it as a data: URI. */
  public synchronized CogServer file(String name, String mimeType, byte[] bytes) {
    files.put(name, new ServedFile(mimeType, bytes));
    return this;
  }

  /** The output a succeeded prediction returns: any JSON, with file references as {@link #file} says. */
  public synchronized CogServer output(Object template) {
    outputTemplate = template;
    return this;
  }

  /** Input fields a PUT must carry, else 422. */
  public synchronized CogServer requires(String... fields) {
    required = List.of(fields);
    return this;
  }

  /** The first PUT of each prediction has its connection closed this long after it came; the prediction runs on. */
  public synchronized CogServer dropFirstConnectionAfter(Duration d) {
    dropFirstAfter = d;
    return this;
  }

  /** Every PUT is answered with this status (and a short JSON body) instead of a prediction; null: normal. */
  public synchronized CogServer answerPutsWith(Integer status) {
    putStatus = status;
    return this;
  }

  /** What {@code /health-check} says; null: READY, or BUSY while every slot is taken. */
  public synchronized CogServer health(String status) {
    health = status;
    return this;
  }

  public synchronized CogServer slots(int n) {
    slots = n;
    return this;
  }

  // ---- what it saw ----

  /** {@code GET /health-check} requests it answered. */
  public synchronized int healthChecks() {
    return healthChecks;
  }

  /** Predictions it started (a PUT that joined one does not count). */
  public synchronized int predictionsStarted() {
    return runs.size();
  }

  /** PUTs that named this prediction id. */
  public synchronized int puts(String id) {
    return puts.getOrDefault(id, 0);
  }

  /** Ids whose cancel it was asked for, in order. */
  public synchronized List<String> cancels() {
    return List.copyOf(cancels);
  }

  /** The prediction's status, or null when it has none of that id. */
  public synchronized String status(String id) {
    Run r = runs.get(id);
    return r == null ? null : r.status;
  }

  /** The input of the last prediction it started. */
  public synchronized JsonObject lastInput() {
    return lastInput;
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  // ---- the API ----

  private void handle(HttpServerRequest req) {
    String path = req.path();
    Matcher m = PREDICTION.matcher(path);
    if (path.equals("/health-check") && req.method().name().equals("GET")) {
      healthCheck(req);
    } else if (path.startsWith("/files/") && req.method().name().equals("GET")) {
      serveFile(req, path.substring("/files/".length()));
    } else if (m.matches() && m.group(2) == null && req.method().name().equals("PUT")) {
      req.body().onSuccess(body -> put(req, m.group(1), body));
    } else if (m.matches() && m.group(2) != null && req.method().name().equals("POST")) {
      cancel(req, m.group(1));
    } else {
      json(req.response(), 404, new JsonObject().put("detail", "Not Found"));
    }
  }

  private synchronized void healthCheck(HttpServerRequest req) {
    healthChecks++;
    String status = health != null ? health : running() >= slots ? "BUSY" : "READY";
    json(req.response(), 200, new JsonObject().put("status", status).put("setup", new JsonObject().put("status", "succeeded")));
  }

  private synchronized void serveFile(HttpServerRequest req, String name) {
    ServedFile f = files.get(name);
    if (f == null) {
      json(req.response(), 404, new JsonObject().put("detail", "Not Found"));
      return;
    }
    req.response().putHeader("Content-Type", f.mimeType()).end(Buffer.buffer(f.bytes()));
  }

  private synchronized void put(HttpServerRequest req, String id, Buffer body) {
    puts.merge(id, 1, Integer::sum);
    HttpServerResponse resp = req.response();
    if (putStatus != null) {
      json(resp, putStatus, new JsonObject().put("detail", "answered " + putStatus + " as the test asked"));
      return;
    }
    boolean async = "respond-async".equals(req.getHeader("Prefer"));
    Run existing = runs.get(id);
    if (existing != null) {
      // Idempotent: the same id joins the prediction it names instead of starting another.
      if (existing.terminal() || async) json(resp, existing.terminal() ? 200 : 202, existing.json());
      else existing.waiters.add(resp);
      return;
    }
    JsonObject request;
    try {
      request = new JsonObject(body);
    } catch (RuntimeException e) {
      json(resp, 422, detail(List.of("body"), "value is not a valid dict", "type_error.dict"));
      return;
    }
    JsonObject input = request.getJsonObject("input", new JsonObject());
    for (String field : required) {
      if (!input.containsKey(field)) {
        json(resp, 422, detail(List.of("body", "input", field), "field required", "value_error.missing"));
        return;
      }
    }
    if (running() >= slots) {
      json(resp, 409, new JsonObject().put("detail", "Already running a prediction"));
      return;
    }
    Run run = new Run(id, input);
    runs.put(id, run);
    lastInput = input;
    run.timer = vertx.setPeriodic(Math.max(1, runFor.toMillis() / STEPS), t -> step(run));
    if (async) {
      json(resp, 202, new JsonObject().put("id", id).put("status", "starting"));
      return;
    }
    run.waiters.add(resp);
    if (dropFirstAfter != null) vertx.setTimer(dropFirstAfter.toMillis(), t -> req.connection().close());
  }

  private synchronized void step(Run run) {
    if (run.terminal()) return;
    run.step++;
    run.logs.append("step ").append(run.step).append('/').append(STEPS).append('\n');
    if (run.step < STEPS) return;
    vertx.cancelTimer(run.timer);
    switch (ending) {
      case SUCCEED -> {
        run.status = "succeeded";
        run.output = filled(outputTemplate);
        end(run);
      }
      case FAIL -> {
        run.logs.append("Traceback (most recent call last):\n  File \"predict.py\", line 42, in predict\n");
        run.status = "failed";
        run.error = "RuntimeError: CUDA out of memory";
        end(run);
      }
      case HANG -> run.logs.append("still working\n");
    }
  }

  private synchronized void cancel(HttpServerRequest req, String id) {
    cancels.add(id);
    Run run = runs.get(id);
    if (run == null || run.terminal()) {
      json(req.response(), 404, new JsonObject());
      return;
    }
    vertx.cancelTimer(run.timer);
    run.status = "canceled";
    end(run);
    json(req.response(), 200, new JsonObject());
  }

  private void end(Run run) {
    run.completedAt = Instant.now();
    run.predictTime = (System.nanoTime() - run.startedNs) / 1e9;
    for (HttpServerResponse w : run.waiters) {
      if (!w.closed()) json(w, 200, run.json());
    }
    run.waiters.clear();
  }

  private int running() {
    return (int) runs.values().stream().filter(r -> !r.terminal()).count();
  }

  private Object filled(Object node) {
    if (node instanceof String s) {
      Matcher m = FILE_REF.matcher(s);
      if (!m.matches()) return s;
      ServedFile f = files.get(m.group(2));
      if (f == null) throw new IllegalStateException("no file " + m.group(2) + " to serve");
      return m.group(1).equals("url") ? url() + "/files/" + m.group(2)
          : "data:" + f.mimeType() + ";base64," + Base64.getEncoder().encodeToString(f.bytes());
    }
    if (node instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(v -> out.add(filled(v)));
      return out;
    }
    if (node instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      o.forEach(e -> out.put(e.getKey(), filled(e.getValue())));
      return out;
    }
    return node;
  }

  /** FastAPI's validation error. */
  private static JsonObject detail(List<String> loc, String msg, String type) {
    return new JsonObject().put("detail", new JsonArray().add(new JsonObject().put("loc", new JsonArray(loc)).put("msg", msg).put("type", type)));
  }

  private static void json(HttpServerResponse resp, int status, JsonObject body) {
    resp.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toBuffer());
  }
}
