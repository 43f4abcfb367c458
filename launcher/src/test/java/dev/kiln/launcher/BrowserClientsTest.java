package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Browser clients (issue 14): CORS for the listed origin only, with preflights answered before
 * authentication; SSE by stream token; a completed task's outputs inline with absolute signed
 * URLs (KILN_PUBLIC_URL), also in its completed event and webhook; and a real Chromium on
 * another origin doing it all, while the same page from an origin not on the list cannot.
 */
class BrowserClientsTest {
  static final String SIGNING_KEY = "test-signing-key-0123456789";
  static final int PORT = freePort();
  static final int PAGE_PORT = freePort();
  /** The page's origin, the one on the list. The same page from http://localhost:PAGE_PORT is another origin. */
  static final String ORIGIN = "http://127.0.0.1:" + PAGE_PORT;
  static final String OTHER_ORIGIN = "http://localhost:" + PAGE_PORT;
  static final String PUBLIC_URL = "http://127.0.0.1:" + PORT;

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of(
      "KILN_HTTP_PORT", String.valueOf(PORT),
      "KILN_CORS_ORIGINS", ORIGIN + ", https://app.example.com",
      "KILN_PUBLIC_URL", PUBLIC_URL + "/",
      "KILN_SIGNING_KEY", SIGNING_KEY,
      "KILN_WEBHOOK_PRIVATE_ADDRESSES", "true"));

  private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static HttpServer pages;
  private static final List<String> hooks = new CopyOnWriteArrayList<>();

  private static int freePort() {
    try {
      return EmbeddedStores.freePort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The page's server (every interface: "localhost" may be ::1 to Chromium), and a webhook receiver beside it. */
  @BeforeAll
  static void servePage() throws Exception {
    byte[] page = Files.readAllBytes(NodeTools.toolsDir().resolve("e2e/cross-origin.html"));
    pages = HttpServer.create(new InetSocketAddress(PAGE_PORT), 0);
    pages.createContext("/", ex -> {
      ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
      ex.sendResponseHeaders(200, page.length);
      ex.getResponseBody().write(page);
      ex.close();
    });
    pages.createContext("/hook", ex -> {
      hooks.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    pages.start();
  }

  @AfterAll
  static void stopPage() {
    if (pages != null) pages.stop(0);
  }

  private static HttpResponse<String> call(String method, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(path.startsWith("http") ? path : PUBLIC_URL + path))
        .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i + 1 < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] download(String url, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
    for (int i = 0; i + 1 < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), url);
    return r.body();
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  private static long rows(String table) throws Exception {
    try (Sql sql = kiln.sql()) {
      return sql.count("SELECT count(*) FROM " + table);
    }
  }

  private static String streamToken(Api as) throws Exception {
    Api.Reply r = as.post("/api/v1/auth/stream-tokens", "");
    assertEquals(201, r.status(), r.body());
    assertTrue(java.time.Instant.parse(r.json().getString("expires_at")).isAfter(java.time.Instant.now()));
    return r.json().getString("stream_token");
  }

  private static JsonObject completedImage(String webhookUrl) throws Exception {
    JsonObject task = new JsonObject().put("tool_action", "image.generate").put("input", new JsonObject().put("prompt", "a kiln"));
    if (webhookUrl != null) task.put("webhook_url", webhookUrl);
    String id = kiln.api().submit(task).getString("id");
    JsonObject done = kiln.api().awaitEnded(id, Duration.ofSeconds(60));
    assertEquals("completed", done.getString("status"), done.encode());
    return done;
  }

  // ---- the dashboard ----

  /** Signed URLs are absolute on KILN_PUBLIC_URL: the dashboard's images and models load from its origin. */
  @Test
  void theDashboardMayLoadAssetsFromThePublicUrlsOrigin() throws Exception {
    HttpResponse<String> r = call("GET", "/");
    assertEquals(200, r.statusCode());
    String csp = header(r, "Content-Security-Policy");
    assertTrue(csp.contains("img-src 'self' " + PUBLIC_URL + " blob: data:;"), csp);
    assertTrue(csp.contains("connect-src 'self' " + PUBLIC_URL + " blob: data:;"), csp);
    assertTrue(csp.contains("script-src 'self';"), "scripts stay the page's own: " + csp);
  }

  // ---- CORS ----

  @Test
  void aPreflightFromTheListedOriginIsAnsweredWithoutAKeyAndChangesNothing() throws Exception {
    long tasks = rows("tasks");
    HttpResponse<String> r = call("OPTIONS", "/api/v1/tasks", "Origin", ORIGIN, "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "x-auth-key,content-type,idempotency-key");
    assertEquals(204, r.statusCode(), r.body());
    assertEquals(ORIGIN, header(r, "Access-Control-Allow-Origin"));
    assertTrue(header(r, "Access-Control-Allow-Methods").contains("POST"), header(r, "Access-Control-Allow-Methods"));
    String allowed = header(r, "Access-Control-Allow-Headers").toLowerCase();
    for (String h : List.of("x-auth-key", "authorization", "content-type", "idempotency-key", "last-event-id")) {
      assertTrue(allowed.contains(h), h + " in " + allowed);
    }
    assertEquals("600", header(r, "Access-Control-Max-Age"));
    assertNull(header(r, "Access-Control-Allow-Credentials"), "no cookies: keys and tokens are headers and query");
    assertEquals(tasks, rows("tasks"), "a preflight submits nothing");
  }

  @Test
  void aPreflightFromAnOriginNotOnTheListGetsNoCorsHeaders() throws Exception {
    HttpResponse<String> r = call("OPTIONS", "/api/v1/tasks", "Origin", OTHER_ORIGIN, "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "x-auth-key");
    assertEquals(204, r.statusCode());
    assertNull(header(r, "Access-Control-Allow-Origin"));
    assertNull(header(r, "Access-Control-Allow-Methods"));
  }

  @Test
  void actualRequestsCarryCorsHeadersForTheListedOriginOnly() throws Exception {
    HttpResponse<String> listed = call("GET", "/api/v1/me", "Origin", ORIGIN, "X-Auth-Key", KilnNode.ADMIN_KEY);
    assertEquals(200, listed.statusCode(), listed.body());
    assertEquals(ORIGIN, header(listed, "Access-Control-Allow-Origin"));
    String exposed = header(listed, "Access-Control-Expose-Headers");
    for (String h : List.of("Location", "Retry-After", "Idempotent-Replayed")) assertTrue(exposed.contains(h), h + " in " + exposed);
    assertTrue(header(listed, "Vary").contains("Origin"), "a cache keeps answers per Origin");

    HttpResponse<String> other = call("GET", "/api/v1/me", "Origin", OTHER_ORIGIN, "X-Auth-Key", KilnNode.ADMIN_KEY);
    assertEquals(200, other.statusCode(), "not refused (its browser keeps the answer from the page)");
    assertNull(header(other, "Access-Control-Allow-Origin"));

    HttpResponse<String> none = call("GET", "/api/v1/me", "X-Auth-Key", KilnNode.ADMIN_KEY);
    assertEquals(200, none.statusCode());
    assertNull(header(none, "Access-Control-Allow-Origin"));

    // A problem is readable by the listed page too: it learns why.
    HttpResponse<String> unauthorized = call("GET", "/api/v1/me", "Origin", ORIGIN);
    assertEquals(401, unauthorized.statusCode());
    assertEquals(ORIGIN, header(unauthorized, "Access-Control-Allow-Origin"));
    assertEquals("unauthorized", new JsonObject(unauthorized.body()).getString("code"));
  }

  @Test
  void anOptionsRequestThatIsNoPreflightStillNeedsAKey() throws Exception {
    HttpResponse<String> r = call("OPTIONS", "/api/v1/tasks", "Origin", ORIGIN);
    assertEquals(401, r.statusCode(), r.body());
  }

  // ---- stream tokens ----

  @Test
  void aStreamTokenAloneFollowsATaskToCompletionWithItsOutputs() throws Exception {
    String token = streamToken(kiln.api());
    String id = kiln.api().submit(new JsonObject().put("tool_action", "image.generate")
        .put("input", new JsonObject().put("prompt", "streamed"))).getString("id");
    HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(
        URI.create(PUBLIC_URL + "/api/v1/tasks/" + id + "/events?stream_token=" + token)).timeout(Duration.ofSeconds(60)).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    List<String> types = new java.util.ArrayList<>();
    JsonObject completed = null;
    try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String event = null;
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("event: ")) event = line.substring(7);
        if (line.startsWith("data: ")) {
          types.add(event);
          if ("completed".equals(event)) completed = new JsonObject(line.substring(6));
        }
      }
    }
    assertEquals("created", types.get(0), types.toString());
    assertEquals("completed", types.get(types.size() - 1), types.toString());
    assertNotNull(completed);
    JsonArray outputs = completed.getJsonObject("result").getJsonArray("outputs");
    assertEquals(kiln.api().task(id).getJsonObject("result").getJsonArray("outputs").size(), outputs.size());
    assertFalse(outputs.isEmpty());
    for (Object o : outputs) {
      JsonObject out = (JsonObject) o;
      assertTrue(out.getString("url").startsWith(PUBLIC_URL + "/api/v1/assets/"), out.encode());
      assertArrayEquals(download(PUBLIC_URL + "/api/v1/tasks/" + id + "/assets/" + out.getString("asset_id") + "/content",
          "X-Auth-Key", KilnNode.ADMIN_KEY), download(out.getString("url")), "the event's url is the asset's bytes");
    }
  }

  @Test
  void theOtherStreamsTakeATokenAndNothingElseDoes() throws Exception {
    String token = streamToken(kiln.api());
    assertEquals(200, kiln.api().anonymous().openStream("/api/v1/events?stream_token=" + token).status());
    // the token names no request: the request route's own 404 (past authentication), not a 401
    Api.Reply request = kiln.api().anonymous().openStream("/api/v1/generation-requests/" + java.util.UUID.randomUUID()
        + "/events?stream_token=" + token);
    assertEquals(404, request.status(), request.body());

    JsonObject done = completedImage(null);
    Api.Reply task = kiln.api().anonymous().get("/api/v1/tasks/" + done.getString("id") + "?stream_token=" + token);
    assertEquals(401, task.status());
    assertEquals("stream_token_not_accepted", task.json().getString("code"));
    Api.Reply submit = kiln.api().anonymous().post("/api/v1/tasks?stream_token=" + token, "{\"tool_action\":\"debug.noop\"}");
    assertEquals(401, submit.status());
    assertEquals("stream_token_not_accepted", submit.json().getString("code"));
    Api.Reply both = kiln.api().openStream("/api/v1/events?stream_token=" + token);
    assertEquals(400, both.status());
    assertEquals("ambiguous_credentials", both.json().getString("code"));
  }

  @Test
  void anExpiredOrAlteredTokenIsRefusedWithItsOwnCode() throws Exception {
    String token = streamToken(kiln.api());
    String body = token.substring(0, token.indexOf('.'));
    JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(body), StandardCharsets.UTF_8));
    assertEquals("admin", claims.getString("c"), "the token names its caller");
    // Signed with the cluster's own key (the test knows it), but an hour ago.
    long past = System.currentTimeMillis() / 1000 - 3_600;
    String expiredBody = b64(claims.copy().put("e", past));
    String expired = expiredBody + "." + new AssetUrls(SIGNING_KEY, 60).signature("stream-token/" + expiredBody, past);
    assertProblem("/api/v1/events?stream_token=" + expired, 401, "stream_token_expired");

    // A client's token turned into another's: the signature no longer fits.
    String forged = b64(claims.copy().put("c", "key_someoneelse")) + token.substring(token.indexOf('.'));
    assertProblem("/api/v1/events?stream_token=" + forged, 401, "invalid_stream_token");
    assertProblem("/api/v1/events?stream_token=" + token.substring(0, token.length() - 2) + "xx", 401, "invalid_stream_token");
    assertProblem("/api/v1/events?stream_token=garbage", 401, "invalid_stream_token");
    // Another key's signature (a node of another cluster) is no token here.
    String otherKey = body + "." + new AssetUrls("another-signing-key-0123", 60).signature("stream-token/" + body, claims.getLong("e"));
    assertProblem("/api/v1/events?stream_token=" + otherKey, 401, "invalid_stream_token");
  }

  @Test
  void aTokenOfARevokedClientOrAnEndedSessionIsRefusedAtConnect() throws Exception {
    Api.Reply made = kiln.api().post("/api/v1/admin/clients",
        new JsonObject().put("display_name", "browser app").put("role", "third_party").encode());
    assertEquals(201, made.status(), made.body());
    Api app = kiln.api().as(made.json().getString("api_key"));
    String appToken = streamToken(app);
    assertEquals(200, kiln.api().anonymous().openStream("/api/v1/events?stream_token=" + appToken).status());
    assertEquals(204, kiln.api().send("DELETE", "/api/v1/admin/clients/" + made.json().getString("id"), "").status());
    assertProblem("/api/v1/events?stream_token=" + appToken, 401, "stream_token_revoked");

    Api user = kiln.signedIn("stream-token@example.com");
    String userToken = streamToken(user);
    assertEquals(200, kiln.api().anonymous().openStream("/api/v1/events?stream_token=" + userToken).status());
    assertEquals(204, user.post("/api/v1/auth/logout", "").status());
    assertProblem("/api/v1/events?stream_token=" + userToken, 401, "stream_token_revoked");
  }

  private static String b64(JsonObject claims) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
  }

  private static void assertProblem(String path, int status, String code) throws Exception {
    Api.Reply r = kiln.api().anonymous().openStream(path);
    assertEquals(status, r.status(), path + ": " + r.body());
    assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
    assertEquals(code, r.json().getString("code"), r.body());
  }

  // ---- outputs inline ----

  @Test
  void aCompletedTaskListsItsOutputsWithAbsoluteUrlsThatServeTheAssetsBytes() throws Exception {
    JsonObject done = completedImage(null);
    String id = done.getString("id");
    JsonArray outputs = done.getJsonObject("result").getJsonArray("outputs");
    JsonArray assets = kiln.api().get("/api/v1/tasks/" + id + "/assets").json().getJsonArray("items");
    Map<String, JsonObject> byId = new HashMap<>();
    for (Object o : assets) byId.put(((JsonObject) o).getString("id"), (JsonObject) o);
    assertFalse(outputs.isEmpty(), done.encode());
    for (Object o : outputs) {
      JsonObject out = (JsonObject) o;
      JsonObject asset = byId.get(out.getString("asset_id"));
      assertNotNull(asset, "an output is one of the task's assets: " + out.encode());
      assertEquals(asset.getString("asset_type"), out.getString("kind"));
      assertEquals(asset.getString("mime_type"), out.getString("mime_type"));
      assertEquals(asset.getInteger("width"), out.getInteger("width"));
      assertEquals(asset.getInteger("height"), out.getInteger("height"));
      assertEquals(asset.getLong("size_bytes"), out.getLong("size_bytes"));
      assertTrue(out.getString("url").startsWith(PUBLIC_URL + "/api/v1/assets/"), "absolute: " + out.getString("url"));
      assertTrue(asset.getString("url").startsWith(PUBLIC_URL + "/api/v1/assets/"), "every signed url: " + asset.getString("url"));
      byte[] bytes = download(out.getString("url"));
      assertEquals(out.getLong("size_bytes"), (long) bytes.length);
      assertArrayEquals(download(PUBLIC_URL + "/api/v1/tasks/" + id + "/assets/" + out.getString("asset_id") + "/content",
          "X-Auth-Key", KilnNode.ADMIN_KEY), bytes);
    }
    long outputRows = assets.stream().filter(a -> !"input".equals(((JsonObject) a).getString("asset_type"))).count();
    assertEquals(outputRows, outputs.size(), "every output and preview is listed");
  }

  @Test
  void theWebhookBodyListsTheOutputs() throws Exception {
    JsonObject done = completedImage("http://127.0.0.1:" + PAGE_PORT + "/hook");
    String id = done.getString("id");
    JsonObject task = Eventually.await("the webhook", Duration.ofSeconds(30), () -> hooks.stream().map(JsonObject::new)
        .map(b -> b.getJsonObject("task")).filter(t -> id.equals(t.getString("id"))).findFirst().orElse(null));
    JsonArray outputs = task.getJsonObject("result").getJsonArray("outputs");
    assertEquals(done.getJsonObject("result").getJsonArray("outputs").size(), outputs.size());
    for (Object o : outputs) {
      JsonObject out = (JsonObject) o;
      assertTrue(out.getString("url").startsWith(PUBLIC_URL + "/api/v1/assets/"), out.encode());
      assertEquals(out.getLong("size_bytes"), (long) download(out.getString("url")).length);
    }
  }

  @Test
  void aSignedUrlWhoseFileIsGoneIsNotCachedWhileAGoodOneIs() throws Exception {
    JsonObject done = completedImage(null);
    JsonObject out = done.getJsonObject("result").getJsonArray("outputs").getJsonObject(0);
    HttpResponse<String> good = call("GET", out.getString("url"));
    assertEquals(200, good.statusCode());
    assertTrue(header(good, "Cache-Control").matches("private, max-age=\\d+"), header(good, "Cache-Control"));
    try (Sql sql = kiln.sql()) {
      String key = (String) sql.rows("SELECT object_key FROM task_assets WHERE id = ?::uuid", out.getString("asset_id")).get(0).get("object_key");
      Files.delete(kiln.node().dataDir.resolve("assets").resolve(key));
    }
    HttpResponse<String> gone = call("GET", out.getString("url"));
    assertEquals(404, gone.statusCode(), gone.body());
    assertEquals("no-store", header(gone, "Cache-Control"));
  }

  // ---- a real browser on another origin ----

  @Test
  void aPageOnTheListedOriginSubmitsAndFollowsATaskInChromium() throws Exception {
    NodeTools.Result r = NodeTools.node(Map.of(), Duration.ofSeconds(120), "e2e/cross-origin.mjs",
        ORIGIN + "/?kiln=" + PUBLIC_URL + "&key=" + KilnNode.ADMIN_KEY);
    assertEquals(0, r.exitCode(), r.output());
    String title = new JsonObject(r.output().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow())
        .getString("title");
    assertTrue(title.matches("done:completed:[0-9a-f-]{36}:created,started,(progress,)?completed:output-ok"), r.output());
    String id = title.split(":")[2];
    assertEquals("completed", kiln.api().task(id).getString("status"));
  }

  @Test
  void theSamePageOnAnOriginNotOnTheListCannotCallTheApi() throws Exception {
    long tasks = rows("tasks");
    NodeTools.Result r = NodeTools.node(Map.of(), Duration.ofSeconds(120), "e2e/cross-origin.mjs",
        OTHER_ORIGIN + "/?kiln=" + PUBLIC_URL + "&key=" + KilnNode.ADMIN_KEY);
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("\"title\":\"done:fetch-failed\""), r.output());
    assertEquals(tasks, rows("tasks"), "the preflight failed, so the POST was never sent");
  }
}
