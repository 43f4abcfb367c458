package dev.kiln.launcher;

import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ClusterTls;
import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.embedded.EmbeddedStores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code kiln [--roles http,dispatcher,worker] [--cluster]} runs a node;
 * {@code kiln bench ...} runs the benchmark. Configuration comes from the environment.
 */
public final class Main {
  public static final String USAGE = """
      usage: java -jar kiln.jar [--roles http,dispatcher,worker] [--cluster]
             java -jar kiln.jar bench [--url URL] [--key KEY] [--tasks N] [--concurrency N]
      configuration: DATABASE_URL, REDIS_URL, KILN_HTTP_PORT, KILN_ADMIN_KEY, KILN_API_KEYS, KILN_DATA_DIR,
        KILN_CLUSTER_MEMBERS, KILN_CLUSTER_HOST, KILN_CLUSTER_PORT, KILN_WORKER_QUEUES, KILN_WORKER_SLOTS,
        KILN_WORKER_ID, KILN_DEBUG_EXECUTORS, KILN_CLUSTER_TLS_KEYSTORE (see README.md)""";

  /** A stopping node's worker drains (running attempts, then reports) before the rest closes. */
  static final long SHUTDOWN_SECONDS = (dev.kiln.worker.WorkerVerticle.DRAIN_TIMEOUT_MILLIS
      + dev.kiln.worker.WorkerVerticle.DRAIN_REPORT_MILLIS) / 1000 + 10;

  /** What runs without --roles: every role, in their declared order (Set.of would print them in another order each run). */
  static final Set<Role> ALL_ROLES = Collections.unmodifiableSet(EnumSet.allOf(Role.class));

  private Main() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    System.setProperty("hazelcast.logging.type", "slf4j");
    if (args.length > 0 && args[0].equals("bench")) {
      System.exit(Bench.run(Arrays.copyOfRange(args, 1, args.length)));
    }
    Set<Role> roles = ALL_ROLES;
    boolean clustered = false;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--roles" -> roles = Role.parse(i + 1 < args.length ? args[++i] : "");
          case "--cluster" -> clustered = true;
          case "--help", "-h" -> {
            System.out.println(USAGE);
            return;
          }
          default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'\n" + USAGE);
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println("kiln: " + e.getMessage());
      System.exit(2);
    }
    KilnConfig config;
    ClusterTls tls;
    try {
      config = KilnConfig.fromEnv();
      tls = ClusterTls.from(System.getenv());
      // Read here, before anything starts, so a typo in it is one line and exit 2 like any bad setting.
      if (roles.contains(Role.WORKER) && config.workerHost().providersFile() != null) {
        dev.kiln.worker.providers.ProvidersFile.load(config.workerHost().providersFile());
      }
    } catch (ConfigException e) {
      System.err.println("kiln: " + e.getMessage());
      System.exit(2);
      return;
    }
    Files.createDirectories(config.dataDir());
    boolean stores = Role.needsStores(roles);
    EmbeddedStores embedded = EmbeddedStores.start(config.dataDir(),
        stores && config.embeddedDatabase(), stores && config.embeddedRedis());
    config = config.withStores(
        config.embeddedDatabase() ? embedded.databaseUrl() : config.databaseUrl(),
        config.embeddedRedis() ? embedded.redisUrl() : config.redisUrl());
    if (config.adminKey() == null && roles.contains(Role.HTTP)) config = config.withAdminKey(adminKey(config.dataDir()));

    Node node;
    try {
      node = Node.start(config, roles, clustered, tls).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("kiln: start-up failed: " + cause);
      embedded.close();
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close().get(SHUTDOWN_SECONDS, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // exiting anyway
      }
      try {
        embedded.close();
      } catch (IOException ignored) {
        // exiting anyway
      }
    }, "kiln-shutdown"));
    banner(config, roles, clustered, node, embedded);
  }

  private static void banner(KilnConfig c, Set<Role> roles, boolean clustered, Node node, EmbeddedStores embedded) {
    StringBuilder b = new StringBuilder("\n" + upLine(roles, clustered) + "\n");
    if (roles.contains(Role.HTTP)) {
      b.append("  dashboard  http://localhost:").append(c.httpPort()).append("/\n");
      b.append("  API        http://localhost:").append(c.httpPort()).append("/api/v1\n");
      b.append("  admin key  ").append(c.adminKey()).append("   (send it as X-Auth-Key)\n");
    }
    b.append("  health     http://localhost:").append(c.httpPort()).append("/health, /ready, /metrics\n");
    if (Role.needsStores(roles)) {
      b.append("  postgres   ").append(embedded.databaseUrl() != null ? "embedded, " + c.databaseUrl() : "from DATABASE_URL").append('\n');
      b.append("  redis      ").append(embedded.redisUrl() != null ? "embedded, " + c.redisUrl() : "from REDIS_URL").append('\n');
    }
    if (node.workerId() != null) b.append("  worker     ").append(node.workerId()).append(" queues ")
        .append(c.workerQueues()).append(", ").append(c.workerSlots()).append(" slots\n");
    b.append("  data       ").append(c.dataDir()).append('\n');
    System.out.println(b);
  }

  /** The banner's first line (what KilnProcess waits for): the roles in their declared order. */
  static String upLine(Set<Role> roles, boolean clustered) {
    return "Kiln is up: roles " + EnumSet.copyOf(roles) + (clustered ? ", clustered" : "");
  }

  /** The embedded mode's admin key: made once, kept under the data dir. */
  static String adminKey(Path dataDir) throws IOException {
    Path file = dataDir.resolve("admin.key");
    if (Files.exists(file)) return Files.readString(file, StandardCharsets.UTF_8).trim();
    byte[] raw = new byte[24];
    new SecureRandom().nextBytes(raw);
    String key = "kiln_admin_" + HexFormat.of().formatHex(raw);
    Files.writeString(file, key + "\n", StandardCharsets.UTF_8);
    file.toFile().setReadable(false, false);
    file.toFile().setReadable(true, true);
    return key;
  }
}
