package dev.kiln.launcher;

import static dev.kiln.launcher.BadRequests.ANY_4XX;
import static dev.kiln.launcher.BadRequests.concat;
import static dev.kiln.launcher.BadRequests.get;
import static dev.kiln.launcher.BadRequests.raw;
import static dev.kiln.launcher.BadRequests.request;
import static dev.kiln.launcher.BadRequests.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.launcher.BadRequests.Case;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * DESIGN §7: bad input is a 4xx {@code application/problem+json} with a stable {@code code}, never
 * a 5xx, and leaves no trace in Postgres. Every endpoint gets a sweep of bad requests; input that
 * only looks dangerous (SQL, emoji) is accepted and stored verbatim.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputTest {
  private static final String TASKS = "/api/v1/tasks";
  private static final String UNKNOWN_KEY = "not-a-key-of-this-kiln-000";
  private static final String INJECTION = "'; DROP TABLE tasks; --";
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of());
  /** A real task of the admin's, so the {id} routes have something to refuse around. */
  private static String known;

  static Case submit(String name, String json, int status, String code) {
    return request(name, "POST", TASKS, "application/json", utf8(json), status, code);
  }

  /** A submit whose body is {@code {"tool_action": action, "input": input}}. */
  static Case submit(String name, String action, JsonObject input, int status, String code) {
    return submit(name, new JsonObject().put("tool_action", action).put("input", input).encode(), status, code);
  }

  @BeforeAll
  static void start() throws Exception {
    // When it runs is the dispatcher's business, not this test's: the row counts leave it out.
    known = kiln.api().submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
  }

  static List<Case> rejected() {
    List<Case> c = new ArrayList<>();
    String nowhere = UUID.randomUUID().toString();
    String noop = "{\"tool_action\":\"debug.noop\"}";

    // The body is not a JSON object at all.
    c.add(submit("malformed: unclosed", "{", 400, "malformed_json"));
    c.add(submit("malformed: missing value", "{\"tool_action\": }", 400, "malformed_json"));
    c.add(submit("malformed: single quotes", "{'tool_action':'debug.noop'}", 400, "malformed_json"));
    c.add(submit("malformed: trailing comma", "{\"tool_action\":\"debug.noop\",}", 400, "malformed_json"));
    c.add(submit("malformed: trailing garbage", noop + " garbage", 400, "malformed_json"));
    c.add(submit("malformed: NaN", "{\"tool_action\":\"debug.noop\",\"priority\":NaN}", 400, "malformed_json"));
    c.add(submit("malformed: nested 5000 deep", "{\"input\":" + "[".repeat(5000) + "]".repeat(5000) + "}", 400, "malformed_json"));
    c.add(submit("malformed: 5000-digit number", "{\"priority\":" + "9".repeat(5000) + "}", 400, "malformed_json"));
    c.add(request("malformed: invalid UTF-8", "POST", TASKS, "application/json",
        concat(utf8("{\"tool_action\":\"debug.noop\",\"input\":{\"x\":\""), new byte[] {(byte) 0xC3, (byte) 0x28}, utf8("\"}}")),
        400, "malformed_json"));
    c.add(submit("empty body", "", 400, "malformed_json"));
    c.add(submit("whitespace body", "  \n ", 400, "malformed_json"));
    c.add(submit("array body", "[" + noop + "]", 400, "malformed_json"));
    c.add(submit("string body", "\"debug.noop\"", 400, "malformed_json"));
    c.add(submit("number body", "42", 400, "malformed_json"));
    c.add(submit("null body", "null", 400, "malformed_json"));
    c.add(submit("boolean body", "true", 400, "malformed_json"));

    // tool_action.
    c.add(submit("tool_action missing", "{}", 422, "missing_field"));
    c.add(submit("tool_action missing, input given", "{\"input\":{}}", 422, "missing_field"));
    c.add(submit("tool_action null", "{\"tool_action\":null}", 422, "missing_field"));
    c.add(submit("tool_action number", "{\"tool_action\":42}", 422, "invalid_field"));
    c.add(submit("tool_action object", "{\"tool_action\":{\"name\":\"debug.noop\"}}", 422, "invalid_field"));
    c.add(submit("tool_action array", "{\"tool_action\":[\"debug.noop\"]}", 422, "invalid_field"));
    c.add(submit("tool_action boolean", "{\"tool_action\":true}", 422, "invalid_field"));
    c.add(submit("tool_action empty", "{\"tool_action\":\"\"}", 422, "invalid_field"));
    c.add(submit("tool_action blank", "{\"tool_action\":\"   \"}", 422, "invalid_field"));
    c.add(submit("tool_action 65 chars", "{\"tool_action\":\"" + "a".repeat(65) + "\"}", 422, "invalid_field"));
    c.add(submit("tool_action unknown", "{\"tool_action\":\"video.generate\"}", 422, "unknown_tool_action"));
    c.add(submit("tool_action wrong case", "{\"tool_action\":\"DEBUG.NOOP\"}", 422, "unknown_tool_action"));
    c.add(submit("tool_action padded", "{\"tool_action\":\" debug.noop\"}", 422, "unknown_tool_action"));
    c.add(submit("tool_action SQL injection", new JsonObject().put("tool_action", INJECTION).encode(), 422, "unknown_tool_action"));
    c.add(submit("tool_action SQL tautology", new JsonObject().put("tool_action", "debug.noop' OR '1'='1").encode(),
        422, "unknown_tool_action"));
    c.add(submit("tool_action fullwidth unicode", "{\"tool_action\":\"ｄｅｂｕｇ.ｎｏｏｐ\"}", 422, "unknown_tool_action"));
    c.add(submit("tool_action zero-width space", "{\"tool_action\":\"debug.noop\\u200b\"}", 422, "unknown_tool_action"));
    c.add(submit("tool_action emoji", "{\"tool_action\":\"🔥.generate\"}", 422, "unknown_tool_action"));
    c.add(submit("tool_action NUL", "{\"tool_action\":\"debug.noop\\u0000\"}", 400, "malformed_json"));

    // Top-level fields nobody may set.
    c.add(submit("unknown field", "{\"tool_action\":\"debug.noop\",\"tool_actoin\":\"x\"}", 422, "unknown_field"));
    c.add(submit("status is not the client's", "{\"tool_action\":\"debug.noop\",\"status\":\"completed\"}", 422, "unknown_field"));
    c.add(submit("api_client_id is not the client's", "{\"tool_action\":\"debug.noop\",\"api_client_id\":\"admin\"}",
        422, "unknown_field"));
    c.add(submit("id is not the client's", "{\"tool_action\":\"debug.noop\",\"id\":\"" + known + "\"}", 422, "unknown_field"));

    // input itself.
    c.add(submit("input string", "{\"tool_action\":\"debug.noop\",\"input\":\"x\"}", 422, "invalid_field"));
    c.add(submit("input array", "{\"tool_action\":\"debug.noop\",\"input\":[]}", 422, "invalid_field"));
    c.add(submit("input number", "{\"tool_action\":\"debug.noop\",\"input\":5}", 422, "invalid_field"));
    c.add(submit("input boolean", "{\"tool_action\":\"debug.noop\",\"input\":true}", 422, "invalid_field"));
    // Postgres cannot keep these as sent (U+0000 fails the insert, a lone surrogate becomes '?').
    c.add(submit("image: prompt with NUL", "{\"tool_action\":\"image.generate\",\"input\":{\"prompt\":\"a\\u0000b\"}}",
        400, "malformed_json"));
    c.add(submit("image: prompt with a lone surrogate", "{\"tool_action\":\"image.generate\",\"input\":{\"prompt\":\"a\\ud800b\"}}",
        400, "malformed_json"));
    c.add(submit("image: prompt with a reversed surrogate pair",
        "{\"tool_action\":\"image.generate\",\"input\":{\"prompt\":\"\\udd25\\ud83d\"}}", 400, "malformed_json"));
    c.add(submit("input key with NUL", "{\"tool_action\":\"debug.noop\",\"input\":{\"a\\u0000\":1}}", 400, "malformed_json"));
    c.add(submit("NUL deep in an array", "{\"tool_action\":\"debug.noop\",\"input\":{\"a\":[[\"\\u0000\"]]}}",
        400, "malformed_json"));
    c.add(submit("debug.noop with a field", "debug.noop", new JsonObject().put("x", 1), 422, "invalid_input"));

    // debug.sleep's input.
    c.add(submit("sleep: duration_ms string", "debug.sleep", new JsonObject().put("duration_ms", "1000"), 422, "invalid_input"));
    c.add(submit("sleep: duration_ms negative", "debug.sleep", new JsonObject().put("duration_ms", -1), 422, "invalid_input"));
    c.add(submit("sleep: duration_ms 1e30", "{\"tool_action\":\"debug.sleep\",\"input\":{\"duration_ms\":1e30}}",
        422, "invalid_input"));
    c.add(submit("sleep: duration_ms 30-digit", "{\"tool_action\":\"debug.sleep\",\"input\":{\"duration_ms\":"
        + "123456789012345678901234567890}}", 422, "invalid_input"));
    c.add(submit("sleep: duration_ms 1.5", "{\"tool_action\":\"debug.sleep\",\"input\":{\"duration_ms\":1.5}}",
        422, "invalid_input"));
    c.add(submit("sleep: duration_ms over an hour", "debug.sleep", new JsonObject().put("duration_ms", 3_600_001), 422,
        "invalid_input"));
    c.add(submit("sleep: duration_ms null", "{\"tool_action\":\"debug.sleep\",\"input\":{\"duration_ms\":null}}",
        422, "invalid_input"));
    c.add(submit("sleep: hang string", "debug.sleep", new JsonObject().put("hang", "yes"), 422, "invalid_input"));
    c.add(submit("sleep: progress_steps boolean", "debug.sleep", new JsonObject().put("progress_steps", true), 422,
        "invalid_input"));
    c.add(submit("sleep: unknown field", "debug.sleep", new JsonObject().put("sleep", 5), 422, "invalid_input"));

    // image.generate's input.
    JsonObject fine = new JsonObject().put("prompt", "a kiln");
    c.add(submit("image: no input", "{\"tool_action\":\"image.generate\"}", 422, "invalid_input"));
    c.add(submit("image: missing prompt", "image.generate", new JsonObject().put("width", 512), 422, "invalid_input"));
    c.add(submit("image: empty prompt", "image.generate", new JsonObject().put("prompt", ""), 422, "invalid_input"));
    c.add(submit("image: prompt number", "image.generate", new JsonObject().put("prompt", 42), 422, "invalid_input"));
    c.add(submit("image: prompt null", "{\"tool_action\":\"image.generate\",\"input\":{\"prompt\":null}}", 422, "invalid_input"));
    c.add(submit("image: prompt 5000 chars", "image.generate", new JsonObject().put("prompt", "a".repeat(5000)), 422,
        "invalid_input"));
    c.add(submit("image: width 10", "image.generate", fine.copy().put("width", 10), 422, "invalid_input"));
    c.add(submit("image: width 100000", "image.generate", fine.copy().put("width", 100_000), 422, "invalid_input"));
    c.add(submit("image: width string", "image.generate", fine.copy().put("width", "512"), 422, "invalid_input"));
    c.add(submit("image: height 1.5", "{\"tool_action\":\"image.generate\",\"input\":{\"prompt\":\"a\",\"height\":64.5}}",
        422, "invalid_input"));
    c.add(submit("image: seed negative", "image.generate", fine.copy().put("seed", -1), 422, "invalid_input"));
    c.add(submit("image: guidance_scale string", "image.generate", fine.copy().put("guidance_scale", "high"), 422,
        "invalid_input"));
    c.add(submit("image: unknown field", "image.generate", fine.copy().put("steps", 20), 422, "invalid_input"));
    c.add(submit("image: SQL as a field name", "image.generate", fine.copy().put(INJECTION, 1), 422, "invalid_input"));

    // priority.
    c.add(submit("priority string", "{\"tool_action\":\"debug.noop\",\"priority\":\"high\"}", 422, "invalid_field"));
    c.add(submit("priority boolean", "{\"tool_action\":\"debug.noop\",\"priority\":true}", 422, "invalid_field"));
    c.add(submit("priority object", "{\"tool_action\":\"debug.noop\",\"priority\":{}}", 422, "invalid_field"));
    c.add(submit("priority 1001", "{\"tool_action\":\"debug.noop\",\"priority\":1001}", 422, "invalid_field"));
    c.add(submit("priority -1001", "{\"tool_action\":\"debug.noop\",\"priority\":-1001}", 422, "invalid_field"));
    c.add(submit("priority 1.5", "{\"tool_action\":\"debug.noop\",\"priority\":1.5}", 422, "invalid_field"));
    c.add(submit("priority 1e30", "{\"tool_action\":\"debug.noop\",\"priority\":1e30}", 422, "invalid_field"));
    c.add(submit("priority past long", "{\"tool_action\":\"debug.noop\",\"priority\":99999999999999999999}", 422, "invalid_field"));
    c.add(submit("priority past int", "{\"tool_action\":\"debug.noop\",\"priority\":4294967296}", 422, "invalid_field"));

    // Content-Type and size.
    c.add(request("Content-Type text/plain", "POST", TASKS, "text/plain", utf8(noop), 415, "unsupported_media_type"));
    c.add(request("no Content-Type", "POST", TASKS, null, utf8(noop), 415, "unsupported_media_type"));
    c.add(request("Content-Type form", "POST", TASKS, "application/x-www-form-urlencoded", utf8("tool_action=debug.noop"),
        415, "unsupported_media_type"));
    c.add(request("Content-Type xml", "POST", TASKS, "application/xml", utf8("<task/>"), 415, "unsupported_media_type"));
    byte[] huge = utf8("{\"tool_action\":\"debug.noop\",\"input\":{\"pad\":\"" + "x".repeat(1024 * 1024) + "\"}}");
    c.add(request("body over 1 MiB", "POST", TASKS, "application/json", huge, 413, "payload_too_large"));
    c.add(request("body over 1 MiB as text/plain", "POST", TASKS, "text/plain", huge, 413, "payload_too_large"));

    // Ids in paths.
    String asset = UUID.randomUUID().toString();
    List<String> idRoutes = List.of(TASKS + "/%s", TASKS + "/%s/events", TASKS + "/%s/assets", TASKS + "/%s/assets/" + asset + "/content");
    for (String route : idRoutes) {
      String shape = route.substring(TASKS.length()).replace("%s", "{id}").replace(asset, "{asset_id}");
      c.add(get("GET " + shape + " id not-a-uuid", route.formatted("not-a-uuid"), 400, "invalid_id"));
      c.add(get("GET " + shape + " id 42", route.formatted("42"), 400, "invalid_id"));
      c.add(get("GET " + shape + " id SQL", route.formatted("%27%20OR%201%3D1%20--"), 400, "invalid_id"));
      c.add(get("GET " + shape + " id unicode", route.formatted("%F0%9F%94%A5"), 400, "invalid_id"));
      c.add(get("GET " + shape + " id UUID plus a char", route.formatted(nowhere + "0"), 400, "invalid_id"));
      c.add(get("GET " + shape + " id unknown", route.formatted(nowhere), 404, "not_found"));
    }
    for (String id : List.of("not-a-uuid", "42", "%27%20OR%201%3D1%20--", nowhere + "0")) {
      c.add(request("POST /tasks/{id}/cancel id " + id, "POST", TASKS + "/" + id + "/cancel", null, new byte[0], 400, "invalid_id"));
    }
    c.add(request("POST /tasks/{id}/cancel id unknown", "POST", TASKS + "/" + nowhere + "/cancel", null, new byte[0], 404, "not_found"));
    c.add(get("GET id with an encoded slash", TASKS + "/a%2Fb", 400, "invalid_id"));
    c.add(get("GET asset content asset_id not-a-uuid", TASKS + "/" + known + "/assets/not-a-uuid/content", 400, "invalid_id"));
    c.add(get("GET asset content asset_id unknown", TASKS + "/" + known + "/assets/" + asset + "/content", 404, "not_found"));

    // What java.net.URI refuses to send, or HTTP/2 would refuse before Kiln sees it: raw HTTP/1.1.
    c.add(raw("raw: id with bad percent-encoding", "GET " + TASKS + "/%zz HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: events id with bad percent-encoding", "GET " + TASKS + "/%zz/events HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: assets id with bad percent-encoding", "GET " + TASKS + "/%zz/assets HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: asset_id with bad percent-encoding", "GET " + TASKS + "/" + known + "/assets/%zz/content HTTP/1.1",
        400, "bad_request"));
    c.add(raw("raw: route with bad percent-encoding", "GET /api/v1/%zz HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: POST with bad percent-encoding", "POST " + TASKS + "%zz HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: not HTTP", "GARBAGE", 400, "bad_request"));
    c.add(raw("raw: a 10000-char URL", "GET " + TASKS + "/" + "a".repeat(10_000) + " HTTP/1.1", 414, "uri_too_long"));
    c.add(raw("raw: a 10000-char header", "GET " + TASKS + "/" + known + " HTTP/1.1\r\nX-Pad: " + "p".repeat(10_000),
        431, "headers_too_large"));

    // Last-Event-ID.
    String events = TASKS + "/" + known + "/events";
    c.add(get("Last-Event-ID letters", events, 400, "invalid_last_event_id").header("Last-Event-ID", "abc"));
    c.add(get("Last-Event-ID negative", events, 400, "invalid_last_event_id").header("Last-Event-ID", "-5"));
    c.add(get("Last-Event-ID fraction", events, 400, "invalid_last_event_id").header("Last-Event-ID", "1.5"));
    c.add(get("Last-Event-ID past long", events, 400, "invalid_last_event_id").header("Last-Event-ID", "99999999999999999999"));
    c.add(get("Last-Event-ID SQL", events, 400, "invalid_last_event_id").header("Last-Event-ID", "1; DROP TABLE task_events"));
    c.add(get("last_event_id query letters", events + "?last_event_id=abc", 400, "invalid_last_event_id"));

    // Auth, on every endpoint.
    List<Case> endpoints = List.of(
        submit("POST /tasks", noop, ANY_4XX, null),
        get("GET /tasks/{id}", TASKS + "/" + known, ANY_4XX, null),
        get("GET /tasks/{id}/events", events, ANY_4XX, null),
        get("GET /tasks/{id}/assets", TASKS + "/" + known + "/assets", ANY_4XX, null),
        get("GET /tasks/{id}/assets/{asset_id}/content", TASKS + "/" + known + "/assets/" + asset + "/content", ANY_4XX, null),
        request("POST /tasks/{id}/cancel", "POST", TASKS + "/" + known + "/cancel", null, new byte[0], ANY_4XX, null));
    for (Case e : endpoints) {
      c.add(as(e, "no X-Auth-Key", null));
      c.add(as(e, "unknown X-Auth-Key", UNKNOWN_KEY));
      c.add(as(e, "empty X-Auth-Key", ""));
      c.add(as(e, "X-Auth-Key of 300 chars", "k".repeat(300)));
      c.add(as(e, "X-Auth-Key SQL", "' OR '1'='1"));
      c.add(new Case(e.name() + " X-User-Id with illegal characters", e.method(), e.path(), e.headers(), e.body(),
          400, "invalid_user_id").header("X-User-Id", "bad user!"));
    }
    c.add(submit("X-User-Id slash", noop, 400, "invalid_user_id").header("X-User-Id", "a/b"));
    c.add(submit("X-User-Id SQL", noop, 400, "invalid_user_id").header("X-User-Id", INJECTION));
    c.add(submit("X-User-Id 129 chars", noop, 400, "invalid_user_id").header("X-User-Id", "u".repeat(129)));
    c.add(submit("X-User-Id empty", noop, 400, "invalid_user_id").header("X-User-Id", ""));

    // Routes and methods.
    c.add(get("unknown route", "/api/v1/nope", 404, "not_found"));
    c.add(get("unknown route under a task", TASKS + "/" + known + "/nope", 404, "not_found"));
    c.add(request("POST to a misspelt collection", "POST", "/api/v1/taskz", "application/json", utf8(noop), 404, "not_found"));
    c.add(request("PUT /tasks", "PUT", TASKS, "application/json", utf8(noop), ANY_4XX, null));
    c.add(request("PATCH /tasks/{id}", "PATCH", TASKS + "/" + known, "application/json", utf8("{}"), ANY_4XX, null));
    c.add(request("PUT /tasks/{id}/events", "PUT", events, "application/json", utf8("{}"), ANY_4XX, null));
    return c;
  }

  private static Case as(Case e, String what, String key) {
    return new Case(e.name() + " " + what, e.method(), e.path(), e.headers(), e.body(), 401, "unauthorized").key(key);
  }

  @Order(1)
  @TestFactory
  Stream<DynamicTest> rejectedRequestsAreProblemsAndLeaveNoTrace() throws Exception {
    Map<String, Long> before = counts();
    Stream<DynamicTest> cases = rejected().stream()
        .map(c -> DynamicTest.dynamicTest(c.name(), () -> BadRequests.check(kiln.port(), c)));
    Stream<DynamicTest> after = Stream.of(
        DynamicTest.dynamicTest("the database is unchanged", () -> assertEquals(before, counts())),
        DynamicTest.dynamicTest("the node still takes a valid task", () -> {
          String id = kiln.api().submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
          assertEquals(id, kiln.api().task(id).getString("id"));
        }));
    return Stream.concat(cases, after);
  }

  /** Rows a request could have written; the known task's own are left out, as its run goes on meanwhile. */
  private static Map<String, Long> counts() throws Exception {
    UUID k = UUID.fromString(known);
    Map<String, Long> out = new LinkedHashMap<>();
    try (Sql sql = kiln.sql()) {
      out.put("tasks", sql.count("SELECT count(*) FROM tasks WHERE id <> ?", k));
      for (String t : List.of("task_events", "task_executions", "task_assets")) {
        out.put(t, sql.count("SELECT count(*) FROM " + t + " WHERE task_id <> ?", k));
      }
      out.put("api_clients", sql.count("SELECT count(*) FROM api_clients"));
    }
    return out;
  }

  @Order(2)
  @Test
  void inputThatOnlyLooksDangerousIsAcceptedAndStoredVerbatim() throws Exception {
    List<JsonObject> sent = List.of(
        new JsonObject().put("tool_action", "image.generate").put("input", new JsonObject()
            .put("prompt", INJECTION + " 🔥👩‍👩‍👧 Ünïcödé 画像 \u202Eevil\u202C \"quoted\" \\ back\\slash $1 %s {{x}}")
            .put("negative_prompt", "Robert'); DROP TABLE api_clients;-- 🙂")
            .put("width", 64).put("height", 64).put("seed", 9007199254740991L)),
        new JsonObject().put("tool_action", "image.generate").put("input", new JsonObject()
            .put("prompt", "é".repeat(4000)).put("width", 64).put("height", 64)),
        new JsonObject().put("tool_action", "debug.sleep").put("priority", 1000)
            .put("input", new JsonObject().put("duration_ms", 0).put("progress_steps", 0)),
        new JsonObject().put("tool_action", "debug.noop").put("priority", -1000));
    List<String> ids = new ArrayList<>();
    for (JsonObject task : sent) {
      JsonObject created = kiln.api().submit(task);
      assertEquals(task.getJsonObject("input", new JsonObject()), created.getJsonObject("input"), "echoed input of " + task);
      ids.add(created.getString("id"));
    }
    try (Sql sql = kiln.sql()) {
      for (int i = 0; i < sent.size(); i++) {
        Map<String, Object> row = sql.rows("SELECT tool_action, priority, input::text AS input FROM tasks WHERE id = ?",
            UUID.fromString(ids.get(i))).get(0);
        JsonObject task = sent.get(i);
        assertEquals(task.getString("tool_action"), row.get("tool_action"));
        assertEquals(task.getInteger("priority", 0), row.get("priority"));
        assertEquals(task.getJsonObject("input", new JsonObject()), new JsonObject((String) row.get("input")),
            "stored input of " + task);
        assertEquals(task.getJsonObject("input", new JsonObject()), kiln.api().task(ids.get(i)).getJsonObject("input"),
            "input as GET shows it");
      }
      assertTrue(sql.count("SELECT count(*) FROM api_clients") >= 1, "api_clients survived");
    }
  }
}
