package dev.kiln.launcher;

import static dev.kiln.launcher.BadRequests.ANY_4XX;
import static dev.kiln.launcher.BadRequests.concat;
import static dev.kiln.launcher.BadRequests.get;
import static dev.kiln.launcher.BadRequests.raw;
import static dev.kiln.launcher.BadRequests.request;
import static dev.kiln.launcher.BadRequests.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.launcher.BadRequests.Case;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * DESIGN §7 for the rest of the API ({@link BadInputTest} has POST /tasks and the task's own
 * routes): task actions and the task list, batches and history, the caller and its wallet,
 * sign-in, files, signed asset URLs and the admin API. Every bad request is a 4xx
 * {@code application/problem+json} with a stable {@code code}, and none leaves a trace in Postgres.
 */
class ApiBadInputTest {
  private static final String API = "/api/v1";
  private static final String UNKNOWN_KEY = "not-a-key-of-this-kiln-000";
  private static final String INJECTION = "'; DROP TABLE tasks; --";
  /** Set on the node, so the test can sign asset URLs of its own (authentic, yet refused). */
  private static final String SIGNING_KEY = "api-bad-input-signing-key-0123456789";
  /** Path segments that are no UUID, as sent (percent-encoded). */
  private static final Map<String, String> NOT_UUIDS = new LinkedHashMap<>();
  /** Tables a request could write; queue_configs is compared whole, below. */
  private static final List<String> TABLES = List.of("tasks", "task_events", "task_executions", "task_assets",
      "task_batches", "files", "api_clients", "wallets", "credit_ledger", "email_verification_codes", "users",
      "user_sessions", "webhook_deliveries", "generation_requests", "generated_images", "models", "task_configs");
  /** Tables whose rows an action changes in place (retry, restore, delete, cancel, revoke, grant). */
  private static final List<String> UPDATED = List.of("tasks", "task_batches", "api_clients", "wallets", "files",
      "generation_requests", "generated_images", "models", "task_configs");

  static {
    NOT_UUIDS.put("not-a-uuid", "not-a-uuid");
    NOT_UUIDS.put("42", "42");
    NOT_UUIDS.put("SQL", "%27%20OR%201%3D1%20--");
    NOT_UUIDS.put("emoji", "%F0%9F%94%A5");
  }

