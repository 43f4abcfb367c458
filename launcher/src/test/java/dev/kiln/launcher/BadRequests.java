package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The machinery of the bad-input sweeps ({@link BadInputTest}, {@link ApiBadInputTest}): a
 * {@link Case} is one request and the problem it must earn; {@link #check} sends it and holds the
 * answer to DESIGN §7 (that status, {@code application/problem+json}, the body's status, that code).
 */
final class BadRequests {
  /** Any 4xx will do (wrong methods and the empty id: Vert.x may answer 404 or 405). */
  static final int ANY_4XX = 0;
  /** The method of a {@link #raw} case. */
  static final String RAW = "RAW";

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private BadRequests() {}

  /** One request and the problem it must earn. A null header value means "do not send it". */
  record Case(String name, String method, String path, Map<String, String> headers, byte[] body, int status, String code) {
    Case header(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Case(this.name, method, path, h, body, status, code);
    }

    Case key(String key) {
      return header("X-Auth-Key", key);
    }

    /** The same request under another name, earning another problem. */
    Case expect(String name, int status, String code) {
      return new Case(name, method, path, headers, body, status, code);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** What came back, whichever way it was sent. */
  record Answer(int status, String contentType, String body) {}

  /** A request as the admin (a null contentType: no Content-Type header). */
  static Case request(String name, String method, String path, String contentType, byte[] body, int status, String code) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("X-Auth-Key", KilnNode.ADMIN_KEY);
    h.put("Content-Type", contentType);
    return new Case(name, method, path, h, body, status, code);
  }

  static Case get(String name, String path, int status, String code) {
    return request(name, "GET", path, null, null, status, code);
  }

  /** Sent as-is on a socket: {@code head} is the request line (and any headers), auth is added. */
  static Case raw(String name, String head, int status, String code) {
    String request = head + "\r\nHost: kiln\r\nX-Auth-Key: " + KilnNode.ADMIN_KEY + "\r\nConnection: close\r\n\r\n";
    return new Case(name, RAW, "", Map.of(), utf8(request), status, code);
  }

  /** Sends the case to the node on {@code port} and checks the problem it earns. */
  /**
   * A sweep as dynamic tests: every case (names unique), then {@code unchanged} (what the cases
   * must not have changed), then the checks that the node still works.
   */
  static java.util.stream.Stream<org.junit.jupiter.api.DynamicTest> sweep(int port, java.util.List<Case> all, String unchangedName,
      org.junit.jupiter.api.function.Executable unchanged, org.junit.jupiter.api.DynamicTest... after) {
    java.util.Set<String> names = new java.util.HashSet<>();
    for (Case x : all) {
      if (!names.add(x.name())) throw new IllegalStateException("two cases named " + x.name());
    }
    return java.util.stream.Stream.concat(
        all.stream().map(x -> org.junit.jupiter.api.DynamicTest.dynamicTest(x.name(), () -> check(port, x))),
        java.util.stream.Stream.concat(java.util.stream.Stream.of(org.junit.jupiter.api.DynamicTest.dynamicTest(unchangedName, unchanged)),
            java.util.stream.Stream.of(after)));
  }

  static void check(int port, Case c) throws Exception {
    Answer r;
    try {
      r = c.method().equals(RAW) ? sendRaw(port, c.body()) : send(port, c);
    } catch (IOException e) {
      throw new AssertionError(c.name() + ": no answer: " + e, e);
    }
    int s = r.status();
    if (c.status() == ANY_4XX) {
      assertTrue(s >= 400 && s < 500, c.name() + ": want a 4xx, got " + s + ": " + r.body());
    } else {
      assertEquals(c.status(), s, c.name() + ": status; body " + r.body());
    }
    assertTrue(r.contentType().startsWith("application/problem+json"), c.name() + ": Content-Type " + r.contentType());
    JsonObject problem = new JsonObject(r.body());
    assertEquals(s, problem.getInteger("status"), c.name() + ": body status");
    String code = c.code() != null ? c.code() : s == 405 ? "method_not_allowed" : s == 404 ? "not_found" : problem.getString("code");
    assertEquals(code, problem.getString("code"), c.name() + ": code; body " + r.body());
    assertTrue(code != null && !code.isBlank(), c.name() + ": a code");
  }

  static Answer send(int port, Case c) throws Exception {
    HttpRequest.BodyPublisher body = c.body() == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(c.body());
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + c.path()))
        .timeout(Duration.ofSeconds(30)).method(c.method(), body);
    c.headers().forEach((k, v) -> {
      if (v != null) b.header(k, v);
    });
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
  }

  /** One request on its own connection; the server closes it after the answer. */
  static Answer sendRaw(int port, byte[] request) throws IOException {
    try (Socket so = new Socket("127.0.0.1", port)) {
      so.setSoTimeout(30_000);
      so.getOutputStream().write(request);
      String all = new String(so.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int end = all.indexOf("\r\n\r\n");
      if (end < 0) throw new IOException("no complete answer: " + all);
      String[] head = all.substring(0, end).split("\r\n");
      String type = "";
      for (String h : head) {
        if (h.toLowerCase().startsWith("content-type:")) type = h.substring(h.indexOf(':') + 1).trim();
      }
      return new Answer(Integer.parseInt(head[0].split(" ")[1]), type, all.substring(end + 4));
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }
}
