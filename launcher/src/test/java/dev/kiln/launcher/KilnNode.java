package dev.kiln.launcher;

import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import dev.kiln.testing.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A whole Kiln (all roles, one JVM, not clustered) on a fresh database, for in-process tests. */
final class KilnNode implements AutoCloseable {
  static final String ADMIN_KEY = "test-admin-key-0123456789";
  /** Registered as a first_party client on first use (KILN_API_KEYS). */
  static final String FIRST_PARTY_KEY = "test-first-party-key-0123456789";

  final String databaseUrl;
  final int port;
  final Path dataDir;
  final Node node;

  private KilnNode(String databaseUrl, int port, Path dataDir, Node node) {
    this.databaseUrl = databaseUrl;
    this.port = port;
    this.dataDir = dataDir;
    this.node = node;
  }

  static KilnNode start(Map<String, String> extraEnv) throws Exception {
    BlockedThreadWatch.install();
    String db = TestStores.freshDatabase();
    // a test that must know the port before the node starts (to name its public URL) gives it
    int port = extraEnv.containsKey("KILN_HTTP_PORT") ? Integer.parseInt(extraEnv.get("KILN_HTTP_PORT")) : EmbeddedStores.freePort();
    Path data = Files.createTempDirectory("kiln-node");
    Map<String, String> env = new HashMap<>(Map.of(
        "DATABASE_URL", db,
        "REDIS_URL", TestStores.redisUrl(),
        "KILN_ADMIN_KEY", ADMIN_KEY,
        "KILN_HTTP_PORT", String.valueOf(port),
        "KILN_DATA_DIR", data.toString(),
        "KILN_DEBUG_EXECUTORS", "true",
        "KILN_API_KEYS", FIRST_PARTY_KEY));
    env.putAll(extraEnv);
    Node node = Node.start(KilnConfig.from(env), EnumSet.allOf(Role.class), false)
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    return new KilnNode(db, port, data, node);
  }

  /**
   * A node for every test of a class, started before all of them and closed after all (a failing close,
   * such as a blocked event loop, fails the class): {@code @RegisterExtension static final KilnNode.Running
   * kiln = KilnNode.running(Map.of(...));}. Its start comes before the class's own @BeforeAll methods, its
   * close after the class's @AfterAll methods.
   */
  static Running running(Map<String, String> extraEnv) {
    return new Running(extraEnv);
  }

  static final class Running implements BeforeAllCallback, AfterAllCallback {
    private final Map<String, String> extraEnv;
    private KilnNode node;
    private Api api;

    private Running(Map<String, String> extraEnv) {
      this.extraEnv = extraEnv;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
      node = KilnNode.start(extraEnv);
      api = node.api();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
      if (node != null) node.close();
    }

    KilnNode node() {
      return node;
    }

    /** The admin's client, one for the whole class. */
    Api api() {
      return api;
    }

    Sql sql() throws Exception {
      return node.sql();
    }

    Api signedIn(String email) throws Exception {
      return node.signedIn(email);
    }

    int port() {
      return node.port;
    }

    Path dataDir() {
      return node.dataDir;
    }
  }

  Api api() {
    return new Api(port, ADMIN_KEY);
  }

  /**
   * An end user signed in by e-mailed code, read from the outbox this node keeps when no SMTP
   * relay is configured (SignInTest covers the SMTP path).
   */
  Api signedIn(String email) throws Exception {
    Api anon = api().anonymous();
    Api.Reply asked = anon.post("/api/v1/auth/email-code", new io.vertx.core.json.JsonObject().put("email", email).encode());
    if (asked.status() != 202) throw new AssertionError("email-code answered " + asked.status() + ": " + asked.body());
    Path outbox = dataDir.resolve("mail").resolve("outbox.txt");
    java.util.regex.Pattern mail = java.util.regex.Pattern.compile("To: " + java.util.regex.Pattern.quote(email) + "\\nSubject: [^\\n]*?(\\d{6})");
    String code = Eventually.await("the code for " + email, java.time.Duration.ofSeconds(10), () -> {
      if (!Files.exists(outbox)) return null;
      var m = mail.matcher(Files.readString(outbox));
      String last = null;
      while (m.find()) last = m.group(1);
      return last;
    });
    Api.Reply verified = anon.post("/api/v1/auth/verify", new io.vertx.core.json.JsonObject().put("email", email).put("code", code).encode());
    if (verified.status() != 200) throw new AssertionError("verify answered " + verified.status() + ": " + verified.body());
    return anon.withBearer(verified.json().getString("access_token"));
  }

  Sql sql() throws Exception {
    return new Sql(databaseUrl);
  }

  @Override
  public void close() throws Exception {
    node.close().get(60, TimeUnit.SECONDS);
    List<String> blocked = BlockedThreadWatch.drain();
    if (!blocked.isEmpty()) throw new AssertionError("an event loop was blocked: " + blocked);
  }
}
