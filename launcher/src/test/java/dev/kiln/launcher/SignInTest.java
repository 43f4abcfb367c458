package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sign-in by e-mailed code (seed 003) through a real SMTP server (GreenMail in this JVM), and
 * what a bearer token then may and may not do.
 */
class SignInTest {
  private static final Pattern CODE = Pattern.compile("\\b(\\d{6})\\b");

  private static GreenMail smtp;
  private static KilnNode kiln;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    smtp = new GreenMail(new ServerSetup(EmbeddedStores.freePort(), "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
    kiln = KilnNode.start(Map.of("KILN_SMTP_HOST", "127.0.0.1", "KILN_SMTP_PORT", String.valueOf(smtp.getSmtp().getPort()),
        "KILN_SMTP_TLS", "disabled", "KILN_SMTP_FROM", "signin@kiln.test"));
    api = kiln.api();
  }

  @AfterAll
  static void stop() throws Exception {
    if (kiln != null) kiln.close();
    if (smtp != null) smtp.stop();
  }

  /** Asks for a code and reads it from the mail that arrived. */
  private static String mailedCode(String asTyped) throws Exception {
    String email = asTyped.toLowerCase(java.util.Locale.ROOT);
    int before = messagesTo(email).size();
    Api.Reply r = api.anonymous().post("/api/v1/auth/email-code", new JsonObject().put("email", asTyped).encode());
    assertEquals(202, r.status(), r.body());
    MimeMessage m = Eventually.await("the mail to " + email, Duration.ofSeconds(15), () -> {
      List<MimeMessage> to = messagesTo(email);
      return to.size() > before ? to.get(to.size() - 1) : null;
    });
    assertEquals("signin@kiln.test", m.getFrom()[0].toString());
    Matcher code = CODE.matcher(m.getSubject());
    assertTrue(code.find(), m.getSubject());
    assertTrue(m.getContent().toString().contains(code.group(1)), "the body says the code too");
    return code.group(1);
  }

  private static List<MimeMessage> messagesTo(String email) {
    return Arrays.stream(smtp.getReceivedMessages()).filter(m -> {
      try {
        return m.getAllRecipients()[0].toString().equals(email);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).toList();
  }

  private static Api.Reply verify(String email, String code) throws Exception {
    return api.anonymous().post("/api/v1/auth/verify", new JsonObject().put("email", email).put("code", code).encode());
  }

  private static String wrong(String code) {
    return String.format("%06d", (Integer.parseInt(code) + 1) % 1_000_000);
  }

  @Test
  void aMailedCodeSignsInOnceAndTheTokenActsAsThatUser() throws Exception {
    String email = "Ada@Example.com";
    String code = mailedCode(email);
    try (Sql sql = kiln.sql()) {
      Map<String, Object> row = sql.rows("SELECT code_hash, attempts, verified_at FROM email_verification_codes WHERE email = 'ada@example.com'").get(0);
      assertFalse(row.get("code_hash").toString().contains(code), "only a hash of the code is stored");
      assertEquals(0, row.get("attempts"));
    }
    Api.Reply bad = verify(email, wrong(code));
    assertEquals(422, bad.status());
    assertEquals("invalid_code", bad.json().getString("code"));
    assertTrue(bad.json().getString("detail").contains("4 attempts left"), bad.body());

    Api.Reply ok = verify(email, code);
    assertEquals(200, ok.status(), ok.body());
    JsonObject session = ok.json();
    assertEquals("Bearer", session.getString("token_type"));
    assertEquals("ada@example.com", session.getJsonObject("user").getString("email"));
    String userId = session.getJsonObject("user").getString("id");
    Api ada = api.withBearer(session.getString("access_token"));

    JsonObject me = ada.get("/api/v1/me").json();
    assertEquals("user", me.getString("role"));
    assertEquals(userId, me.getString("user_id"));
    assertEquals("ada@example.com", me.getString("email"));
    assertNotNull(me.getString("last_login_at"));

    Api.Reply again = verify(email, code);
    assertEquals(422, again.status(), "a code works once");

    // The token acts as that user: its tasks are its own, and nobody else's are visible.
    String mine = ada.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    String theirs = api.forUser(userId).submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    assertEquals(200, ada.get("/api/v1/tasks/" + mine).status());
    assertEquals(404, ada.get("/api/v1/tasks/" + theirs).status(), "a first-party client's end user with the same id is another tenant");
    assertEquals(List.of(mine), ada.get("/api/v1/tasks").json().getJsonArray("items").stream()
        .map(t -> ((JsonObject) t).getString("id")).toList());
    assertEquals(403, ada.get("/api/v1/admin/queues").status(), "a signed-in user is no admin");
    try (Sql sql = kiln.sql()) {
      assertEquals("users", sql.rows("SELECT api_client_id FROM tasks WHERE id = ?::uuid", mine).get(0).get("api_client_id"));
    }

    // Logout ends the token at once (no cache lag).
    assertEquals(204, ada.post("/api/v1/auth/logout", "").status());
    Api.Reply after = ada.get("/api/v1/me");
    assertEquals(401, after.status());
    assertEquals("unauthorized", after.json().getString("code"));
  }

  @Test
  void aSecondUserSeesNoneOfTheFirstUsersTasks() throws Exception {
    Api bob = api.withBearer(verify("bob@example.com", mailedCode("bob@example.com")).json().getString("access_token"));
    Api eve = api.withBearer(verify("eve@example.com", mailedCode("eve@example.com")).json().getString("access_token"));
    String task = bob.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    for (String path : List.of("/api/v1/tasks/" + task, "/api/v1/tasks/" + task + "/assets")) {
      assertEquals(404, eve.get(path).status(), path);
    }
    assertEquals(404, eve.post("/api/v1/tasks/" + task + "/cancel", "").status());
    assertEquals(404, eve.send("DELETE", "/api/v1/tasks/" + task, "").status());
    assertEquals(0, eve.get("/api/v1/tasks").json().getJsonArray("items").size());
    assertEquals(200, bob.get("/api/v1/tasks/" + task).status());
  }

  @Test
  void guessesAreLimitedAndCodesExpire() throws Exception {
    String email = "mallory@example.com";
    String code = mailedCode(email);
    for (int i = 0; i < 5; i++) assertEquals(422, verify(email, wrong(code)).status());
    Api.Reply locked = verify(email, code);
    assertEquals(429, locked.status(), "after 5 wrong guesses even the right code is refused");
    assertEquals("too_many_attempts", locked.json().getString("code"));

    String carol = "carol@example.com";
    String late = mailedCode(carol);
    try (Sql sql = kiln.sql()) {
      // ten minutes pass
      sql.update("UPDATE email_verification_codes SET expires_at = now() - interval '1 second' WHERE email = ?", carol);
    }
    Api.Reply expired = verify(carol, late);
    assertEquals(422, expired.status());
    assertEquals("code_expired", expired.json().getString("code"));
  }

  @Test
  void anAddressGetsACodeAtMostEveryThirtySeconds() throws Exception {
    String email = "dan@example.com";
    mailedCode(email);
    Api.Reply again = api.anonymous().post("/api/v1/auth/email-code", new JsonObject().put("email", email).encode());
    assertEquals(429, again.status());
    assertEquals("too_many_codes", again.json().getString("code"));
    long wait = Long.parseLong(again.header("Retry-After"));
    assertTrue(wait >= 1 && wait <= 30, "Retry-After " + wait);
    assertEquals(1, messagesTo(email).size(), "no second mail");
  }

  @Test
  void badCredentialsAreRefused() throws Exception {
    assertEquals(401, api.withBearer("kiln_s_not-a-real-token").get("/api/v1/me").status());
    Api.Reply both = api.post("/api/v1/tasks", new JsonObject().put("tool_action", "debug.noop").encode(),
        "Authorization", "Bearer kiln_s_whatever");
    assertEquals(400, both.status());
    assertEquals("ambiguous_credentials", both.json().getString("code"));
    Api.Reply basic = api.anonymous().post("/api/v1/tasks", "{}", "Authorization", "Basic YTpi");
    assertEquals(401, basic.status());
    for (String email : List.of("", "no-at-sign", "a@b", "x".repeat(300) + "@example.com", "a b@example.com")) {
      Api.Reply r = api.anonymous().post("/api/v1/auth/email-code", new JsonObject().put("email", email).encode());
      assertEquals(422, r.status(), email + " -> " + r.body());
    }
    assertEquals(422, verify("ada@example.com", "12345").status(), "the code is 6 digits");
    assertEquals(422, api.post("/api/v1/auth/logout", "").status(), "an API key has no session to end");
  }

  @Test
  void withoutSmtpTheCodeIsKeptUnderTheDataDir() throws Exception {
    try (KilnNode local = KilnNode.start(Map.of())) {
      Api anon = local.api().anonymous();
      assertEquals(202, anon.post("/api/v1/auth/email-code", new JsonObject().put("email", "dev@example.com").encode()).status());
      Path outbox = local.dataDir.resolve("mail").resolve("outbox.txt");
      String mail = Eventually.await("the outbox", Duration.ofSeconds(10), () -> Files.exists(outbox) ? Files.readString(outbox) : null);
      assertTrue(mail.contains("To: dev@example.com"), mail);
      Matcher code = CODE.matcher(mail);
      assertTrue(code.find());
      Api.Reply ok = anon.post("/api/v1/auth/verify", new JsonObject().put("email", "dev@example.com").put("code", code.group(1)).encode());
      assertEquals(200, ok.status(), ok.body());
    }
  }

  /** One network address cannot have Kiln mail codes to any number of addresses (mail bombing). */
  @Test
  void oneNetworkAddressGetsOnlySoManyCodesAnHour() throws Exception {
    try (KilnNode local = KilnNode.start(Map.of("KILN_EMAIL_CODES_PER_IP", "3")); Sql sql = local.sql()) {
      Api anon = local.api().anonymous();
      for (int i = 0; i < 3; i++) {
        Api.Reply r = anon.post("/api/v1/auth/email-code", new JsonObject().put("email", "guest" + i + "@example.com").encode());
        assertEquals(202, r.status(), r.body());
      }
      for (String forwarded : new String[] {null, "203.0.113.7"}) {
        Api.Reply fourth = forwarded == null
            ? anon.post("/api/v1/auth/email-code", new JsonObject().put("email", "guest3@example.com").encode())
            : anon.post("/api/v1/auth/email-code", new JsonObject().put("email", "guest3@example.com").encode(), "X-Forwarded-For", forwarded);
        assertEquals(429, fourth.status(), "a claimed forwarded address changes nothing: " + fourth.body());
        assertEquals("too_many_codes", fourth.json().getString("code"));
        long wait = Long.parseLong(fourth.header("Retry-After"));
        assertTrue(wait > 3_000 && wait <= 3_600, "free again when the first code is an hour old: Retry-After " + wait);
      }
      assertEquals(3, sql.count("SELECT count(*) FROM email_verification_codes WHERE requested_from = '127.0.0.1'"));
      assertEquals(0, sql.count("SELECT count(*) FROM email_verification_codes WHERE email = 'guest3@example.com'"), "no code was made");
    }
  }
}
