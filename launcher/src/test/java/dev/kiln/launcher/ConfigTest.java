package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ImageLimits;
import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Sql;
import dev.kiln.testing.TestStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The environment is read once, at the edge: a bad value stops start-up with one line naming it. */
class ConfigTest {
  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("KILN_HTTP_PORT", "abc"),
        Arguments.of("KILN_HTTP_PORT", "70000"),
        Arguments.of("KILN_HTTP_PORT", "-1"),
        Arguments.of("KILN_HTTP_PORT", "80.5"),
        Arguments.of("KILN_HTTP_HOST", "bad host!"),
        Arguments.of("KILN_HTTP_HOST", "300.1.1.1"),
        Arguments.of("KILN_HTTP_HOST", "http://0.0.0.0"),
        Arguments.of("KILN_HTTP_HOST", "0.0.0.0:8080"),
        Arguments.of("KILN_WORKER_SLOTS", "0"),
        Arguments.of("KILN_WORKER_SLOTS", "many"),
        Arguments.of("KILN_WORKER_QUEUES", "gpu"),
        Arguments.of("KILN_WORKER_QUEUES", "image,gpu"),
        Arguments.of("KILN_WORKER_QUEUES", ","),
        Arguments.of("KILN_DEBUG_EXECUTORS", "maybe"),
        Arguments.of("DATABASE_URL", "mysql://x"),
        Arguments.of("REDIS_URL", "http://x"),
        Arguments.of("KILN_ADMIN_KEY", "short"),
        Arguments.of("KILN_API_KEYS", "a-long-enough-key-0001,short"),
        Arguments.of("KILN_CLUSTER_MEMBERS", "10.0.0.1:5701,bad host!"),
        Arguments.of("KILN_CLUSTER_PORT", "0"),
        Arguments.of("KILN_WORKER_ID", "worker one"),
        Arguments.of("KILN_IMAGE_MAX_PIXELS", "0"),
        Arguments.of("KILN_IMAGE_MAX_PIXELS", "67108865"),
        Arguments.of("KILN_IMAGE_MAX_CONCURRENT_DECODES", "0"),
        Arguments.of("KILN_IMAGE_MAX_CONCURRENT_DECODES", "lots"),
        Arguments.of("KILN_MODEL_UPLOAD_LIMIT", "1023"),
        Arguments.of("KILN_MODEL_UPLOAD_LIMIT", "536870913"),
        Arguments.of("KILN_MODEL_UPLOAD_LIMIT", "32MB"),
        Arguments.of("KILN_HTTP_HEADER_TIMEOUT_MS", "50"),
        Arguments.of("KILN_HTTP_BODY_TIMEOUT_MS", "-1"),
        Arguments.of("KILN_HTTP_IDLE_TIMEOUT_MS", "1m"),
        Arguments.of("KILN_HTTP_MAX_CONNECTIONS", "-1"),
        Arguments.of("KILN_SSE_MAX_STREAMS_PER_CLIENT", "many"),
        Arguments.of("KILN_SSE_MAX_STREAMS_PER_USER", "-3"));
  }

  @ParameterizedTest(name = "{0}={1}")
  @MethodSource("badValues")
  void aBadValueIsRefusedByName(String variable, String value) {
    ConfigException e = assertThrows(ConfigException.class, () -> KilnConfig.from(Map.of(variable, value)));
    assertTrue(e.getMessage().startsWith(variable), "message names " + variable + ": " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }

  @Test
  void anEmptyEnvironmentGivesTheDefaults() {
    KilnConfig c = KilnConfig.from(Map.of());
    assertEquals(8080, c.httpPort());
    assertEquals("0.0.0.0", c.httpHost(), "every interface, as before KILN_HTTP_HOST");
    assertEquals("::1", KilnConfig.from(Map.of("KILN_HTTP_HOST", "[::1]")).httpHost());
    assertEquals("kiln-http-1.internal", KilnConfig.from(Map.of("KILN_HTTP_HOST", "kiln-http-1.internal")).httpHost());
    assertNull(c.databaseUrl());
    assertNull(c.redisUrl());
    assertNull(c.adminKey());
    assertTrue(c.apiKeys().isEmpty());
    assertTrue(c.debugExecutors(), "debug executors are on with the embedded database");
    assertEquals(Set.of("image", "model3d", "debug"), c.workerQueues());
    assertEquals(4, c.workerSlots());
    assertEquals(Path.of("./data").toAbsolutePath().normalize(), c.dataDir());
    assertTrue(c.clusterMembers().isEmpty());
    assertEquals("127.0.0.1", c.clusterHost());
    assertEquals(5701, c.clusterPort());
    assertNull(c.workerId());
    assertEquals(new ImageLimits(8192, 40_000_000, Math.min(4, Runtime.getRuntime().availableProcessors())), c.images());
    assertEquals(32 * 1024 * 1024, c.api().modelUploadLimitBytes());
    assertEquals(new ImageLimits(8192, 1_000_000, 2),
        KilnConfig.from(Map.of("KILN_IMAGE_MAX_PIXELS", "1000000", "KILN_IMAGE_MAX_CONCURRENT_DECODES", "2")).images());
    assertEquals(new dev.kiln.common.config.HttpLimits(60_000, 10_000, 60_000, 10_000, 200, 10), c.api().limits());
  }

  /** 127.0.0.2 is loopback too, but another address: a server bound to it alone does not answer on 127.0.0.1. */
  @Test
  void theHttpServerListensOnKilnHttpHostOnly() throws Exception {
    try (KilnNode node = KilnNode.start(Map.of("KILN_HTTP_HOST", "127.0.0.2"))) {
      var http = java.net.http.HttpClient.newHttpClient();
      var health = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.2:" + node.port + "/health")).build();
      assertEquals(200, http.send(health, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode());
      var other = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.port + "/health")).build();
      assertThrows(java.net.ConnectException.class, () -> http.send(other, java.net.http.HttpResponse.BodyHandlers.ofString()));
    }
  }

  @Test
  void debugExecutorsAreOffWithARealDatabaseUnlessAskedFor() {
    String db = "postgresql://kiln:kiln@db:5432/kiln";
    assertFalse(KilnConfig.from(Map.of("DATABASE_URL", db)).debugExecutors());
    assertTrue(KilnConfig.from(Map.of("DATABASE_URL", db, "KILN_DEBUG_EXECUTORS", "true")).debugExecutors());
    assertFalse(KilnConfig.from(Map.of("KILN_DEBUG_EXECUTORS", "off")).debugExecutors());
  }

  @Test
  void blankValuesMeanTheDefault() {
    assertEquals(8080, KilnConfig.from(Map.of("KILN_HTTP_PORT", "  ")).httpPort());
    assertNull(KilnConfig.from(Map.of("DATABASE_URL", "")).databaseUrl());
  }

  @Test
  void theLauncherExitsWithCode2AndOneLineOnABadPort(@TempDir Path dir) throws Exception {
    List<String> err = exitsWith2(dir, Map.of("KILN_HTTP_PORT", "notaport"));
    assertTrue(err.get(0).contains("KILN_HTTP_PORT"), "names the variable: " + err.get(0));
  }

  /** A providers file that names a provider it does not define stops a worker before anything starts. */
  @Test
  void theLauncherExitsWithCode2AndOneLineOnABadProvidersFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("providers.json");
    Files.writeString(file, """
        {"providers": {"comfy-a": {"type": "comfyui", "url": "http://127.0.0.1:8188"}},
         "actions": {"image.hires": {"provider": "comfy-b", "workflow": "upscale.json"}}}
        """);
    List<String> err = exitsWith2(dir, Map.of("KILN_PROVIDERS", file.toString()));
    assertTrue(err.get(0).contains("KILN_PROVIDERS") && err.get(0).contains("actions.image.hires.provider: no provider named 'comfy-b'"),
        "says which: " + err.get(0));
  }

  /** Runs the launcher with this environment; it must exit 2 with one line on stderr and start nothing. */
  private static List<String> exitsWith2(Path dir, Map<String, String> settings) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName())
        .redirectOutput(dir.resolve("stdout").toFile())
        .redirectError(dir.resolve("stderr").toFile());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("KILN_"));
    // The JVM itself would print "Picked up ..." to stderr; that line is not Kiln's.
    env.remove("JAVA_TOOL_OPTIONS");
    env.remove("_JAVA_OPTIONS");
    env.remove("JDK_JAVA_OPTIONS");
    env.putAll(settings);
    env.put("KILN_DATA_DIR", dir.resolve("data").toString());
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("kiln did not exit within 60 s on " + settings);
    }
    List<String> err = Files.readAllLines(dir.resolve("stderr"), StandardCharsets.UTF_8);
    assertEquals(2, p.exitValue(), "exit code; stderr " + err);
    assertEquals(1, err.size(), "exactly one line on stderr: " + err);
    assertFalse(Files.exists(dir.resolve("data")), "nothing started, nothing written");
    return err;
  }

  /** A database Kiln cannot migrate (someone else's tables in it) stops start-up at once, saying why. */
  @Test
  void aDatabaseThatCannotBeMigratedFailsStartUpAtOnce(@TempDir Path dir) throws Exception {
    String db = TestStores.freshDatabase();
    try (Sql sql = new Sql(db)) {
      sql.update("CREATE TABLE tasks (id int PRIMARY KEY)");
    }
    long t0 = System.nanoTime();
    var start = Node.start(KilnConfig.from(Map.of("DATABASE_URL", db, "REDIS_URL", TestStores.redisUrl(),
        "KILN_ADMIN_KEY", KilnNode.ADMIN_KEY, "KILN_HTTP_PORT", String.valueOf(EmbeddedStores.freePort()),
        "KILN_DATA_DIR", dir.toString())), java.util.EnumSet.allOf(Role.class), false).toCompletionStage().toCompletableFuture();
    java.util.concurrent.ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(
        java.util.concurrent.ExecutionException.class, () -> start.get(30, TimeUnit.SECONDS));
    assertTrue(failed.getCause().getMessage().contains("schema history"), "Flyway says why: " + failed.getCause());
    assertTrue((System.nanoTime() - t0) / 1e9 < 30, "it failed, it did not hang");
  }
}
