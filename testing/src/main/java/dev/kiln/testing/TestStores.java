package dev.kiln.testing;

import dev.kiln.common.db.Migrations;
import dev.kiln.common.embedded.EmbeddedStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;

/**
 * The real servers tests run against: those named by DATABASE_URL / REDIS_URL when set, else an
 * embedded PostgreSQL and Redis started once per test JVM. Each test class gets a fresh database.
 */
public final class TestStores {
  private static EmbeddedStores embedded;
  private static String baseDatabaseUrl;
  private static String redisUrl;

  private TestStores() {}

  /** Finds or starts the servers (once per JVM; later calls return at once). */
  public static synchronized void ensure() throws Exception {
    if (baseDatabaseUrl != null) return;
    String db = System.getenv("DATABASE_URL");
    String redis = System.getenv("REDIS_URL");
    if (db == null || redis == null) {
      Path dir = Files.createTempDirectory("kiln-test-stores");
      embedded = EmbeddedStores.start(dir, db == null, redis == null);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          embedded.close();
        } catch (Exception ignored) {
          // the JVM is going anyway
        }
      }));
    }
    baseDatabaseUrl = db != null ? db : embedded.databaseUrl();
    redisUrl = redis != null ? redis : embedded.redisUrl();
  }

  public static String redisUrl() throws Exception {
    ensure();
    return redisUrl;
  }

  /** The embedded servers, or null when both came from the environment (or before {@link #ensure()}). */
  public static EmbeddedStores embedded() {
    return embedded;
  }

  /** A new, empty database on the test server; Kiln migrates it on start. */
  public static String freshDatabase() throws Exception {
    ensure();
    String name = "kiln_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = Sql.connect(baseDatabaseUrl); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    int slash = baseDatabaseUrl.lastIndexOf('/');
    String rest = baseDatabaseUrl.substring(slash + 1);
    int q = rest.indexOf('?');
    return baseDatabaseUrl.substring(0, slash + 1) + name + (q >= 0 ? rest.substring(q) : "");
  }

  /**
   * A new database with Kiln's schema ({@code sql/}) already applied, for module tests that use
   * the database without starting a node (which would migrate it itself).
   */
  public static String migratedDatabase() throws Exception {
    String url = freshDatabase();
    Migrations.applyBlocking(url);
    return url;
  }
}
