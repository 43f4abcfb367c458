package dev.kiln.launcher;

import dev.kiln.testing.Eventually;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** An API client for tests: what curl would do, with the body as JSON. */
final class Api {
  record Reply(int status, String contentType, String body, java.net.http.HttpHeaders headers) {
    Reply(int status, String contentType, String body) {
      this(status, contentType, body, null);
    }

    String header(String name) {
      return headers == null ? null : headers.firstValue(name).orElse(null);
    }

    JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** One Server-Sent Event as the client sees it. */
  record Sse(long id, String event, JsonObject data) {}

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final String key;
  private final String user;
  private final String bearer;

  Api(int port, String key) {
    this(port, key, null, null);
  }

  private Api(int port, String key, String user, String bearer) {
    this.base = "http://127.0.0.1:" + port;
    this.key = key;
    this.user = user;
    this.bearer = bearer;
  }

  private int port() {
    return Integer.parseInt(base.substring(base.lastIndexOf(':') + 1));
  }

  /** The same client acting for an end user (X-User-Id). */
  Api forUser(String userId) {
    return new Api(port(), key, userId, null);
  }

  Api as(String otherKey) {
    return new Api(port(), otherKey, null, null);
  }

  /** A signed-in end user: Authorization: Bearer, no key. */
  Api withBearer(String token) {
    return new Api(port(), null, null, token);
  }

  /** The bearer token of a signed-in user's client (null for a key's). */
  String bearerToken() {
    return bearer;
  }

  /** No credentials at all. */
  Api anonymous() {
    return new Api(port(), null, null, null);
  }

  private HttpRequest.Builder credentials(HttpRequest.Builder b) {
    if (key != null) b.header("X-Auth-Key", key);
    if (user != null) b.header("X-User-Id", user);
    if (bearer != null) b.header("Authorization", "Bearer " + bearer);
    return b;
  }

  Reply post(String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return send(b);
  }

  Reply post(String path, String contentType, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) b.header("Content-Type", contentType);
    return send(b);
  }

  /** One part of a multipart/form-data body: a field ({@code fileName} null) or a file. */
  record Part(String name, String fileName, String contentType, byte[] bytes) {
    static Part field(String name, String value) {
      return new Part(name, null, null, value.getBytes(StandardCharsets.UTF_8));
    }

    static Part file(String name, String fileName, String contentType, byte[] bytes) {
      return new Part(name, fileName, contentType, bytes);
    }
  }

  /** A multipart/form-data POST, as {@code curl -F} sends it. */
  Reply postMultipart(String path, Part... parts) throws Exception {
    String boundary = "kiln-test-" + java.util.UUID.randomUUID();
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    for (Part p : parts) {
      StringBuilder head = new StringBuilder("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"")
          .append(p.name()).append('"');
      if (p.fileName() != null) head.append("; filename=\"").append(p.fileName()).append('"');
      head.append("\r\n");
      if (p.contentType() != null) head.append("Content-Type: ").append(p.contentType()).append("\r\n");
      body.writeBytes(head.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
      body.writeBytes(p.bytes());
      body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return post(path, "multipart/form-data; boundary=" + boundary, body.toByteArray());
  }

  Reply send(String method, String path, String body) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body)));
  }

  Reply get(String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  byte[] bytes(String path) throws Exception {
    HttpRequest.Builder b = credentials(HttpRequest.newBuilder(URI.create(base + path)).GET().timeout(Duration.ofSeconds(30)));
    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) throw new AssertionError("GET " + path + " answered " + r.statusCode());
    return r.body();
  }

  JsonObject submit(JsonObject task) throws Exception {
    Reply r = post("/api/v1/tasks", task.encode());
    if (r.status() != 202) throw new AssertionError("submit answered " + r.status() + ": " + r.body());
    return r.json();
  }

  JsonObject task(String id) throws Exception {
    Reply r = get("/api/v1/tasks/" + id);
    if (r.status() != 200) throw new AssertionError("GET task answered " + r.status() + ": " + r.body());
    return r.json();
  }

  /** The statuses a task ends in. */
  static final List<String> ENDED = List.of("completed", "failed", "timeout", "cancelled");

  /** Polls GET /api/v1/tasks/{id} until the task has ended (completed, failed, timeout or cancelled); returns it. */
  JsonObject awaitEnded(String taskId, Duration deadline) throws Exception {
    return Eventually.await("task " + taskId + " ended", deadline, () -> {
      JsonObject t = task(taskId);
      return ENDED.contains(t.getString("status")) ? t : null;
    });
  }

  /** Polls GET /api/v1/tasks/{id} until the task has exactly this status; returns it. */
  JsonObject awaitStatus(String taskId, String status, Duration deadline) throws Exception {
    return Eventually.await("task " + taskId + " " + status, deadline, () -> {
      JsonObject t = task(taskId);
      return status.equals(t.getString("status")) ? t : null;
    });
  }

  /** Reads a task's SSE stream until the server ends it (after the terminal event) or the deadline. */
  List<Sse> events(String taskId, Long lastEventId, Duration deadline) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/api/v1/tasks/" + taskId + "/events"))
        .timeout(deadline).GET();
    credentials(b);
    if (lastEventId != null) b.header("Last-Event-ID", String.valueOf(lastEventId));
    HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    List<Sse> out = new ArrayList<>();
    if (r.statusCode() == 204) return out;
    if (r.statusCode() != 200) throw new AssertionError("events answered " + r.statusCode());
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      long id = -1;
      String event = null;
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("id: ")) id = Long.parseLong(line.substring(4));
        else if (line.startsWith("event: ")) event = line.substring(7);
        else if (line.startsWith("data: ")) out.add(new Sse(id, event, new JsonObject(line.substring(6))));
      }
    }
    return out;
  }

  /** An SSE stream read on its own thread into {@link SseStream#events}; for streams that do not end. */
  static final class SseStream implements AutoCloseable {
    final List<Sse> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final InputStream in;

    private SseStream(InputStream in) {
      this.in = in;
      Thread reader = new Thread(this::read, "sse-reader");
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        long id = -1;
        String event = null;
        String line;
        while ((line = r.readLine()) != null) {
          if (line.startsWith("id: ")) id = Long.parseLong(line.substring(4));
          else if (line.startsWith("event: ")) event = line.substring(7);
          else if (line.startsWith("data: ")) events.add(new Sse(id, event, new JsonObject(line.substring(6))));
        }
      } catch (IOException e) {
        // closed by the test
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Opens an SSE stream (returns once the server answered 200). */
  SseStream stream(String path, Long lastEventId) throws Exception {
    HttpRequest.Builder b = credentials(HttpRequest.newBuilder(URI.create(base + path)).GET());
    if (lastEventId != null) b.header("Last-Event-ID", String.valueOf(lastEventId));
    HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() != 200) throw new AssertionError(path + " answered " + r.statusCode());
    return new SseStream(r.body());
  }

  /**
   * How the server answers a stream's opening: a 200's stream is closed at once (its body never
   * ends, so it is not read), any other answer is read whole.
   */
  Reply openStream(String path) throws Exception {
    HttpRequest.Builder b = credentials(HttpRequest.newBuilder(URI.create(base + path)).GET());
    HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = r.body()) {
      String text = r.statusCode() == 200 ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8);
      return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), text, r.headers());
    }
  }

  private Reply send(HttpRequest.Builder b) throws Exception {
    credentials(b);
    HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(), r.headers());
  }
}