  // The per-user rate limit off: the sweep sends a signed-in user's cases faster than 20 a second,
  // and a 429 there would stand for the answer under test (IdempotencyAndLimitsTest tests the limits).
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_SIGNING_KEY", SIGNING_KEY,
      "KILN_RATE_LIMIT_USER", "0"));
  /** A finished task and a finished batch of the admin's, for the {id} routes to refuse around. */
  private static String knownTask;
  private static String knownBatch;
  /** A generation request of the admin's awaiting its pick, and one that was cancelled (past picking). */
  private static String knownRequest;
  private static String cancelledRequest;
  /** The known batch's metadata.batch_id: its owner's name for it. */
  private static final String KNOWN_BATCH_NAME = java.util.UUID.randomUUID().toString();
  /** A MANUAL task config of the admin's (it never fires by itself), for the {id} routes and PUTs to refuse around. */
  private static long knownConfig;
  /** A third_party client's key: may not act for end users, may not use the admin API. */
  private static String thirdPartyKey;
  /** The bearer token of a signed-in end user: not an admin, and not the owner of the known task. */
  private static String userToken;

  @BeforeAll
  static void start() throws Exception {
    knownTask = kiln.api().submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    Api.Reply batch = kiln.api().post(API + "/batches", new JsonObject().put("prompt", "a known batch").put("width", 64)
        .put("height", 64).put("num_inference_steps", 1).put("batch_size", 1)
        .put("metadata", new JsonObject().put("batch_id", KNOWN_BATCH_NAME)).encode());
    assertEquals(202, batch.status(), batch.body());
    knownBatch = batch.json().getString("id");
    knownRequest = kiln.api().post(API + "/generation-requests", "{\"prompt\":\"a known request\",\"width\":64,\"height\":64,"
        + "\"image_count\":2}").json().getString("id");
    cancelledRequest = kiln.api().post(API + "/generation-requests", "{\"prompt\":\"a cancelled request\",\"width\":64,"
        + "\"height\":64,\"image_count\":1}").json().getString("id");
    assertEquals(200, kiln.api().post(API + "/generation-requests/" + cancelledRequest + "/cancel", "").status());
    Api.Reply config = kiln.api().post(API + "/admin/task-configs", "{\"name\":\"known\",\"task_type\":\"debug.noop\","
        + "\"scheduler_type\":\"MANUAL\"}");
    assertEquals(201, config.status(), config.body());
    knownConfig = config.json().getLong("id");
    Api.Reply client = kiln.api().post(API + "/admin/clients", "{\"display_name\": \"bad input\", \"role\": \"third_party\"}");
    assertEquals(201, client.status(), client.body());
    thirdPartyKey = client.json().getString("api_key");
    // Their first use registers the seeded key: before the sweep, not in it.
    assertEquals(200, kiln.api().as(KilnNode.FIRST_PARTY_KEY).get(API + "/me").status());
    assertEquals(200, kiln.api().as(thirdPartyKey).get(API + "/me").status());
    userToken = signIn("bad-input-user@example.com");
    // Settled, so nothing but the sweep could change the database while it runs.
    kiln.api().awaitStatus(knownTask, "completed", Duration.ofSeconds(30));
    Eventually.await("the known batch ends", Duration.ofSeconds(60),
        () -> "completed".equals(kiln.api().get(API + "/batches/" + knownBatch).json().getString("status")));
    Eventually.await("the known request awaits its pick", Duration.ofSeconds(60),
        () -> "AWAITING_SELECTION".equals(kiln.api().get(API + "/generation-requests/" + knownRequest).json().getString("phase")));
  }

  /** Signs an end user in by e-mailed code, read from the outbox the node keeps without an SMTP relay. */
  private static String signIn(String email) throws Exception {
    Api anon = kiln.api().anonymous();
    Api.Reply asked = anon.post(API + "/auth/email-code", new JsonObject().put("email", email).encode());
    assertEquals(202, asked.status(), asked.body());
    Path outbox = kiln.node().dataDir.resolve("mail").resolve("outbox.txt");
    Pattern mail = Pattern.compile("To: " + Pattern.quote(email) + "\\nSubject: [^\\n]*?(\\d{6})");
    String code = Eventually.await("the sign-in code", Duration.ofSeconds(10), () -> {
      if (!Files.exists(outbox)) return null;
      Matcher m = mail.matcher(Files.readString(outbox));
      return m.find() ? m.group(1) : null;
    });
    Api.Reply verified = anon.post(API + "/auth/verify", new JsonObject().put("email", email).put("code", code).encode());
    assertEquals(200, verified.status(), verified.body());
    return verified.json().getString("access_token");
  }

  private static Case json(String name, String method, String path, String body, int status, String code) {
    return request(name, method, path, "application/json", utf8(body), status, code);
  }

  /** A POST without a body. */
  private static Case post(String name, String path, int status, String code) {
    return request(name, "POST", path, null, new byte[0], status, code);
  }

  private static Case delete(String name, String path, int status, String code) {
    return request(name, "DELETE", path, null, null, status, code);
  }

  /** {@code valid} with one more field: {@code "k": v} (v as JSON text). */
  private static String with(String valid, String k, String v) {
    String field = new JsonObject().put(k, 0).encode();
    field = field.substring(1, field.length() - 2) + v;
    return valid.equals("{}") ? "{" + field + "}" : valid.substring(0, valid.length() - 1) + "," + field + "}";
  }

  /**
   * What every JSON-body route refuses before it looks at a field: a body that is no JSON
   * object, text Postgres could not keep, unknown fields, the wrong Content-Type, over 1 MiB.
   * {@code valid} is a body the route would take; {@code key} null sends no credentials.
   */
  static void bodies(List<Case> c, String route, String method, String path, String valid, String key) {
    List<Case> s = new ArrayList<>();
    s.add(json("malformed: unclosed", method, path, "{", 400, "malformed_json"));
    s.add(json("malformed: unclosed string", method, path, "{\"a\": \"b", 400, "malformed_json"));
    s.add(json("malformed: single quotes", method, path, valid.replace('"', '\''), 400, "malformed_json"));
    s.add(json("malformed: trailing comma", method, path, valid.substring(0, valid.length() - 1) + ",}", 400, "malformed_json"));
    s.add(json("malformed: trailing garbage", method, path, valid + " garbage", 400, "malformed_json"));
    s.add(json("malformed: two objects", method, path, valid + valid, 400, "malformed_json"));
    s.add(json("malformed: a block comment", method, path, "/* c */" + valid, 400, "malformed_json"));
    s.add(json("malformed: a line comment", method, path, "// c\n" + valid, 400, "malformed_json"));
    s.add(request("Content-Type application/jsonx", method, path, "application/jsonx", utf8(valid), 415, "unsupported_media_type"));
    s.add(json("malformed: NaN", method, path, with(valid, "x", "NaN"), 400, "malformed_json"));
    s.add(json("malformed: Infinity", method, path, with(valid, "x", "-Infinity"), 400, "malformed_json"));
    s.add(json("malformed: nested 5000 deep", method, path, with(valid, "x", "[".repeat(5000) + "]".repeat(5000)),
        400, "malformed_json"));
    s.add(json("malformed: 5000-digit number", method, path, with(valid, "x", "9".repeat(5000)), 400, "malformed_json"));
    s.add(request("malformed: invalid UTF-8", method, path, "application/json",
        concat(utf8("{\"x\":\""), new byte[] {(byte) 0xC3, (byte) 0x28}, utf8("\"}")), 400, "malformed_json"));
    s.add(json("empty body", method, path, "", 400, "malformed_json"));
    s.add(json("whitespace body", method, path, " \n\t ", 400, "malformed_json"));
    s.add(json("array body", method, path, "[" + valid + "]", 400, "malformed_json"));
    s.add(json("string body", method, path, "\"" + valid.replace("\"", "\\\"") + "\"", 400, "malformed_json"));
    s.add(json("number body", method, path, "42", 400, "malformed_json"));
    s.add(json("null body", method, path, "null", 400, "malformed_json"));
    s.add(json("boolean body", method, path, "false", 400, "malformed_json"));
    // Postgres cannot keep these as sent: refused wherever they are, even in a field nobody reads.
    s.add(json("NUL in a string", method, path, with(valid, "x", "\"a\\u0000b\""), 400, "malformed_json"));
    s.add(json("NUL in a key", method, path, with(valid, "a\u0000", "1"), 400, "malformed_json"));
    s.add(json("lone surrogate", method, path, with(valid, "x", "\"a\\ud800b\""), 400, "malformed_json"));
    s.add(json("reversed surrogate pair", method, path, with(valid, "x", "\"\\udd25\\ud83d\""), 400, "malformed_json"));
    s.add(json("unknown field", method, path, with(valid, "extra", "1"), 422, "unknown_field"));
    s.add(json("unknown field null", method, path, with(valid, "extra", "null"), 422, "unknown_field"));
    s.add(json("SQL as a field name", method, path, with(valid, INJECTION, "1"), 422, "unknown_field"));
    s.add(json("unicode field name", method, path, with(valid, "🔥", "1"), 422, "unknown_field"));
    s.add(request("Content-Type text/plain", method, path, "text/plain", utf8(valid), 415, "unsupported_media_type"));
    s.add(request("no Content-Type", method, path, null, utf8(valid), 415, "unsupported_media_type"));
    s.add(request("Content-Type form", method, path, "application/x-www-form-urlencoded", utf8("a=b"), 415,
        "unsupported_media_type"));
    s.add(request("Content-Type xml", method, path, "application/xml", utf8("<a/>"), 415, "unsupported_media_type"));
    s.add(request("Content-Type multipart", method, path, "multipart/form-data; boundary=x",
        utf8("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n"), 415, "unsupported_media_type"));
    byte[] huge = utf8(with(valid, "pad", "\"" + "x".repeat(1024 * 1024) + "\""));
    s.add(request("body over 1 MiB", method, path, "application/json", huge, 413, "payload_too_large"));
    s.add(request("body over 1 MiB as text/plain", method, path, "text/plain", huge, 413, "payload_too_large"));
    for (Case x : s) c.add(x.key(key).expect(route + " " + x.name(), x.status(), x.code()));
  }

  /** The {id} of {@code path} (a %s) as no UUID, and as one nobody has. */
  static void ids(List<Case> c, String route, String method, String path, byte[] body) {
    String nowhere = UUID.randomUUID().toString();
    for (Map.Entry<String, String> e : NOT_UUIDS.entrySet()) {
      c.add(request(route + " id " + e.getKey(), method, path.formatted(e.getValue()), null, body, 400, "invalid_id"));
    }
    c.add(request(route + " id UUID plus a char", method, path.formatted(nowhere + "0"), null, body, 400, "invalid_id"));
    c.add(request(route + " id UUID without dashes", method, path.formatted(nowhere.replace("-", "")), null, body,
        400, "invalid_id"));
    c.add(request(route + " id with an encoded slash", method, path.formatted("a%2Fb"), null, body, 400, "invalid_id"));
    c.add(request(route + " id unknown", method, path.formatted(nowhere), null, body, 404, "not_found"));
  }

  /** A signed asset URL as the node itself would make it. */
  private static String signed(UUID id, long expires) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(utf8(SIGNING_KEY), "HmacSHA256"));
      String sig = Base64.getUrlEncoder().withoutPadding()
          .encodeToString(mac.doFinal((id + "\n" + expires).getBytes(StandardCharsets.US_ASCII)));
      return API + "/assets/" + id + "/content?expires=" + expires + "&signature=" + sig;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A PNG signature and header (no image data) claiming a width x height canvas. */
  private static byte[] pngHeader(int width, int height) {
    ByteBuffer ihdr = ByteBuffer.allocate(17).put(utf8("IHDR")).putInt(width).putInt(height)
        .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    CRC32 crc = new CRC32();
    crc.update(ihdr.array());
    ByteBuffer png = ByteBuffer.allocate(8 + 4 + 17 + 4);
    png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}).putInt(13).put(ihdr.array())
        .putInt((int) crc.getValue());
    return png.array();
  }

  private static String base64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(utf8(s));
  }

  /** A real 2x2 PNG, valid in every way but the type it is sent as. */
  private static final byte[] TINY_PNG = tinyPng();

  private static byte[] tinyPng() {
    try {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(2, 2, java.awt.image.BufferedImage.TYPE_INT_RGB), "png", out);
      return out.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static List<Case> rejected() {
    List<Case> c = new ArrayList<>();
    String nowhere = UUID.randomUUID().toString();
    String task = API + "/tasks/" + knownTask;
    String batch = API + "/batches/" + knownBatch;

    // ---- Task actions: POST /tasks/{id}/retry, POST /tasks/{id}/restore, DELETE /tasks/{id}.
    ids(c, "POST /tasks/{id}/retry", "POST", API + "/tasks/%s/retry", new byte[0]);
    ids(c, "POST /tasks/{id}/restore", "POST", API + "/tasks/%s/restore", new byte[0]);
    ids(c, "DELETE /tasks/{id}", "DELETE", API + "/tasks/%s", null);
    c.add(post("POST /tasks/{id}/retry of a completed task", task + "/retry", 409, "not_retryable"));
    c.add(post("POST /tasks/{id}/restore of a task not deleted", task + "/restore", 409, "not_deleted"));

    // ---- GET /tasks: every parameter known, typed and bounded.
    String tasks = API + "/tasks";
    String[][] listBad = {
        {"unknown parameter", "sort=created_at", "unknown_parameter"},
        {"unknown parameter, upper case", "Status=pending", "unknown_parameter"},
        {"unknown parameter offset", "offset=10", "unknown_parameter"},
        {"SQL as a parameter name", "%27%3B%20DROP%20TABLE%20tasks%3B--=1", "unknown_parameter"},
        {"status unknown", "status=done", "invalid_parameter"},
        {"status upper case", "status=PENDING", "invalid_parameter"},
        {"status empty", "status=", "invalid_parameter"},
        {"status SQL", "status=pending%27%20OR%20%271%27%3D%271", "invalid_parameter"},
        {"status NUL", "status=pending%00", "invalid_parameter"},
        {"status twice", "status=pending&status=failed", "invalid_parameter"},
        {"tool_action empty", "tool_action=", "invalid_parameter"},
        {"tool_action 65 chars", "tool_action=" + "a".repeat(65), "invalid_parameter"},
        {"tool_action NUL", "tool_action=debug.noop%00", "invalid_parameter"},
        {"channel empty", "channel=", "invalid_parameter"},
        {"channel 33 chars", "channel=" + "c".repeat(33), "invalid_parameter"},
        {"channel NUL", "channel=%00", "invalid_parameter"},
        {"batch_id not a UUID", "batch_id=not-a-uuid", "invalid_parameter"},
        {"batch_id 42", "batch_id=42", "invalid_parameter"},
        {"batch_id SQL", "batch_id=%27%20OR%201%3D1%20--", "invalid_parameter"},
        {"batch_id emoji", "batch_id=%F0%9F%94%A5", "invalid_parameter"},
        {"batch_id empty", "batch_id=", "invalid_parameter"},
        {"created_after words", "created_after=yesterday", "invalid_parameter"},
        {"created_after a date only", "created_after=2026-01-31", "invalid_parameter"},
        {"created_after without offset", "created_after=2026-01-31T12:00:00", "invalid_parameter"},
        {"created_after unix seconds", "created_after=1767225600", "invalid_parameter"},
        {"created_after month 13", "created_after=2026-13-01T00:00:00Z", "invalid_parameter"},
        {"created_before SQL", "created_before=%27%20OR%201%3D1%20--", "invalid_parameter"},
        {"deleted yes", "deleted=yes", "invalid_parameter"},
        {"deleted TRUE", "deleted=TRUE", "invalid_parameter"},
        {"deleted 1", "deleted=1", "invalid_parameter"},
        {"deleted empty", "deleted=", "invalid_parameter"},
        {"limit -1", "limit=-1", "invalid_parameter"},
        {"limit 0", "limit=0", "invalid_parameter"},
        {"limit 101", "limit=101", "invalid_parameter"},
        {"limit words", "limit=ten", "invalid_parameter"},
        {"limit 1.5", "limit=1.5", "invalid_parameter"},
        {"limit 1e2", "limit=1e2", "invalid_parameter"},
        {"limit past int", "limit=4294967296", "invalid_parameter"},
        {"limit past long", "limit=99999999999999999999", "invalid_parameter"},
        {"limit empty", "limit=", "invalid_parameter"},
        {"limit twice", "limit=1&limit=2", "invalid_parameter"},
        {"cursor garbage", "cursor=garbage", "invalid_cursor"},
        {"cursor empty", "cursor=", "invalid_cursor"},
        {"cursor SQL", "cursor=%27%20OR%201%3D1%20--", "invalid_cursor"},
        {"cursor padded base64", "cursor=" + base64("2026-01-01T00:00:00Z|" + nowhere) + "%3D%3D", "invalid_cursor"},
        {"cursor without an id", "cursor=" + base64("2026-01-01T00:00:00Z"), "invalid_cursor"},
        {"cursor with a bad id", "cursor=" + base64("2026-01-01T00:00:00Z|not-a-uuid"), "invalid_cursor"},
        {"cursor with a bad time", "cursor=" + base64("yesterday|" + nowhere), "invalid_cursor"},
    };
    for (String[] b : listBad) c.add(get("GET /tasks " + b[0], tasks + "?" + b[1], 400, b[2]));

    // ---- POST /batches.
    String batches = API + "/batches";
    String fine = "{\"prompt\":\"a kiln\",\"width\":64,\"height\":64}";
    bodies(c, "POST /batches", "POST", batches, fine, KilnNode.ADMIN_KEY);
    String[][] batchBad = {
        {"no prompt", "{}", "422", "invalid_input"},
        {"no prompt, other fields", "{\"width\":64,\"batch_size\":2}", "422", "invalid_input"},
        {"prompt null", "{\"prompt\":null}", "422", "invalid_input"},
        {"prompt empty", "{\"prompt\":\"\"}", "422", "invalid_input"},
        {"prompt number", "{\"prompt\":42}", "422", "invalid_input"},
        {"prompt array", "{\"prompt\":[\"a\"]}", "422", "invalid_input"},
        {"prompt 4001 chars", "{\"prompt\":\"" + "a".repeat(4001) + "\"}", "422", "invalid_input"},
        {"prompt NUL", "{\"prompt\":\"a\\u0000b\"}", "400", "malformed_json"},
        {"prompt lone surrogate", "{\"prompt\":\"a\\udfffb\"}", "400", "malformed_json"},
        {"negative_prompt number", "{\"prompt\":\"a\",\"negative_prompt\":1}", "422", "invalid_input"},
        {"width string", "{\"prompt\":\"a\",\"width\":\"64\"}", "422", "invalid_input"},
        {"width -5", "{\"prompt\":\"a\",\"width\":-5}", "422", "invalid_input"},
        {"width 0", "{\"prompt\":\"a\",\"width\":0}", "422", "invalid_input"},
        {"width 63", "{\"prompt\":\"a\",\"width\":63}", "422", "invalid_input"},
        {"width 2049", "{\"prompt\":\"a\",\"width\":2049}", "422", "invalid_input"},
        {"width 64.5", "{\"prompt\":\"a\",\"width\":64.5}", "422", "invalid_input"},
        {"width 1e30", "{\"prompt\":\"a\",\"width\":1e30}", "422", "invalid_input"},
        {"width past long", "{\"prompt\":\"a\",\"width\":99999999999999999999}", "422", "invalid_input"},
        {"width past int", "{\"prompt\":\"a\",\"width\":4294967296}", "422", "invalid_input"},
        {"width null", "{\"prompt\":\"a\",\"width\":null}", "422", "invalid_input"},
        {"height boolean", "{\"prompt\":\"a\",\"height\":true}", "422", "invalid_input"},
        {"height -5", "{\"prompt\":\"a\",\"height\":-5}", "422", "invalid_input"},
        {"num_inference_steps 0", "{\"prompt\":\"a\",\"num_inference_steps\":0}", "422", "invalid_input"},
        {"num_inference_steps 151", "{\"prompt\":\"a\",\"num_inference_steps\":151}", "422", "invalid_input"},
        {"num_inference_steps string", "{\"prompt\":\"a\",\"num_inference_steps\":\"20\"}", "422", "invalid_input"},
        {"guidance_scale string", "{\"prompt\":\"a\",\"guidance_scale\":\"high\"}", "422", "invalid_input"},
        {"guidance_scale -1", "{\"prompt\":\"a\",\"guidance_scale\":-1}", "422", "invalid_input"},
        {"guidance_scale 1e30", "{\"prompt\":\"a\",\"guidance_scale\":1e30}", "422", "invalid_input"},
        {"base_seed string", "{\"prompt\":\"a\",\"base_seed\":\"1\"}", "422", "invalid_field"},
        {"base_seed 1.5", "{\"prompt\":\"a\",\"base_seed\":1.5}", "422", "invalid_field"},
        {"base_seed 1e30", "{\"prompt\":\"a\",\"base_seed\":1e30}", "422", "invalid_field"},
        {"base_seed past long", "{\"prompt\":\"a\",\"base_seed\":99999999999999999999}", "422", "invalid_field"},
        {"base_seed object", "{\"prompt\":\"a\",\"base_seed\":{}}", "422", "invalid_field"},
        {"base_seed -1", "{\"prompt\":\"a\",\"base_seed\":-1}", "422", "invalid_input"},
        {"base_seed -1, batch_size 2", "{\"prompt\":\"a\",\"base_seed\":-1,\"batch_size\":2}", "422", "invalid_input"},
        {"base_seed -64, batch_size 64", "{\"prompt\":\"a\",\"base_seed\":-64,\"batch_size\":64}", "422", "invalid_input"},
        {"base_seed past the largest seed", "{\"prompt\":\"a\",\"base_seed\":9007199254740992}", "422", "invalid_input"},
        {"base_seed + batch_size past the largest seed", "{\"prompt\":\"a\",\"base_seed\":9007199254740990,\"batch_size\":3}",
            "422", "invalid_input"},
        {"base_seed long max, batch_size 2 (overflow)", "{\"prompt\":\"a\",\"base_seed\":9223372036854775807,\"batch_size\":2}",
            "422", "invalid_input"},
        {"batch_size -1", "{\"prompt\":\"a\",\"batch_size\":-1}", "422", "invalid_field"},
        {"batch_size 0", "{\"prompt\":\"a\",\"batch_size\":0}", "422", "invalid_field"},
        {"batch_size 65", "{\"prompt\":\"a\",\"batch_size\":65}", "422", "invalid_field"},
        {"batch_size string", "{\"prompt\":\"a\",\"batch_size\":\"2\"}", "422", "invalid_field"},
        {"batch_size 1.5", "{\"prompt\":\"a\",\"batch_size\":1.5}", "422", "invalid_field"},
        {"batch_size 2.0", "{\"prompt\":\"a\",\"batch_size\":2.0}", "422", "invalid_field"},
        {"batch_size 1e30", "{\"prompt\":\"a\",\"batch_size\":1e30}", "422", "invalid_field"},
        {"batch_size past long", "{\"prompt\":\"a\",\"batch_size\":99999999999999999999}", "422", "invalid_field"},
        {"batch_size past int", "{\"prompt\":\"a\",\"batch_size\":4294967297}", "422", "invalid_field"},
        {"batch_size boolean", "{\"prompt\":\"a\",\"batch_size\":true}", "422", "invalid_field"},
        {"title empty", "{\"prompt\":\"a\",\"title\":\"\"}", "422", "invalid_field"},
        {"title blank", "{\"prompt\":\"a\",\"title\":\"  \"}", "422", "invalid_field"},
        {"title 201 chars", "{\"prompt\":\"a\",\"title\":\"" + "t".repeat(201) + "\"}", "422", "invalid_field"},
        {"title number", "{\"prompt\":\"a\",\"title\":42}", "422", "invalid_field"},
        {"metadata string", "{\"prompt\":\"a\",\"metadata\":\"x\"}", "422", "invalid_field"},
        {"metadata array", "{\"prompt\":\"a\",\"metadata\":[]}", "422", "invalid_field"},
        {"metadata number", "{\"prompt\":\"a\",\"metadata\":1}", "422", "invalid_field"},
        {"metadata.batch_id not a UUID", "{\"prompt\":\"a\",\"metadata\":{\"batch_id\":\"not-a-uuid\"}}", "422", "invalid_field"},
        {"metadata.batch_id number", "{\"prompt\":\"a\",\"metadata\":{\"batch_id\":42}}", "422", "invalid_field"},
        {"metadata.batch_id object", "{\"prompt\":\"a\",\"metadata\":{\"batch_id\":{}}}", "422", "invalid_field"},
        {"metadata.batch_id SQL", new JsonObject().put("prompt", "a").put("metadata", new JsonObject().put("batch_id", INJECTION))
            .encode(), "422", "invalid_field"},
        {"metadata.batch_id emoji", "{\"prompt\":\"a\",\"metadata\":{\"batch_id\":\"🔥\"}}", "422", "invalid_field"},
        {"metadata.batch_id empty", "{\"prompt\":\"a\",\"metadata\":{\"batch_id\":\"\"}}", "422", "invalid_field"},
        {"metadata.batch_id of an existing batch", "{\"prompt\":\"a\",\"metadata\":{\"batch_id\":\"" + KNOWN_BATCH_NAME + "\"}}",
            "409", "batch_exists"},
        {"metadata with NUL deep down", "{\"prompt\":\"a\",\"metadata\":{\"a\":[{\"b\":\"\\u0000\"}]}}", "400", "malformed_json"},
        {"priority string", "{\"prompt\":\"a\",\"priority\":\"high\"}", "422", "invalid_field"},
        {"priority 1001", "{\"prompt\":\"a\",\"priority\":1001}", "422", "invalid_field"},
        {"priority -1001", "{\"prompt\":\"a\",\"priority\":-1001}", "422", "invalid_field"},
        {"priority 1e30", "{\"prompt\":\"a\",\"priority\":1e30}", "422", "invalid_field"},
        {"priority past long", "{\"prompt\":\"a\",\"priority\":-99999999999999999999}", "422", "invalid_field"},
        {"webhook_url number", "{\"prompt\":\"a\",\"webhook_url\":1}", "422", "invalid_field"},
        {"webhook_url empty", "{\"prompt\":\"a\",\"webhook_url\":\"\"}", "422", "invalid_field"},
        {"webhook_url relative", "{\"prompt\":\"a\",\"webhook_url\":\"/hook\"}", "422", "invalid_field"},
        {"webhook_url ftp", "{\"prompt\":\"a\",\"webhook_url\":\"ftp://example.com/hook\"}", "422", "invalid_field"},
        {"webhook_url javascript", "{\"prompt\":\"a\",\"webhook_url\":\"javascript:alert(1)\"}", "422", "invalid_field"},
        {"webhook_url no host", "{\"prompt\":\"a\",\"webhook_url\":\"http:///hook\"}", "422", "invalid_field"},
        {"webhook_url with a space", "{\"prompt\":\"a\",\"webhook_url\":\"http://exa mple.com/\"}", "422", "invalid_field"},
        {"webhook_url SQL", new JsonObject().put("prompt", "a").put("webhook_url", INJECTION).encode(), "422", "invalid_field"},
        {"webhook_url 2049 chars", "{\"prompt\":\"a\",\"webhook_url\":\"http://example.com/" + "p".repeat(2030) + "\"}",
            "422", "invalid_field"},
        {"tool_action beside prompt (both forms)", "{\"prompt\":\"a\",\"tool_action\":\"image.generate\"}", "422",
            "mixed_batch_forms"},
        {"seed is not the client's", "{\"prompt\":\"a\",\"seed\":1}", "422", "unknown_field"},
        {"batch_id at the top", "{\"prompt\":\"a\",\"batch_id\":\"" + nowhere + "\"}", "422", "unknown_field"},
    };
    for (String[] b : batchBad) {
      c.add(json("POST /batches " + b[0], "POST", batches, b[1], Integer.parseInt(b[2]), b[3]));
    }

    // ---- POST /batches, the generic form (issue 14): one tool_action over many items.
    String sleep = "{\"duration_ms\":1}";
    String tooMany = "[" + String.join(",", java.util.Collections.nCopies(1001, "{}")) + "]";
    String bigMetadata = new JsonObject().put("notes", "n".repeat(16 * 1024)).encode();
    String[][] genericBad = {
        {"unknown tool_action", "{\"tool_action\":\"image.nope\",\"items\":[{}]}", "422", "unknown_tool_action"},
        {"tool_action SQL", new JsonObject().put("tool_action", INJECTION).put("items", new io.vertx.core.json.JsonArray().add(
            new JsonObject())).encode(), "422", "unknown_tool_action"},
        {"tool_action number", "{\"tool_action\":42,\"items\":[{}]}", "422", "invalid_field"},
        {"tool_action empty", "{\"tool_action\":\"\",\"items\":[{}]}", "422", "invalid_field"},
        {"tool_action missing, items given", "{\"items\":[{}]}", "422", "missing_field"},
        {"items missing", "{\"tool_action\":\"debug.noop\"}", "422", "missing_field"},
        {"items null", "{\"tool_action\":\"debug.noop\",\"items\":null}", "422", "missing_field"},
        {"items empty", "{\"tool_action\":\"debug.noop\",\"items\":[]}", "422", "invalid_field"},
        {"items 1001", "{\"tool_action\":\"debug.noop\",\"items\":" + tooMany + "}", "422", "invalid_field"},
        {"items an object", "{\"tool_action\":\"debug.noop\",\"items\":{}}", "422", "invalid_field"},
        {"items a string", "{\"tool_action\":\"debug.noop\",\"items\":\"{}\"}", "422", "invalid_field"},
        {"an item a number", "{\"tool_action\":\"debug.noop\",\"items\":[{},42,{}]}", "422", "invalid_field"},
        {"an item null", "{\"tool_action\":\"debug.noop\",\"items\":[{},null]}", "422", "invalid_field"},
        {"an item an array", "{\"tool_action\":\"debug.noop\",\"items\":[[]]}", "422", "invalid_field"},
        {"a bad item in the middle", "{\"tool_action\":\"debug.sleep\",\"items\":[" + sleep + ",{\"duration_ms\":\"1\"},"
            + sleep + "]}", "422", "invalid_input"},
        {"an item out of range", "{\"tool_action\":\"debug.sleep\",\"items\":[" + sleep + ",{\"duration_ms\":-1}]}", "422",
            "invalid_input"},
        {"an item with an unknown field", "{\"tool_action\":\"debug.noop\",\"items\":[{},{\"colour\":\"red\"}]}", "422",
            "invalid_input"},
        {"an item missing a required field", "{\"tool_action\":\"image.hires\",\"items\":[{}]}", "422", "invalid_input"},
        {"an item's image is nobody's", "{\"tool_action\":\"image.hires\",\"items\":[{\"source_image\":\"" + nowhere
            + "\"}]}", "422", "invalid_image"},
        {"an item with NUL", "{\"tool_action\":\"debug.noop\",\"items\":[{\"a\\u0000\":1}]}", "400", "malformed_json"},
        {"a task body as an item", "{\"tool_action\":\"debug.noop\",\"items\":[{\"tool_action\":\"debug.noop\"}]}", "422",
            "invalid_input"},
        {"input at the top", "{\"tool_action\":\"debug.noop\",\"input\":{},\"items\":[{}]}", "422", "unknown_field"},
        {"generic metadata a string", "{\"tool_action\":\"debug.noop\",\"items\":[{}],\"metadata\":\"x\"}", "422",
            "invalid_field"},
        {"generic metadata an array", "{\"tool_action\":\"debug.noop\",\"items\":[{}],\"metadata\":[]}", "422",
            "invalid_field"},
        {"generic metadata over 16 KiB", "{\"tool_action\":\"debug.noop\",\"items\":[{}],\"metadata\":" + bigMetadata + "}",
            "422", "invalid_field"},
        {"generic metadata.batch_id not a UUID", "{\"tool_action\":\"debug.noop\",\"items\":[{}],\"metadata\":"
            + "{\"batch_id\":\"x\"}}", "422", "invalid_field"},
        {"generic metadata.batch_id of an existing batch", "{\"tool_action\":\"debug.noop\",\"items\":[{}],\"metadata\":"
            + "{\"batch_id\":\"" + KNOWN_BATCH_NAME + "\"}}", "409", "batch_exists"},
        {"generic priority string", "{\"tool_action\":\"debug.noop\",\"items\":[{}],\"priority\":\"high\"}", "422",
            "invalid_field"},
        {"generic title number", "{\"tool_action\":\"debug.noop\",\"items\":[{}],\"title\":7}", "422", "invalid_field"},
        {"generic webhook_url relative", "{\"tool_action\":\"debug.noop\",\"items\":[{}],\"webhook_url\":\"/hook\"}", "422",
            "invalid_field"},
        {"both forms: items and prompt", "{\"tool_action\":\"debug.noop\",\"items\":[{}],\"prompt\":\"a\"}", "422",
            "mixed_batch_forms"},
        {"both forms: items and batch_size", "{\"items\":[{}],\"batch_size\":2}", "422", "mixed_batch_forms"},
        {"both forms: tool_action and base_seed", "{\"tool_action\":\"debug.noop\",\"base_seed\":1,\"items\":[{}]}", "422",
            "mixed_batch_forms"},
    };
    for (String[] b : genericBad) {
      c.add(json("POST /batches (generic) " + b[0], "POST", batches, b[1], Integer.parseInt(b[2]), b[3]));
    }

    // ---- Generation requests (seed 003).
    String requests = API + "/generation-requests";
    String fineRequest = "{\"prompt\":\"a kiln\",\"width\":64,\"height\":64}";
    bodies(c, "POST /generation-requests", "POST", requests, fineRequest, KilnNode.ADMIN_KEY);
    String[][] requestBad = {
        {"no prompt", "{}", "422", "missing_field"},
        {"prompt null", "{\"prompt\":null}", "422", "missing_field"},
        {"prompt empty", "{\"prompt\":\"\"}", "422", "invalid_field"},
        {"prompt blank", "{\"prompt\":\"   \"}", "422", "invalid_field"},
        {"prompt number", "{\"prompt\":42}", "422", "invalid_field"},
        {"prompt 4001 chars", "{\"prompt\":\"" + "a".repeat(4001) + "\"}", "422", "invalid_field"},
        {"prompt NUL", "{\"prompt\":\"a\\u0000b\"}", "400", "malformed_json"},
        {"negative_prompt number", "{\"prompt\":\"a\",\"negative_prompt\":1}", "422", "invalid_field"},
        {"width string", "{\"prompt\":\"a\",\"width\":\"64\"}", "422", "invalid_field"},
        {"width 63", "{\"prompt\":\"a\",\"width\":63}", "422", "invalid_field"},
        {"width 2049", "{\"prompt\":\"a\",\"width\":2049}", "422", "invalid_field"},
        {"width 64.5", "{\"prompt\":\"a\",\"width\":64.5}", "422", "invalid_field"},
        {"width past long", "{\"prompt\":\"a\",\"width\":99999999999999999999}", "422", "invalid_field"},
        {"height boolean", "{\"prompt\":\"a\",\"height\":true}", "422", "invalid_field"},
        {"seed string", "{\"prompt\":\"a\",\"seed\":\"1\"}", "422", "invalid_field"},
        {"seed 1.5", "{\"prompt\":\"a\",\"seed\":1.5}", "422", "invalid_field"},
        {"seed -1", "{\"prompt\":\"a\",\"seed\":-1}", "422", "invalid_input"},
        {"seed past the largest", "{\"prompt\":\"a\",\"seed\":9007199254740992}", "422", "invalid_input"},
        {"seed + image_count past the largest", "{\"prompt\":\"a\",\"seed\":9007199254740990,\"image_count\":3}", "422",
            "invalid_input"},
        {"seed long max (overflow)", "{\"prompt\":\"a\",\"seed\":9223372036854775807,\"image_count\":2}", "422", "invalid_input"},
        {"image_count 0", "{\"prompt\":\"a\",\"image_count\":0}", "422", "invalid_field"},
        {"image_count 9", "{\"prompt\":\"a\",\"image_count\":9}", "422", "invalid_field"},
        {"image_count string", "{\"prompt\":\"a\",\"image_count\":\"4\"}", "422", "invalid_field"},
        {"image_count 2.5", "{\"prompt\":\"a\",\"image_count\":2.5}", "422", "invalid_field"},
        {"webhook_url relative", "{\"prompt\":\"a\",\"webhook_url\":\"/hook\"}", "422", "invalid_field"},
        {"webhook_url javascript", "{\"prompt\":\"a\",\"webhook_url\":\"javascript:alert(1)\"}", "422", "invalid_field"},
        {"status is not the client's", "{\"prompt\":\"a\",\"status\":\"COMPLETED\"}", "422", "unknown_field"},
        {"selected_image_index is not for creating", "{\"prompt\":\"a\",\"selected_image_index\":0}", "422", "unknown_field"},
    };
    for (String[] b : requestBad) c.add(json("POST /generation-requests " + b[0], "POST", requests, b[1], Integer.parseInt(b[2]), b[3]));
    ids(c, "GET /generation-requests/{id}", "GET", requests + "/%s", null);
    ids(c, "GET /generation-requests/{id}/events", "GET", requests + "/%s/events", null);
    ids(c, "POST /generation-requests/{id}/cancel", "POST", requests + "/%s/cancel", new byte[0]);
    c.add(get("GET /generation-requests/{id} of a task", requests + "/" + knownTask, 404, "not_found"));
    for (Map.Entry<String, String> e : NOT_UUIDS.entrySet()) {
      c.add(json("PATCH /generation-requests/{id} id " + e.getKey(), "PATCH", requests + "/" + e.getValue(),
          "{\"selected_image_index\":0}", 400, "invalid_id"));
    }
    c.add(json("PATCH /generation-requests/{id} id unknown", "PATCH", requests + "/" + nowhere, "{\"selected_image_index\":0}",
        404, "not_found"));
    String pick = requests + "/" + knownRequest;
    bodies(c, "PATCH /generation-requests/{id}", "PATCH", pick, "{\"selected_image_index\":0}", KilnNode.ADMIN_KEY);
    String[][] pickBad = {
        {"no index", "{}", "422", "missing_field"},
        {"only a name", "{\"name\":\"x\"}", "422", "missing_field"},
        {"index -1", "{\"selected_image_index\":-1}", "422", "invalid_field"},
        {"index out of range (2 images)", "{\"selected_image_index\":2}", "422", "invalid_field"},
        {"index 8", "{\"selected_image_index\":8}", "422", "invalid_field"},
        {"index string", "{\"selected_image_index\":\"0\"}", "422", "invalid_field"},
        {"index 0.5", "{\"selected_image_index\":0.5}", "422", "invalid_field"},
        {"index past long", "{\"selected_image_index\":99999999999999999999}", "422", "invalid_field"},
        {"name empty", "{\"selected_image_index\":0,\"name\":\"\"}", "422", "invalid_field"},
        {"name blank", "{\"selected_image_index\":0,\"name\":\"  \"}", "422", "invalid_field"},
        {"name 201 chars", "{\"selected_image_index\":0,\"name\":\"" + "n".repeat(201) + "\"}", "422", "invalid_field"},
        {"name number", "{\"selected_image_index\":0,\"name\":5}", "422", "invalid_field"},
        {"status is not the client's", "{\"selected_image_index\":0,\"status\":\"COMPLETED\"}", "422", "unknown_field"},
    };
    for (String[] b : pickBad) c.add(json("PATCH /generation-requests/{id} " + b[0], "PATCH", pick, b[1], Integer.parseInt(b[2]), b[3]));
    c.add(json("PATCH /generation-requests/{id} in the wrong phase", "PATCH", requests + "/" + cancelledRequest,
        "{\"selected_image_index\":0}", 409, "wrong_phase"));
    c.add(post("POST /generation-requests/{id}/cancel of an ended one", requests + "/" + cancelledRequest + "/cancel", 409,
        "request_ended"));
    String[][] requestListBad = {
        {"unknown parameter", "status=COMPLETED", "unknown_parameter"},
        {"limit 0", "limit=0", "invalid_parameter"},
        {"limit 101", "limit=101", "invalid_parameter"},
        {"limit words", "limit=ten", "invalid_parameter"},
        {"cursor garbage", "cursor=not-a-cursor", "invalid_cursor"},
    };
    for (String[] b : requestListBad) c.add(get("GET /generation-requests " + b[0], requests + "?" + b[1], 400, b[2]));

    // ---- Batches and history by id; the history list.
    ids(c, "GET /batches/{id}", "GET", API + "/batches/%s", null);
    ids(c, "POST /batches/{id}/cancel", "POST", API + "/batches/%s/cancel", new byte[0]);
    ids(c, "GET /history/{id}", "GET", API + "/history/%s", null);
    c.add(get("GET /batches/{id} of a task", API + "/batches/" + knownTask, 404, "not_found"));
    c.add(get("GET /history/{id} of a task", API + "/history/" + knownTask, 404, "not_found"));
    String history = API + "/history";
    String[][] historyBad = {
        {"unknown parameter", "status=completed", "unknown_parameter"},
        {"unknown parameter, upper case", "Limit=5", "unknown_parameter"},
        {"limit -1", "limit=-1", "invalid_parameter"},
        {"limit 0", "limit=0", "invalid_parameter"},
        {"limit 101", "limit=101", "invalid_parameter"},
        {"limit words", "limit=ten", "invalid_parameter"},
        {"limit 1.5", "limit=1.5", "invalid_parameter"},
        {"limit past long", "limit=99999999999999999999", "invalid_parameter"},
        {"limit empty", "limit=", "invalid_parameter"},
        {"cursor garbage", "cursor=garbage", "invalid_cursor"},
        {"cursor empty", "cursor=", "invalid_cursor"},
        {"cursor with a bad id", "cursor=" + base64("2026-01-01T00:00:00Z|42"), "invalid_cursor"},
    };
    for (String[] b : historyBad) c.add(get("GET /history " + b[0], history + "?" + b[1], 400, b[2]));

    // ---- The caller: GET /me, GET /me/wallet, POST /auth/logout.
    c.add(post("POST /auth/logout with an API key", API + "/auth/logout", 422, "not_signed_in"));
    c.add(post("POST /auth/logout with a first_party key", API + "/auth/logout", 422, "not_signed_in")
        .key(KilnNode.FIRST_PARTY_KEY));
    c.add(get("GET /me third_party acting for a user", API + "/me", 403, "forbidden").key(thirdPartyKey)
        .header("X-User-Id", "someone"));
    c.add(get("GET /me/wallet third_party acting for a user", API + "/me/wallet", 403, "forbidden").key(thirdPartyKey)
        .header("X-User-Id", "someone"));
    c.add(get("GET /me/wallet X-User-Id SQL", API + "/me/wallet", 400, "invalid_user_id").header("X-User-Id", INJECTION));
    c.add(get("GET /me/wallet X-User-Id 129 chars", API + "/me/wallet", 400, "invalid_user_id")
        .header("X-User-Id", "u".repeat(129)));

    // ---- GET /events: the caller's stream; a bad Last-Event-ID is refused before it opens.
    String events = API + "/events";
    for (String bad : List.of("abc", "-5", "1.5", "99999999999999999999", "1; DROP TABLE task_events")) {
      c.add(get("GET /events Last-Event-ID " + bad, events, 400, "invalid_last_event_id").header("Last-Event-ID", bad));
    }
    c.add(get("GET /events last_event_id letters", events + "?last_event_id=abc", 400, "invalid_last_event_id"));
    c.add(get("GET /events last_event_id negative", events + "?last_event_id=-1", 400, "invalid_last_event_id"));

    // ---- Sign-in: no credentials needed, and none sent.
    String emailCode = API + "/auth/email-code";
    String verify = API + "/auth/verify";
    bodies(c, "POST /auth/email-code", "POST", emailCode, "{\"email\":\"nobody@example.com\"}", null);
    bodies(c, "POST /auth/verify", "POST", verify, "{\"email\":\"nobody@example.com\",\"code\":\"123456\"}", null);
    String[][] emailBad = {
        {"email missing", "{}", "missing_field"},
        {"email null", "{\"email\":null}", "missing_field"},
        {"email number", "{\"email\":42}", "invalid_field"},
        {"email array", "{\"email\":[\"a@example.com\"]}", "invalid_field"},
        {"email object", "{\"email\":{}}", "invalid_field"},
        {"email empty", "{\"email\":\"\"}", "invalid_field"},
        {"email blank", "{\"email\":\"   \"}", "invalid_field"},
        {"email 255 chars", "{\"email\":\"" + "a".repeat(64) + "@" + "b".repeat(186) + ".com\"}", "invalid_field"},
        {"email without @", "{\"email\":\"nobody.example.com\"}", "invalid_email"},
        {"email without a dot", "{\"email\":\"nobody@example\"}", "invalid_email"},
        {"email two @", "{\"email\":\"no@body@example.com\"}", "invalid_email"},
        {"email local part 65 chars", "{\"email\":\"" + "a".repeat(65) + "@example.com\"}", "invalid_email"},
        {"email with a space", "{\"email\":\"no body@example.com\"}", "invalid_email"},
        {"email a display name", "{\"email\":\"Nobody <nobody@example.com>\"}", "invalid_email"},
        {"email SQL", new JsonObject().put("email", INJECTION).encode(), "invalid_email"},
        {"email SQL tautology", new JsonObject().put("email", "a@example.com' OR '1'='1").encode(), "invalid_email"},
        {"email unicode", "{\"email\":\"ünïcödé@exämple.com\"}", "invalid_email"},
        {"email emoji", "{\"email\":\"🔥@example.com\"}", "invalid_email"},
        {"email header injection", "{\"email\":\"a@example.com\\r\\nBcc: b@example.com\"}", "invalid_email"},
        {"email domain label 64 chars", "{\"email\":\"a@" + "d".repeat(64) + ".com\"}", "invalid_email"},
        {"email domain starts with a dash", "{\"email\":\"a@-example.com\"}", "invalid_email"},
    };
    for (String[] b : emailBad) {
      c.add(json("POST /auth/email-code " + b[0], "POST", emailCode, b[1], 422, b[2]).key(null));
      c.add(json("POST /auth/verify " + b[0], "POST", verify, with(b[1], "code", "\"123456\""), 422, b[2]).key(null));
    }
    String[][] codeBad = {
        {"code missing", "{\"email\":\"nobody@example.com\"}", "missing_field"},
        {"code null", "{\"email\":\"nobody@example.com\",\"code\":null}", "missing_field"},
        {"code number", "{\"email\":\"nobody@example.com\",\"code\":123456}", "invalid_field"},
        {"code empty", "{\"email\":\"nobody@example.com\",\"code\":\"\"}", "invalid_field"},
        {"code 17 chars", "{\"email\":\"nobody@example.com\",\"code\":\"" + "1".repeat(17) + "\"}", "invalid_field"},
        {"code 5 digits", "{\"email\":\"nobody@example.com\",\"code\":\"12345\"}", "invalid_code"},
        {"code 7 digits", "{\"email\":\"nobody@example.com\",\"code\":\"1234567\"}", "invalid_code"},
        {"code letters", "{\"email\":\"nobody@example.com\",\"code\":\"abcdef\"}", "invalid_code"},
        {"code negative", "{\"email\":\"nobody@example.com\",\"code\":\"-12345\"}", "invalid_code"},
        {"code fullwidth digits", "{\"email\":\"nobody@example.com\",\"code\":\"１２３４５６\"}", "invalid_code"},
        {"code Arabic-Indic digits", "{\"email\":\"nobody@example.com\",\"code\":\"١٢٣٤٥٦\"}", "invalid_code"},
        {"code padded", "{\"email\":\"nobody@example.com\",\"code\":\" 123456\"}", "invalid_code"},
        {"code SQL", new JsonObject().put("email", "nobody@example.com").put("code", "1' OR '1'='1").encode(), "invalid_code"},
        {"code for an address with no code open", "{\"email\":\"nobody@example.com\",\"code\":\"123456\"}", "invalid_code"},
    };
    for (String[] b : codeBad) c.add(json("POST /auth/verify " + b[0], "POST", verify, b[1], 422, b[2]).key(null));

    // ---- Files: POST /files takes the raw image, GET /files/{id}.
    String files = API + "/files";
    byte[] garbage = utf8("this is not an image");
    c.add(request("POST /files Content-Type text/plain", "POST", files, "text/plain", garbage, 415, "unsupported_media_type"));
    c.add(request("POST /files no Content-Type", "POST", files, null, pngHeader(64, 64), 415, "unsupported_media_type"));
    c.add(request("POST /files Content-Type json", "POST", files, "application/json", utf8("{\"file\":\"x\"}"), 415,
        "unsupported_media_type"));
    c.add(request("POST /files Content-Type gif", "POST", files, "image/gif", utf8("GIF89a"), 415, "unsupported_media_type"));
    c.add(request("POST /files Content-Type svg", "POST", files, "image/svg+xml", utf8("<svg/>"), 415, "unsupported_media_type"));
    c.add(request("POST /files Content-Type multipart", "POST", files, "multipart/form-data; boundary=x",
        utf8("--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\n\r\nx\r\n--x--\r\n"), 415,
        "unsupported_media_type"));
    c.add(request("POST /files Content-Type image/pngx", "POST", files, "image/pngx", pngHeader(64, 64), 415,
        "unsupported_media_type"));
    c.add(request("POST /files empty png", "POST", files, "image/png", new byte[0], 422, "invalid_image"));
    c.add(request("POST /files empty jpeg", "POST", files, "image/jpeg", new byte[0], 422, "invalid_image"));
    c.add(request("POST /files text as png", "POST", files, "image/png", garbage, 422, "invalid_image"));
    c.add(request("POST /files JSON as png", "POST", files, "image/png", utf8("{\"a\":1}"), 422, "invalid_image"));
    c.add(request("POST /files text as jpeg", "POST", files, "image/jpeg", garbage, 422, "invalid_image"));
    c.add(request("POST /files JPEG magic then garbage", "POST", files, "image/jpeg",
        concat(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0}, garbage), 422, "invalid_image"));
    c.add(request("POST /files a whole PNG sent as image/jpeg", "POST", files, "image/jpeg", TINY_PNG, 422, "invalid_image"));
    c.add(request("POST /files a PNG header and no pixels", "POST", files, "image/png", pngHeader(64, 64), 422, "invalid_image"));
    c.add(request("POST /files a PNG cut in its header", "POST", files, "image/png",
        java.util.Arrays.copyOf(pngHeader(64, 64), 20), 422, "invalid_image"));
    c.add(request("POST /files a PNG of 10000x10000", "POST", files, "image/png", pngHeader(10_000, 10_000), 422,
        "image_too_large"));
    c.add(request("POST /files a PNG of 1x100000", "POST", files, "image/png", pngHeader(1, 100_000), 422, "image_too_large"));
    // Within 8192 a side but over the pixel bound (KILN_IMAGE_MAX_PIXELS, 40 MP): judged from the header.
    c.add(request("POST /files a PNG header of 8192x8192", "POST", files, "image/png", pngHeader(8192, 8192), 422,
        "image_too_large"));
    c.add(request("POST /files a PNG header of 7000x6000", "POST", files, "image/png", pngHeader(7000, 6000), 422,
        "image_too_large"));
    c.add(request("POST /files a whole 8 KB PNG of 8192x8192 (a decompression bomb)", "POST", files, "image/png",
        dev.kiln.testing.Pngs.blank(8192, 8192), 422, "image_too_large"));
    c.add(request("POST /files a PNG of 0x0", "POST", files, "image/png", pngHeader(0, 0), 422, "invalid_image"));
    c.add(request("POST /files a PNG of -1x-1", "POST", files, "image/png", pngHeader(-1, -1), 422, "invalid_image"));
    c.add(request("POST /files over the upload limit", "POST", files, "image/png",
        concat(pngHeader(64, 64), new byte[10 * 1024 * 1024]), 413, "payload_too_large"));
    ids(c, "GET /files/{id}", "GET", API + "/files/%s", null);
    c.add(get("GET /files/{id} of a task", API + "/files/" + knownTask, 404, "not_found"));

    // ---- Signed asset URLs: no credentials; the signature is the credential.
    UUID asset = UUID.randomUUID();
    long later = System.currentTimeMillis() / 1000 + 3600;
    String content = API + "/assets/" + asset + "/content";
    String good = signed(asset, later);
    String sig = good.substring(good.indexOf("signature=") + 10);
    String[][] assetBad = {
        {"no query", content, "403", "invalid_signature"},
        {"expires only", content + "?expires=" + later, "403", "invalid_signature"},
        {"signature only", content + "?signature=" + sig, "403", "invalid_signature"},
        {"expires empty", content + "?expires=&signature=" + sig, "403", "invalid_signature"},
        {"expires words", content + "?expires=later&signature=" + sig, "403", "invalid_signature"},
        {"expires negative", content + "?expires=-1&signature=" + sig, "403", "invalid_signature"},
        {"expires 1.5", content + "?expires=1.5&signature=" + sig, "403", "invalid_signature"},
        {"expires 13 digits", content + "?expires=1000000000000&signature=" + sig, "403", "invalid_signature"},
        {"expires past long", content + "?expires=99999999999999999999&signature=" + sig, "403", "invalid_signature"},
        {"expires moved on", content + "?expires=" + (later + 1) + "&signature=" + sig, "403", "invalid_signature"},
        {"signature empty", content + "?expires=" + later + "&signature=", "403", "invalid_signature"},
        {"signature short", content + "?expires=" + later + "&signature=" + sig.substring(1), "403", "invalid_signature"},
        {"signature long", content + "?expires=" + later + "&signature=" + sig + "A", "403", "invalid_signature"},
        {"signature padded", content + "?expires=" + later + "&signature=" + sig + "%3D", "403", "invalid_signature"},
        {"signature forged", content + "?expires=" + later + "&signature=" + "A".repeat(43), "403", "invalid_signature"},
        {"signature SQL", content + "?expires=" + later + "&signature=%27%20OR%201%3D1%20--", "403", "invalid_signature"},
        {"signature of another asset", signed(UUID.randomUUID(), later).replaceFirst("assets/[^/]+/", "assets/" + asset + "/"),
            "403", "invalid_signature"},
        {"signature upper-cased", content + "?expires=" + later + "&signature=" + sig.toUpperCase(), "403", "invalid_signature"},
        {"id not a UUID", API + "/assets/not-a-uuid/content?expires=" + later + "&signature=" + sig, "403", "invalid_signature"},
        {"id SQL", API + "/assets/%27%20OR%201%3D1%20--/content?expires=" + later + "&signature=" + sig, "403",
            "invalid_signature"},
        {"id emoji", API + "/assets/%F0%9F%94%A5/content?expires=" + later + "&signature=" + sig, "403", "invalid_signature"},
        {"id upper-cased (the same UUID)", good.replace(asset.toString(), asset.toString().toUpperCase()), "404", "not_found"},
        {"authentic but expired", signed(asset, System.currentTimeMillis() / 1000 - 1), "403", "url_expired"},
        {"authentic, expires 0", signed(asset, 0), "403", "url_expired"},
        {"authentic, unknown asset", good, "404", "not_found"},
        {"authentic, a task's id", signed(UUID.fromString(knownTask), later), "404", "not_found"},
        {"unknown parameter", good + "&download=1", "400", "unknown_parameter"},
        {"unknown parameter SQL", good + "&%27%3B--=1", "400", "unknown_parameter"},
    };
    for (String[] b : assetBad) {
      c.add(get("GET /assets/{id}/content " + b[0], b[1], Integer.parseInt(b[2]), b[3]).key(null));
    }
    c.add(get("GET /assets/{id}/content an admin key is no signature", content, 403, "invalid_signature"));

    // ---- Admin: queues.
    String queues = API + "/admin/queues";
    String[][] queueNames = {{"unknown", "nope"}, {"42", "42"}, {"SQL", "%27%20OR%201%3D1%20--"}, {"emoji", "%F0%9F%94%A5"},
        {"upper case", "IMAGE"}, {"padded", "%20image"}, {"1000 chars", "q".repeat(1000)}, {"NUL", "debug%00"}};
    for (String[] q : queueNames) {
      c.add(get("GET /admin/queues/{name} " + q[0], queues + "/" + q[1], 404, "not_found"));
      c.add(json("PUT /admin/queues/{name} " + q[0], "PUT", queues + "/" + q[1], "{\"max_concurrency\":2}", 404, "not_found"));
    }
    String debugQueue = queues + "/debug";
    bodies(c, "PUT /admin/queues/{name}", "PUT", debugQueue, "{\"max_concurrency\":16}", KilnNode.ADMIN_KEY);
    String[][] queueBad = {
        {"no field", "{}", "missing_field"},
        {"max_concurrency 0", "{\"max_concurrency\":0}", "invalid_field"},
        {"max_concurrency -1", "{\"max_concurrency\":-1}", "invalid_field"},
        {"max_concurrency 100001", "{\"max_concurrency\":100001}", "invalid_field"},
        {"max_concurrency string", "{\"max_concurrency\":\"4\"}", "invalid_field"},
        {"max_concurrency null", "{\"max_concurrency\":null}", "invalid_field"},
        {"max_concurrency 1.5", "{\"max_concurrency\":1.5}", "invalid_field"},
        {"max_concurrency 4.0", "{\"max_concurrency\":4.0}", "invalid_field"},
        {"max_concurrency 1e30", "{\"max_concurrency\":1e30}", "invalid_field"},
        {"max_concurrency past long", "{\"max_concurrency\":99999999999999999999}", "invalid_field"},
        {"max_concurrency past int", "{\"max_concurrency\":4294967297}", "invalid_field"},
        {"max_concurrency boolean", "{\"max_concurrency\":true}", "invalid_field"},
        {"max_concurrency array", "{\"max_concurrency\":[4]}", "invalid_field"},
        {"job_timeout 99", "{\"job_timeout\":99}", "invalid_field"},
        {"job_timeout over a week", "{\"job_timeout\":604800001}", "invalid_field"},
        {"job_timeout -1", "{\"job_timeout\":-1}", "invalid_field"},
        {"max_retries -1", "{\"max_retries\":-1}", "invalid_field"},
        {"max_retries 101", "{\"max_retries\":101}", "invalid_field"},
        {"retry_delay_base -1", "{\"retry_delay_base\":-1}", "invalid_field"},
        {"retry_delay_base over a day", "{\"retry_delay_base\":86400001}", "invalid_field"},
        {"retry_delay_max string", "{\"retry_delay_max\":\"5000\"}", "invalid_field"},
        {"retry_delay_max -5", "{\"retry_delay_max\":-5}", "invalid_field"},
        {"enable_priority string", "{\"enable_priority\":\"true\"}", "invalid_field"},
        {"enable_priority 1", "{\"enable_priority\":1}", "invalid_field"},
        {"enable_priority null", "{\"enable_priority\":null}", "invalid_field"},
        {"is_active string", "{\"is_active\":\"false\"}", "invalid_field"},
        {"is_active 0", "{\"is_active\":0}", "invalid_field"},
        {"a good field and a bad one", "{\"max_concurrency\":8,\"max_retries\":-1}", "invalid_field"},
        {"retry_delay_base above retry_delay_max", "{\"retry_delay_base\":10000,\"retry_delay_max\":5000}",
            "invalid_queue_config"},
        {"retry_delay_base above the queue's retry_delay_max", "{\"retry_delay_base\":86400000}", "invalid_queue_config"},
        {"retry_delay_max below the queue's retry_delay_base", "{\"retry_delay_max\":0,\"retry_delay_base\":1}",
            "invalid_queue_config"},
        {"queue is not a field", "{\"queue\":\"other\"}", "unknown_field"},
        {"updated_at is not a field", "{\"updated_at\":\"2026-01-01T00:00:00Z\"}", "unknown_field"},
        {"pending is not a field", "{\"pending\":0}", "unknown_field"},
    };
    for (String[] b : queueBad) c.add(json("PUT /admin/queues/{name} " + b[0], "PUT", debugQueue, b[1], 422, b[2]));

    // ---- Admin: workers.
    String workers = API + "/admin/workers";
    c.add(post("POST /admin/workers/{id}/drain unknown", workers + "/no-such-worker/drain", 404, "not_found"));
    c.add(post("POST /admin/workers/{id}/drain 42", workers + "/42/drain", 404, "not_found"));
    c.add(post("POST /admin/workers/{id}/drain unknown UUID", workers + "/" + nowhere + "/drain", 404, "not_found"));
    c.add(post("POST /admin/workers/{id}/drain SQL", workers + "/%27%20OR%201%3D1%20--/drain", 400, "invalid_id"));
    c.add(post("POST /admin/workers/{id}/drain emoji", workers + "/%F0%9F%94%A5/drain", 400, "invalid_id"));
    c.add(post("POST /admin/workers/{id}/drain 65 chars", workers + "/" + "w".repeat(65) + "/drain", 400, "invalid_id"));
    c.add(post("POST /admin/workers/{id}/drain a space", workers + "/a%20b/drain", 400, "invalid_id"));
    c.add(post("POST /admin/workers/{id}/drain an encoded slash", workers + "/a%2Fb/drain", 400, "invalid_id"));
    c.add(post("POST /admin/workers/{id}/drain NUL", workers + "/a%00/drain", 400, "invalid_id"));

    // ---- Admin: clients.
    String clients = API + "/admin/clients";
    bodies(c, "POST /admin/clients", "POST", clients, "{\"display_name\":\"x\",\"role\":\"third_party\"}", KilnNode.ADMIN_KEY);
    String[][] clientBad = {
        {"no field", "{}", "missing_field"},
        {"display_name missing", "{\"role\":\"third_party\"}", "missing_field"},
        {"role missing", "{\"display_name\":\"x\"}", "missing_field"},
        {"role null", "{\"display_name\":\"x\",\"role\":null}", "missing_field"},
        {"display_name null", "{\"display_name\":null,\"role\":\"third_party\"}", "missing_field"},
        {"display_name number", "{\"display_name\":42,\"role\":\"third_party\"}", "invalid_field"},
        {"display_name empty", "{\"display_name\":\"\",\"role\":\"third_party\"}", "invalid_field"},
        {"display_name blank", "{\"display_name\":\" \",\"role\":\"third_party\"}", "invalid_field"},
        {"display_name 101 chars", "{\"display_name\":\"" + "n".repeat(101) + "\",\"role\":\"third_party\"}", "invalid_field"},
        {"role unknown", "{\"display_name\":\"x\",\"role\":\"root\"}", "invalid_field"},
        {"role user", "{\"display_name\":\"x\",\"role\":\"user\"}", "invalid_field"},
        {"role upper case", "{\"display_name\":\"x\",\"role\":\"ADMIN\"}", "invalid_field"},
        {"role padded", "{\"display_name\":\"x\",\"role\":\"admin \"}", "invalid_field"},
        {"role fullwidth", "{\"display_name\":\"x\",\"role\":\"ａｄｍｉｎ\"}", "invalid_field"},
        {"role number", "{\"display_name\":\"x\",\"role\":1}", "invalid_field"},
        {"role array", "{\"display_name\":\"x\",\"role\":[\"admin\"]}", "invalid_field"},
        {"role 21 chars", "{\"display_name\":\"x\",\"role\":\"" + "r".repeat(21) + "\"}", "invalid_field"},
        {"role SQL", new JsonObject().put("display_name", INJECTION).put("role", "admin' OR '1'='1").encode(), "invalid_field"},
        {"api_key is not the client's", "{\"display_name\":\"x\",\"role\":\"third_party\",\"api_key\":\"mine\"}",
            "unknown_field"},
        {"id is not the client's", "{\"display_name\":\"x\",\"role\":\"third_party\",\"id\":\"admin\"}", "unknown_field"},
        {"is_active is not the client's", "{\"display_name\":\"x\",\"role\":\"third_party\",\"is_active\":true}",
            "unknown_field"},
    };
    for (String[] b : clientBad) c.add(json("POST /admin/clients " + b[0], "POST", clients, b[1], 422, b[2]));
    c.add(delete("DELETE /admin/clients/{id} unknown", clients + "/no-such-client", 404, "not_found"));
    c.add(delete("DELETE /admin/clients/{id} 42", clients + "/42", 404, "not_found"));
    c.add(delete("DELETE /admin/clients/{id} unknown UUID", clients + "/" + nowhere, 404, "not_found"));
    c.add(delete("DELETE /admin/clients/{id} SQL", clients + "/%27%20OR%201%3D1%20--", 400, "invalid_id"));
    c.add(delete("DELETE /admin/clients/{id} emoji", clients + "/%F0%9F%94%A5", 400, "invalid_id"));
    c.add(delete("DELETE /admin/clients/{id} 65 chars", clients + "/" + "c".repeat(65), 400, "invalid_id"));
    c.add(delete("DELETE /admin/clients/{id} a dot", clients + "/key.1", 400, "invalid_id"));
    c.add(delete("DELETE /admin/clients/{id} NUL", clients + "/a%00", 400, "invalid_id"));
    c.add(delete("DELETE /admin/clients/{id} the admin", clients + "/admin", 409, "cannot_revoke_admin"));

    // ---- Admin: wallet grants. For the admin's own wallet, so a grant let through would show.
    String grant = API + "/admin/wallets/grant";
    bodies(c, "POST /admin/wallets/grant", "POST", grant, "{\"api_client_id\":\"admin\",\"amount\":5}", KilnNode.ADMIN_KEY);
    String[][] grantBad = {
        {"no field", "{}", "422", "missing_field"},
        {"api_client_id missing", "{\"amount\":5}", "422", "missing_field"},
        {"api_client_id null", "{\"api_client_id\":null,\"amount\":5}", "422", "missing_field"},
        {"api_client_id number", "{\"api_client_id\":42,\"amount\":5}", "422", "invalid_field"},
        {"api_client_id empty", "{\"api_client_id\":\"\",\"amount\":5}", "422", "invalid_field"},
        {"api_client_id 65 chars", "{\"api_client_id\":\"" + "a".repeat(65) + "\",\"amount\":5}", "422", "invalid_field"},
        {"api_client_id unknown", "{\"api_client_id\":\"no-such-client\",\"amount\":5}", "404", "not_found"},
        {"api_client_id SQL", new JsonObject().put("api_client_id", INJECTION).put("amount", 5).encode(), "404", "not_found"},
        {"api_client_id emoji", "{\"api_client_id\":\"🔥\",\"amount\":5}", "404", "not_found"},
        {"api_client_id upper case", "{\"api_client_id\":\"ADMIN\",\"amount\":5}", "404", "not_found"},
        {"amount missing", "{\"api_client_id\":\"admin\"}", "422", "missing_field"},
        {"amount null", "{\"api_client_id\":\"admin\",\"amount\":null}", "422", "missing_field"},
        {"amount 0", "{\"api_client_id\":\"admin\",\"amount\":0}", "422", "invalid_field"},
        {"amount -1", "{\"api_client_id\":\"admin\",\"amount\":-1}", "422", "invalid_field"},
        {"amount long min", "{\"api_client_id\":\"admin\",\"amount\":-9223372036854775808}", "422", "invalid_field"},
        {"amount 1.5", "{\"api_client_id\":\"admin\",\"amount\":1.5}", "422", "invalid_field"},
        {"amount 5.0", "{\"api_client_id\":\"admin\",\"amount\":5.0}", "422", "invalid_field"},
        {"amount string", "{\"api_client_id\":\"admin\",\"amount\":\"5\"}", "422", "invalid_field"},
        {"amount boolean", "{\"api_client_id\":\"admin\",\"amount\":true}", "422", "invalid_field"},
        {"amount 1e30", "{\"api_client_id\":\"admin\",\"amount\":1e30}", "422", "invalid_field"},
        {"amount past the largest grant", "{\"api_client_id\":\"admin\",\"amount\":1000000000001}", "422", "invalid_field"},
        {"amount past long", "{\"api_client_id\":\"admin\",\"amount\":99999999999999999999}", "422", "invalid_field"},
        {"user_id number", "{\"api_client_id\":\"admin\",\"amount\":5,\"user_id\":7}", "422", "invalid_field"},
        {"user_id empty", "{\"api_client_id\":\"admin\",\"amount\":5,\"user_id\":\"\"}", "422", "invalid_field"},
        {"user_id 129 chars", "{\"api_client_id\":\"admin\",\"amount\":5,\"user_id\":\"" + "u".repeat(129) + "\"}", "422",
            "invalid_field"},
        {"note number", "{\"api_client_id\":\"admin\",\"amount\":5,\"note\":1}", "422", "invalid_field"},
        {"note 501 chars", "{\"api_client_id\":\"admin\",\"amount\":5,\"note\":\"" + "n".repeat(501) + "\"}", "422",
            "invalid_field"},
        {"balance is not a field", "{\"api_client_id\":\"admin\",\"amount\":5,\"balance\":5}", "422", "unknown_field"},
        {"wallet_id is not a field", "{\"api_client_id\":\"admin\",\"amount\":5,\"wallet_id\":\"" + nowhere + "\"}", "422",
            "unknown_field"},
    };
    for (String[] b : grantBad) {
      c.add(json("POST /admin/wallets/grant " + b[0], "POST", grant, b[1], Integer.parseInt(b[2]), b[3]));
    }

    // ---- Admin: task configs (seed 001).
    String taskConfigs = API + "/admin/task-configs";
    String oneConfig = taskConfigs + "/" + knownConfig;
    String fineConfig = "{\"name\":\"x\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"MANUAL\"}";
    bodies(c, "POST /admin/task-configs", "POST", taskConfigs, fineConfig, KilnNode.ADMIN_KEY);
    bodies(c, "PUT /admin/task-configs/{id}", "PUT", oneConfig, "{\"name\":\"y\"}", KilnNode.ADMIN_KEY);
    String past = java.time.Instant.now().minusSeconds(3600).toString();
    String cronWith = "{\"name\":\"x\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"CRON\",\"schedule_config\":";
    String dateWith = "{\"name\":\"x\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"DATE\",\"schedule_config\":";
    String manualWith = "{\"name\":\"x\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"MANUAL\",";
    String[][] configBad = {
        {"no field", "{}", "missing_field"},
        {"name missing", "{\"task_type\":\"debug.noop\",\"scheduler_type\":\"MANUAL\"}", "missing_field"},
        {"name empty", "{\"name\":\"\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"MANUAL\"}", "invalid_field"},
        {"name 201 chars", "{\"name\":\"" + "n".repeat(201) + "\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"MANUAL\"}",
            "invalid_field"},
        {"name number", "{\"name\":5,\"task_type\":\"debug.noop\",\"scheduler_type\":\"MANUAL\"}", "invalid_field"},
        {"task_type missing", "{\"name\":\"x\",\"scheduler_type\":\"MANUAL\"}", "missing_field"},
        {"task_type unknown", "{\"name\":\"x\",\"task_type\":\"image.upscale\",\"scheduler_type\":\"MANUAL\"}",
            "unknown_tool_action"},
        {"task_type SQL", new JsonObject().put("name", "x").put("task_type", INJECTION).put("scheduler_type", "MANUAL").encode(),
            "unknown_tool_action"},
        {"task_type number", "{\"name\":\"x\",\"task_type\":1,\"scheduler_type\":\"MANUAL\"}", "invalid_field"},
        {"scheduler_type missing", "{\"name\":\"x\",\"task_type\":\"debug.noop\"}", "missing_field"},
        {"scheduler_type lower case", "{\"name\":\"x\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"cron\"}", "invalid_field"},
        {"scheduler_type HOURLY", "{\"name\":\"x\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"HOURLY\"}", "invalid_field"},
        {"scheduler_type number", "{\"name\":\"x\",\"task_type\":\"debug.noop\",\"scheduler_type\":1}", "invalid_field"},
        {"parameters a string", manualWith + "\"parameters\":\"x\"}", "invalid_field"},
        {"parameters an array", manualWith + "\"parameters\":[]}", "invalid_field"},
        {"parameters the action refuses", manualWith + "\"parameters\":{\"x\":1}}", "invalid_input"},
        {"parameters of the wrong type", "{\"name\":\"x\",\"task_type\":\"debug.sleep\",\"scheduler_type\":\"MANUAL\","
            + "\"parameters\":{\"duration_ms\":-1}}", "invalid_input"},
        {"parameters naming a file nobody has", "{\"name\":\"x\",\"task_type\":\"image.hires\",\"scheduler_type\":\"MANUAL\","
            + "\"parameters\":{\"source_image\":\"" + nowhere + "\"}}", "invalid_image"},
        {"schedule_config a string", manualWith + "\"schedule_config\":\"0 0 * * *\"}", "invalid_field"},
        {"MANUAL with a cron_expression", manualWith + "\"schedule_config\":{\"cron_expression\":\"0 0 * * *\"}}",
            "invalid_schedule_config"},
        {"CRON without schedule_config", "{\"name\":\"x\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"CRON\"}",
            "invalid_schedule_config"},
        {"CRON minute 61", cronWith + "{\"cron_expression\":\"61 * * * *\"}}", "invalid_cron_expression"},
        {"CRON four fields", cronWith + "{\"cron_expression\":\"* * * *\"}}", "invalid_cron_expression"},
        {"CRON six fields (seconds)", cronWith + "{\"cron_expression\":\"0 0 0 * * *\"}}", "invalid_cron_expression"},
        {"CRON a nickname", cronWith + "{\"cron_expression\":\"@daily\"}}", "invalid_cron_expression"},
        {"CRON Quartz's ?", cronWith + "{\"cron_expression\":\"0 0 ? * *\"}}", "invalid_cron_expression"},
        {"CRON that never fires", cronWith + "{\"cron_expression\":\"0 0 31 2 *\"}}", "invalid_cron_expression"},
        {"CRON SQL", cronWith + new JsonObject().put("cron_expression", INJECTION).encode() + "}", "invalid_cron_expression"},
        {"CRON empty", cronWith + "{\"cron_expression\":\"\"}}", "invalid_schedule_config"},
        {"CRON 201 chars", cronWith + "{\"cron_expression\":\"" + "*".repeat(201) + "\"}}", "invalid_schedule_config"},
        {"CRON a number", cronWith + "{\"cron_expression\":5}}", "invalid_schedule_config"},
        {"CRON an unknown field", cronWith + "{\"cron_expression\":\"0 0 * * *\",\"every\":\"day\"}}", "invalid_schedule_config"},
        {"CRON an unknown time zone", cronWith + "{\"cron_expression\":\"0 0 * * *\",\"timezone\":\"Mars/Olympus\"}}",
            "unknown_time_zone"},
        {"CRON an offset for a zone", cronWith + "{\"cron_expression\":\"0 0 * * *\",\"timezone\":\"+02:00\"}}", "unknown_time_zone"},
        {"CRON a zone in lower case", cronWith + "{\"cron_expression\":\"0 0 * * *\",\"timezone\":\"europe/paris\"}}",
            "unknown_time_zone"},
        {"CRON a zone that is a number", cronWith + "{\"cron_expression\":\"0 0 * * *\",\"timezone\":2}}", "invalid_schedule_config"},
        {"DATE run_at in the past", dateWith + "{\"run_at\":\"" + past + "\"}}", "run_at_in_past"},
        {"DATE run_at without an offset", dateWith + "{\"run_at\":\"2099-01-01T00:00:00\"}}", "invalid_schedule_config"},
        {"DATE run_at words", dateWith + "{\"run_at\":\"tomorrow\"}}", "invalid_schedule_config"},
        {"DATE run_at a number", dateWith + "{\"run_at\":4102444800}}", "invalid_schedule_config"},
        {"DATE without run_at", dateWith + "{}}", "invalid_schedule_config"},
        {"max_retries -1", manualWith + "\"max_retries\":-1}", "invalid_field"},
        {"max_retries 101", manualWith + "\"max_retries\":101}", "invalid_field"},
        {"max_retries string", manualWith + "\"max_retries\":\"3\"}", "invalid_field"},
        {"max_retries 1.5", manualWith + "\"max_retries\":1.5}", "invalid_field"},
        {"timeout_seconds 0", manualWith + "\"timeout_seconds\":0}", "invalid_field"},
        {"timeout_seconds over a week", manualWith + "\"timeout_seconds\":604801}", "invalid_field"},
        {"timeout_seconds past long", manualWith + "\"timeout_seconds\":99999999999999999999}", "invalid_field"},
        {"priority 1001", manualWith + "\"priority\":1001}", "invalid_field"},
        {"priority string", manualWith + "\"priority\":\"high\"}", "invalid_field"},
        {"is_active string", manualWith + "\"is_active\":\"yes\"}", "invalid_field"},
        {"is_active 1", manualWith + "\"is_active\":1}", "invalid_field"},
        {"misfire_policy upper case", manualWith + "\"misfire_policy\":\"FIRE_ONCE\"}", "invalid_field"},
        {"misfire_policy unknown", manualWith + "\"misfire_policy\":\"later\"}", "invalid_field"},
        {"misfire_policy number", manualWith + "\"misfire_policy\":1}", "invalid_field"},
        {"id is not a field", manualWith + "\"id\":1}", "unknown_field"},
        {"next_run_at is not a field", manualWith + "\"next_run_at\":\"2099-01-01T00:00:00Z\"}", "unknown_field"},
        {"is_scheduled is not a field", manualWith + "\"is_scheduled\":true}", "unknown_field"},
    };
    for (String[] b : configBad) c.add(json("POST /admin/task-configs " + b[0], "POST", taskConfigs, b[1], 422, b[2]));
    String[][] configChangeBad = {
        {"no field", "{}", "missing_field"},
        {"name null", "{\"name\":null}", "missing_field"},
        {"name empty", "{\"name\":\"\"}", "invalid_field"},
        {"CRON without a schedule_config", "{\"scheduler_type\":\"CRON\"}", "invalid_schedule_config"},
        {"a cron_expression on a MANUAL config", "{\"schedule_config\":{\"cron_expression\":\"0 0 * * *\"}}", "invalid_schedule_config"},
        {"CRON a bad expression", "{\"scheduler_type\":\"CRON\",\"schedule_config\":{\"cron_expression\":\"0 0 * *\"}}",
            "invalid_cron_expression"},
        {"CRON an unknown time zone", "{\"scheduler_type\":\"CRON\",\"schedule_config\":{\"cron_expression\":\"0 0 * * *\","
            + "\"timezone\":\"Nowhere/City\"}}", "unknown_time_zone"},
        {"DATE in the past", "{\"scheduler_type\":\"DATE\",\"schedule_config\":{\"run_at\":\"" + past + "\"}}", "run_at_in_past"},
        {"parameters the action refuses", "{\"parameters\":{\"x\":1}}", "invalid_input"},
        {"a task_type its parameters do not fit", "{\"task_type\":\"debug.sleep\",\"parameters\":{\"hang\":\"yes\"}}",
            "invalid_input"},
        {"task_type unknown", "{\"task_type\":\"nope\"}", "unknown_tool_action"},
        {"is_active string", "{\"is_active\":\"no\"}", "invalid_field"},
        {"max_retries -1", "{\"max_retries\":-1}", "invalid_field"},
        {"a good field and a bad one", "{\"name\":\"fine\",\"priority\":5000}", "invalid_field"},
        {"id is not a field", "{\"id\":5}", "unknown_field"},
    };
    for (String[] b : configChangeBad) c.add(json("PUT /admin/task-configs/{id} " + b[0], "PUT", oneConfig, b[1], 422, b[2]));
    String[][] configIds = {{"letters", "abc"}, {"0", "0"}, {"negative", "-1"}, {"1.5", "1.5"}, {"1e3", "1e3"},
        {"a UUID", nowhere}, {"SQL", "%27%20OR%201%3D1%20--"}, {"19 digits", "9".repeat(19)}, {"emoji", "%F0%9F%94%A5"},
        {"padded", "%201"}};
    for (String[] b : configIds) {
      c.add(get("GET /admin/task-configs/{id} " + b[0], taskConfigs + "/" + b[1], 400, "invalid_id"));
      c.add(json("PUT /admin/task-configs/{id} " + b[0], "PUT", taskConfigs + "/" + b[1], "{\"name\":\"y\"}", 400, "invalid_id"));
      c.add(delete("DELETE /admin/task-configs/{id} " + b[0], taskConfigs + "/" + b[1], 400, "invalid_id"));
      c.add(post("POST /admin/task-configs/{id}/run " + b[0], taskConfigs + "/" + b[1] + "/run", 400, "invalid_id"));
      c.add(get("GET /admin/task-configs/{id}/executions " + b[0], taskConfigs + "/" + b[1] + "/executions", 400, "invalid_id"));
    }
    String noConfig = taskConfigs + "/987654321";
    c.add(get("GET /admin/task-configs/{id} unknown", noConfig, 404, "not_found"));
    c.add(json("PUT /admin/task-configs/{id} unknown", "PUT", noConfig, "{\"name\":\"y\"}", 404, "not_found"));
    c.add(delete("DELETE /admin/task-configs/{id} unknown", noConfig, 404, "not_found"));
    c.add(post("POST /admin/task-configs/{id}/run unknown", noConfig + "/run", 404, "not_found"));
    c.add(get("GET /admin/task-configs/{id}/executions unknown", noConfig + "/executions", 404, "not_found"));
    String runs = oneConfig + "/executions";
    String[][] runsBad = {
        {"unknown parameter", "status=completed", "unknown_parameter"},
        {"limit 0", "limit=0", "invalid_parameter"},
        {"limit 101", "limit=101", "invalid_parameter"},
        {"limit words", "limit=ten", "invalid_parameter"},
        {"limit twice", "limit=1&limit=2", "invalid_parameter"},
        {"cursor garbage", "cursor=garbage", "invalid_cursor"},
        {"cursor without an id", "cursor=" + base64("2026-01-01T00:00:00Z"), "invalid_cursor"},
        {"cursor with a bad id", "cursor=" + base64("2026-01-01T00:00:00Z|x"), "invalid_cursor"},
        {"cursor with a bad time", "cursor=" + base64("yesterday|5"), "invalid_cursor"},
    };
    for (String[] b : runsBad) c.add(get("GET /admin/task-configs/{id}/executions " + b[0], runs + "?" + b[1], 400, b[2]));

    // ---- Credentials, on every endpoint that wants them.
    String client = "{\"display_name\":\"x\",\"role\":\"third_party\"}";
    String grantBody = "{\"api_client_id\":\"admin\",\"amount\":5}";
    List<Case> endpoints = List.of(
        post("POST /tasks/{id}/retry", task + "/retry", 0, null),
        post("POST /tasks/{id}/restore", task + "/restore", 0, null),
        delete("DELETE /tasks/{id}", task, 0, null),
        get("GET /tasks", tasks, 0, null),
        json("POST /batches", "POST", batches, fine, 0, null),
        get("GET /batches/{id}", batch, 0, null),
        post("POST /batches/{id}/cancel", batch + "/cancel", 0, null),
        get("GET /history", history, 0, null),
        get("GET /history/{id}", API + "/history/" + knownBatch, 0, null),
        get("GET /me/wallet", API + "/me/wallet", 0, null),
        json("POST /generation-requests", "POST", API + "/generation-requests", "{\"prompt\":\"a\"}", 0, null),
        get("GET /generation-requests", API + "/generation-requests", 0, null),
        get("GET /generation-requests/{id}", API + "/generation-requests/" + knownRequest, 0, null),
        json("PATCH /generation-requests/{id}", "PATCH", API + "/generation-requests/" + knownRequest, "{\"selected_image_index\":0}", 0, null),
        post("POST /generation-requests/{id}/cancel", API + "/generation-requests/" + knownRequest + "/cancel", 0, null),
        get("GET /generation-requests/{id}/events", API + "/generation-requests/" + knownRequest + "/events", 0, null),
        get("GET /me", API + "/me", 0, null),
        get("GET /events", API + "/events", 0, null),
        post("POST /auth/logout", API + "/auth/logout", 0, null),
        request("POST /files", "POST", files, "image/png", pngHeader(64, 64), 0, null),
        get("GET /files/{id}", API + "/files/" + nowhere, 0, null),
        get("GET /admin/queues", queues, 0, null),
        get("GET /admin/queues/{name}", debugQueue, 0, null),
        json("PUT /admin/queues/{name}", "PUT", debugQueue, "{\"max_concurrency\":3}", 0, null),
        get("GET /admin/workers", workers, 0, null),
        post("POST /admin/workers/{id}/drain", workers + "/no-such-worker/drain", 0, null),
        json("POST /admin/clients", "POST", clients, client, 0, null),
        get("GET /admin/clients", clients, 0, null),
        delete("DELETE /admin/clients/{id}", clients + "/no-such-client", 0, null),
        json("POST /admin/wallets/grant", "POST", grant, grantBody, 0, null),
        json("POST /admin/task-configs", "POST", taskConfigs, fineConfig, 0, null),
        get("GET /admin/task-configs", taskConfigs, 0, null),
        get("GET /admin/task-configs/{id}", oneConfig, 0, null),
        json("PUT /admin/task-configs/{id}", "PUT", oneConfig, "{\"name\":\"y\"}", 0, null),
        delete("DELETE /admin/task-configs/{id}", oneConfig, 0, null),
        post("POST /admin/task-configs/{id}/run", oneConfig + "/run", 0, null),
        get("GET /admin/task-configs/{id}/executions", runs, 0, null),
        get("GET /admin/routes", API + "/admin/routes", 0, null));
    for (Case e : endpoints) {
      c.add(unauthorized(e, "no credentials").key(null));
      c.add(unauthorized(e, "unknown X-Auth-Key").key(UNKNOWN_KEY));
      c.add(unauthorized(e, "empty X-Auth-Key").key(""));
      c.add(unauthorized(e, "X-Auth-Key of 300 chars").key("k".repeat(300)));
      c.add(unauthorized(e, "X-Auth-Key SQL").key("' OR '1'='1"));
      c.add(unauthorized(e, "Authorization Basic").key(null).header("Authorization", "Basic x"));
      c.add(unauthorized(e, "Authorization Bearer garbage").key(null).header("Authorization", "Bearer garbage-not-a-token"));
      c.add(unauthorized(e, "Authorization Bearer of 600 chars").key(null).header("Authorization", "Bearer " + "t".repeat(600)));
      c.add(unauthorized(e, "Authorization Token").key(null).header("Authorization", "Token " + KilnNode.ADMIN_KEY));
      c.add(unauthorized(e, "the admin key as a bearer token").key(null).header("Authorization", "Bearer " + KilnNode.ADMIN_KEY));
      c.add(unauthorized(e, "the admin key with Authorization Basic").header("Authorization", "Basic x"));
      c.add(e.expect(e.name() + " a bearer token and an X-Auth-Key", 400, "ambiguous_credentials")
          .header("Authorization", "Bearer garbage-not-a-token"));
      c.add(e.expect(e.name() + " X-User-Id with illegal characters", 400, "invalid_user_id").header("X-User-Id", "bad user!"));
      c.add(e.expect(e.name() + " a bearer token and an X-User-Id", 400, "ambiguous_credentials").key(null)
          .header("Authorization", "Bearer " + userToken).header("X-User-Id", "someone"));
      if (e.path().startsWith(API + "/admin/")) {
        c.add(e.expect(e.name() + " as a signed-in user", 403, "forbidden").key(null)
            .header("Authorization", "Bearer " + userToken));
        c.add(e.expect(e.name() + " as a first_party client", 403, "forbidden").key(KilnNode.FIRST_PARTY_KEY));
        c.add(e.expect(e.name() + " as a third_party client", 403, "forbidden").key(thirdPartyKey));
        c.add(e.expect(e.name() + " as a first_party client for a user", 403, "forbidden").key(KilnNode.FIRST_PARTY_KEY)
            .header("X-User-Id", "someone"));
      }
    }

    // ---- Another's task and batch, for a signed-in end user: as if they did not exist.
    List<Case> others = List.of(
        post("POST /tasks/{id}/retry", task + "/retry", 404, "not_found"),
        post("POST /tasks/{id}/restore", task + "/restore", 404, "not_found"),
        delete("DELETE /tasks/{id}", task, 404, "not_found"),
        get("GET /batches/{id}", batch, 404, "not_found"),
        post("POST /batches/{id}/cancel", batch + "/cancel", 404, "not_found"),
        get("GET /history/{id}", API + "/history/" + knownBatch, 404, "not_found"),
        get("GET /generation-requests/{id}", API + "/generation-requests/" + knownRequest, 404, "not_found"),
        json("PATCH /generation-requests/{id}", "PATCH", API + "/generation-requests/" + knownRequest, "{\"selected_image_index\":0}",
            404, "not_found"),
        post("POST /generation-requests/{id}/cancel", API + "/generation-requests/" + knownRequest + "/cancel", 404, "not_found"),
        get("GET /generation-requests/{id}/events", API + "/generation-requests/" + knownRequest + "/events", 404, "not_found"));
    for (Case e : others) {
      c.add(e.expect(e.name() + " the admin's, as a signed-in user", 404, "not_found").key(null)
          .header("Authorization", "Bearer " + userToken));
    }

    // ---- Routes and methods.
    c.add(get("unknown route under batches", batch + "/nope", 404, "not_found"));
    c.add(get("misspelt history", API + "/histroy", 404, "not_found"));
    c.add(get("unknown admin route", API + "/admin/nope", 404, "not_found"));
    c.add(get("unknown route under me", API + "/me/nope", 404, "not_found"));
    c.add(json("PUT /batches", "PUT", batches, fine, ANY_4XX, null));
    c.add(json("PATCH /batches/{id}", "PATCH", batch, "{}", ANY_4XX, null));
    c.add(delete("DELETE /batches/{id}", batch, ANY_4XX, null));
    c.add(json("POST /history", "POST", history, "{}", ANY_4XX, null));
    c.add(delete("DELETE /me", API + "/me", ANY_4XX, null));
    c.add(get("GET /auth/logout", API + "/auth/logout", ANY_4XX, null));
    c.add(get("GET /auth/email-code", emailCode, ANY_4XX, null));
    c.add(delete("DELETE /files/{id}", API + "/files/" + nowhere, ANY_4XX, null));
    c.add(json("PATCH /admin/queues/{name}", "PATCH", debugQueue, "{\"max_concurrency\":3}", ANY_4XX, null));
    c.add(delete("DELETE /admin/queues/{name}", debugQueue, ANY_4XX, null));
    c.add(get("GET /admin/wallets/grant", grant, ANY_4XX, null));
    c.add(get("GET /admin/workers/{id}/drain", workers + "/no-such-worker/drain", ANY_4XX, null));
    c.add(json("PUT /admin/clients", "PUT", clients, client, ANY_4XX, null));
    c.add(json("PATCH /admin/task-configs/{id}", "PATCH", oneConfig, "{\"name\":\"y\"}", ANY_4XX, null));
    c.add(delete("DELETE /admin/task-configs", taskConfigs, ANY_4XX, null));
    c.add(json("PUT /admin/task-configs", "PUT", taskConfigs, fineConfig, ANY_4XX, null));
    c.add(request("POST /assets/{id}/content", "POST", good, "application/json", utf8("{}"), ANY_4XX, null).key(null));

    // ---- What java.net.URI refuses to send: raw HTTP/1.1.
    c.add(raw("raw: batch id with bad percent-encoding", "GET " + API + "/batches/%zz HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: history id with bad percent-encoding", "GET " + API + "/history/%zz HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: file id with bad percent-encoding", "GET " + API + "/files/%zz HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: retry id with bad percent-encoding", "POST " + API + "/tasks/%zz/retry HTTP/1.1\r\nContent-Length: 0",
        400, "bad_request"));
    c.add(raw("raw: queue name with bad percent-encoding", "GET " + queues + "/%zz HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: asset id with bad percent-encoding", "GET " + API + "/assets/%zz/content HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: status with bad percent-encoding", "GET " + tasks + "?status=%zz HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: cursor with bad percent-encoding", "GET " + history + "?cursor=%zz HTTP/1.1", 400, "bad_request"));
    c.add(raw("raw: signature with bad percent-encoding", "GET " + content + "?expires=" + later + "&signature=%zz HTTP/1.1",
        400, "bad_request"));
    c.add(raw("raw: bad percent-encoding in the query of a route with an {id}", "GET " + batch + "?x=%zz HTTP/1.1",
        400, "bad_request"));
    c.add(raw("raw: bad percent-encoding in the query of POST /tasks/{id}/retry",
        "POST " + task + "/retry?x=%zz HTTP/1.1\r\nContent-Length: 0", 400, "bad_request"));
    c.add(raw("raw: bad percent-encoding in the query of GET /files/{id}", "GET " + API + "/files/" + nowhere + "?x=%zz HTTP/1.1",
        400, "bad_request"));
    c.add(raw("raw: X-Auth-Key with a NUL", "GET " + API + "/me HTTP/1.1\r\nX-Auth-Key: a\u0000b", 400, "bad_request"));
    c.add(raw("raw: a 10000-char query", "GET " + tasks + "?status=" + "p".repeat(10_000) + " HTTP/1.1", 414, "uri_too_long"));
    return c;
  }

  private static Case unauthorized(Case e, String what) {
    return e.expect(e.name() + " " + what, 401, "unauthorized");
  }

  @TestFactory
  Stream<DynamicTest> rejectedRequestsAreProblemsAndLeaveNoTrace() throws Exception {
    Map<String, Object> before = snapshot();
    return BadRequests.sweep(kiln.port(), rejected(), "the database is unchanged", () -> assertEquals(before, snapshot()),
        DynamicTest.dynamicTest("the node still takes a valid batch", () -> {
          Api.Reply r = kiln.api().post(API + "/batches", "{\"prompt\":\"after the sweep\",\"width\":64,\"height\":64}");
          assertEquals(202, r.status(), r.body());
          assertEquals(200, kiln.api().get(API + "/batches/" + r.json().getString("id")).status());
        }),
        DynamicTest.dynamicTest("the node still takes a valid generic batch", () -> {
          Api.Reply r = kiln.api().post(API + "/batches", "{\"tool_action\":\"debug.noop\",\"items\":[{},{}]}");
          assertEquals(202, r.status(), r.body());
          assertEquals(2, kiln.api().get(API + "/batches/" + r.json().getString("id")).json().getJsonArray("tasks").size());
        }),
        DynamicTest.dynamicTest("a batch with whole numbers written 64.0 is taken (not a 500)", () -> {
          Api.Reply r = kiln.api().post(API + "/batches", "{\"prompt\":\"x\",\"width\":64.0,\"height\":64,\"num_inference_steps\":2.0}");
          assertEquals(202, r.status(), r.body());
          assertEquals(64, r.json().getInteger("width"));
        }),
        DynamicTest.dynamicTest("the node still answers the admin API", () -> {
          Api.Reply r = kiln.api().get(API + "/admin/queues/debug");
          assertEquals(200, r.status(), r.body());
          assertEquals(16, r.json().getInteger("max_concurrency"));
        }));
  }

  /** What a request could have written: row counts, and the rows an action changes in place. */
  private static Map<String, Object> snapshot() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    try (Sql sql = kiln.sql()) {
      for (String t : TABLES) out.put(t, sql.count("SELECT count(*) FROM " + t));
      out.put("queue_configs", sql.rows("SELECT * FROM queue_configs ORDER BY queue"));
      for (String t : UPDATED) {
        out.put(t + " content", sql.rows("SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM "
            + t + " x").get(0).get("h"));
      }
    }
    return out;
  }
}
