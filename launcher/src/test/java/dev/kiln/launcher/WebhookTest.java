package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A task's webhook_url is POSTed the task when it ends: signed, and retried until it lands. */
class WebhookTest {
  static final String SECRET = "test-webhook-secret";

  record Received(String path, String query, String host, String signature, String delivery, String body) {}

  // The receiver is on 127.0.0.1: allowed here, refused by default (see aPrivateReceiverIsRefused).
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_WEBHOOK_SECRET", SECRET,
      "KILN_WEBHOOK_PRIVATE_ADDRESSES", "true"));
  private static Vertx receiverVertx;
  private static int receiverPort;
  private static final List<Received> received = new CopyOnWriteArrayList<>();
  private static final AtomicInteger flakyCalls = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    receiverVertx = Vertx.vertx();
    HttpServer server = receiverVertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      received.add(new Received(req.path(), req.query(), req.getHeader("Host"), req.getHeader("X-Kiln-Signature"),
          req.getHeader("X-Kiln-Delivery"), b.toString()));
      boolean fail = req.path().equals("/flaky") && flakyCalls.incrementAndGet() == 1;
      req.response().setStatusCode(fail ? 500 : 204).end();
    }));
    receiverPort = server.listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
  }

  @AfterAll
  static void stop() throws Exception {
    if (receiverVertx != null) receiverVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static String hmac(String body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void anEndedTaskIsPostedSignedAndAFailedDeliveryIsRetried() throws Exception {
    String url = "http://127.0.0.1:" + receiverPort + "/flaky";
    String id = kiln.api().submit(new JsonObject().put("tool_action", "debug.noop").put("webhook_url", url)).getString("id");
    assertEquals(url, kiln.api().task(id).getString("webhook_url"));
    Received ok = Eventually.await("delivered after a retry", Duration.ofSeconds(30), () ->
        flakyCalls.get() >= 2 ? received.get(received.size() - 1) : null);
    JsonObject body = new JsonObject(ok.body());
    assertEquals("task.completed", body.getString("event"));
    assertEquals(id, body.getJsonObject("task").getString("id"));
    assertEquals("completed", body.getJsonObject("task").getString("status"));
    assertEquals(hmac(ok.body()), ok.signature(), "signed with HMAC-SHA256 of the body");
    try (Sql sql = kiln.sql()) {
      Map<String, Object> d = sql.rows("SELECT attempts, delivered_at, last_status FROM webhook_deliveries WHERE task_id = ?::uuid", id).get(0);
      assertEquals(2, d.get("attempts"));
      assertTrue(d.get("delivered_at") != null);
      assertEquals(204, d.get("last_status"));
    }
    long deliveries = received.stream().filter(r -> r.path().equals("/flaky")).count();
    assertEquals(2, deliveries, "once failed, once delivered, and then no more");
  }

  /** The task in a webhook is the task as the API shows it: its input preview is a signed URL that works without a key. */
  @Test
  void aTaskWithAnInputImageIsPostedWithASignedPreview() throws Exception {
    String url = "http://127.0.0.1:" + receiverPort + "/preview";
    byte[] png = ToolActionsTest.png(96, 64, new java.awt.Color(10, 90, 160), new java.awt.Color(240, 200, 40));
    String file = ToolActionsTest.upload(kiln.api(), png).getString("id");
    String id = kiln.api().submit(new JsonObject().put("tool_action", "image.hires").put("webhook_url", url)
        .put("input", new JsonObject().put("source_image", file).put("scale", 2))).getString("id");
    Received got = Eventually.await("the task delivery", Duration.ofSeconds(60), () ->
        received.stream().filter(r -> r.path().equals("/preview")).findFirst().orElse(null));
    JsonObject task = new JsonObject(got.body()).getJsonObject("task");
    assertEquals(id, task.getString("id"));
    assertEquals("completed", task.getString("status"));
    String preview = task.getJsonObject("result").getString("input_preview");
    assertTrue(preview != null && preview.startsWith("/api/v1/assets/") && preview.contains("signature="), "a signed URL: " + preview);
    byte[] fetched = kiln.api().anonymous().bytes(preview);
    assertEquals(ToolActionsTest.sha256(png), ToolActionsTest.sha256(fetched), "the preview is the uploaded image, fetched without a key");
  }

  @Test
  void anEndedBatchIsPostedOnceWithItsCounts() throws Exception {
    String url = "http://127.0.0.1:" + receiverPort + "/batch";
    Api.Reply created = kiln.api().post("/api/v1/batches", new JsonObject().put("prompt", "three foxes").put("batch_size", 3)
        .put("width", 64).put("height", 64).put("num_inference_steps", 1).put("webhook_url", url).encode());
    assertEquals(202, created.status(), created.body());
    String batchId = created.json().getString("id");
    Received got = Eventually.await("the batch delivery", Duration.ofSeconds(60), () ->
        received.stream().filter(r -> r.path().equals("/batch")).findFirst().orElse(null));
    JsonObject body = new JsonObject(got.body());
    assertEquals("batch.completed", body.getString("event"));
    JsonObject batch = body.getJsonObject("batch");
    assertEquals(batchId, batch.getString("id"));
    assertEquals(3, batch.getInteger("success_count"));
    assertEquals(3, batch.getInteger("batch_size"));
    assertEquals(hmac(got.body()), got.signature());
    try (Sql sql = kiln.sql()) {
      assertEquals(1L, sql.count("SELECT count(*) FROM webhook_deliveries WHERE batch_id = ?::uuid", batchId),
          "one delivery for the batch, none for its tasks (they carry no webhook_url)");
      assertEquals(0L, sql.count("SELECT count(*) FROM webhook_deliveries d JOIN tasks t ON t.id = d.task_id WHERE t.batch_id = ?::uuid", batchId));
    }
  }

  /** Seed 003: a generation request is announced when it awaits a selection and when it has ended, signed, once each. */
  @Test
  void aGenerationRequestIsPostedWhenItAwaitsASelectionAndWhenItEnds() throws Exception {
    String url = "http://127.0.0.1:" + receiverPort + "/request";
    Api.Reply created = kiln.api().post("/api/v1/generation-requests", new JsonObject().put("prompt", "a teapot").put("width", 64)
        .put("height", 64).put("image_count", 2).put("webhook_url", url).encode());
    assertEquals(202, created.status(), created.body());
    String id = created.json().getString("id");
    Received awaiting = Eventually.await("request.awaiting_selection", Duration.ofSeconds(60), () ->
        received.stream().filter(r -> r.path().equals("/request")).findFirst().orElse(null));
    JsonObject body = new JsonObject(awaiting.body());
    assertEquals("request.awaiting_selection", body.getString("event"));
    assertEquals(id, body.getJsonObject("request").getString("id"));
    assertEquals("AWAITING_SELECTION", body.getJsonObject("request").getString("phase"));
    String imageUrl = body.getJsonObject("request").getJsonArray("images").getJsonObject(0).getString("image_url");
    assertEquals((byte) 0x89, kiln.api().anonymous().bytes(imageUrl)[0], "its images are signed URLs that work without a key");
    assertEquals(hmac(awaiting.body()), awaiting.signature());
    assertEquals(200, kiln.api().send("PATCH", "/api/v1/generation-requests/" + id, "{\"selected_image_index\": 0}").status());
    Received ended = Eventually.await("request.completed", Duration.ofSeconds(60), () ->
        received.stream().filter(r -> r.path().equals("/request") && r.body().contains("request.completed")).findFirst().orElse(null));
    JsonObject request = new JsonObject(ended.body()).getJsonObject("request");
    assertEquals("COMPLETED", request.getString("status"));
    assertTrue(request.getJsonObject("model").getString("model_url").contains("signature="));
    try (Sql sql = kiln.sql()) {
      assertEquals(2L, sql.count("SELECT count(*) FROM webhook_deliveries WHERE request_id = ?::uuid", id), "once each");
    }
  }

  @Test
  void aPrivateReceiverIsRefusedByDefault() throws Exception {
    try (KilnNode strict = KilnNode.start(Map.of())) {
      String port = ":" + receiverPort;
      List<String> urls = List.of("http://127.0.0.1" + port + "/inside", "http://localhost" + port + "/inside",
          "http://10.1.2.3/inside", "http://100.64.0.9/inside", "http://169.254.169.254/latest/meta-data", "http://[::1]" + port + "/inside",
          // The receiver's loopback address spelt in IPv6 (mapped, translated, compatible, NAT64, 6to4), and benchmarking space.
          "http://[::ffff:127.0.0.1]" + port + "/inside", "http://[::ffff:0:127.0.0.1]" + port + "/inside",
          "http://[::127.0.0.1]" + port + "/inside", "http://[64:ff9b::127.0.0.1]" + port + "/inside",
          "http://[2002:7f00:1::1]" + port + "/inside", "http://198.18.0.1" + port + "/inside");
      List<String> ids = new ArrayList<>();
      for (String url : urls) {
        ids.add(strict.api().submit(new JsonObject().put("tool_action", "debug.noop").put("webhook_url", url)).getString("id"));
      }
      try (Sql sql = strict.sql()) {
        for (int i = 0; i < ids.size(); i++) {
          String id = ids.get(i);
          Map<String, Object> d = Eventually.await("the delivery to " + urls.get(i) + " given up", Duration.ofSeconds(30), () -> {
            List<Map<String, Object>> rows = sql.rows("SELECT attempts, last_error, delivered_at FROM webhook_deliveries WHERE task_id = ?::uuid", id);
            return rows.isEmpty() || rows.get(0).get("last_error") == null ? null : rows.get(0);
          });
          assertTrue(d.get("last_error").toString().startsWith("refused: "), urls.get(i) + ": " + d);
          assertEquals(null, d.get("delivered_at"));
          assertEquals(10, d.get("attempts"), "not retried");
        }
      }
      assertTrue(received.stream().noneMatch(r -> r.path().equals("/inside")), "nothing reached the receiver");
    }
  }

  /** Where private receivers are allowed, a receiver named by a name gets the POST under that name (Host). */
  @Test
  void aReceiverNamedByANameIsCalledByThatName() throws Exception {
    String url = "http://localhost:" + receiverPort + "/named?from=kiln";
    kiln.api().submit(new JsonObject().put("tool_action", "debug.noop").put("webhook_url", url));
    Received got = Eventually.await("the delivery", Duration.ofSeconds(30), () ->
        received.stream().filter(r -> r.path().equals("/named")).findFirst().orElse(null));
    assertEquals("localhost:" + receiverPort, got.host());
    assertEquals("from=kiln", got.query());
  }


  @Test
  void aBadWebhookUrlIsRefused() throws Exception {
    for (String url : List.of("ftp://x/y", "not a url", "/relative", "http://")) {
      Api.Reply r = kiln.api().post("/api/v1/tasks", new JsonObject().put("tool_action", "debug.noop").put("webhook_url", url).encode());
      assertEquals(422, r.status(), url + " -> " + r.body());
    }
  }
}
