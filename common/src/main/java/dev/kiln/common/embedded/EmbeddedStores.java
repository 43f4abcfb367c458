package dev.kiln.common.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import redis.embedded.RedisServer;

/**
 * The laptop stack: a real PostgreSQL and a real Redis, from binaries shipped as Maven
 * artifacts, with their files under the data dir (Postgres data is kept between runs).
 */
public final class EmbeddedStores implements AutoCloseable {
  private EmbeddedPostgres postgres;
  private RedisServer redis;
  private String databaseUrl;
  private String redisUrl;

  private Path pgDir;
  private int pgPort;

  public static EmbeddedStores start(Path dataDir, boolean withPostgres, boolean withRedis) throws IOException {
    EmbeddedStores s = new EmbeddedStores();
    if (withPostgres) {
      s.pgDir = dataDir.resolve("postgres");
      Files.createDirectories(s.pgDir);
      s.pgPort = freePort();
      s.startPostgres();
      s.databaseUrl = "postgresql://postgres:postgres@127.0.0.1:" + s.pgPort + "/postgres";
    }
    if (withRedis) {
      Path redisDir = dataDir.resolve("redis");
      Files.createDirectories(redisDir);
      int port = freePort();
      s.redis = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
          .setting("save \"\"").setting("appendonly no").setting("dir " + redisDir)
          .build();
      s.redis.start();
      s.redisUrl = "redis://127.0.0.1:" + port;
    }
    return s;
  }

  /** Starts PostgreSQL on this store's directory and port (again, after {@link #stopPostgres()}). */
  public void startPostgres() throws IOException {
    postgres = EmbeddedPostgres.builder()
        .setDataDirectory(pgDir)
        .setCleanDataDirectory(false)
        .setPort(pgPort)
        .setServerConfig("max_connections", "300")
        // The library's test defaults turn durability off; Kiln's embedded mode keeps real data.
        .setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("full_page_writes", "on")
        // The tasks table is a queue: let autovacuum look at it every second (see V1__init.sql).
        .setServerConfig("autovacuum_naptime", "1s")
        // Where the database's time goes: SELECT * FROM pg_stat_statements (CREATE EXTENSION first).
        .setServerConfig("shared_preload_libraries", "pg_stat_statements")
        .start();
  }

  /** Stops PostgreSQL only: for tests of an outage. */
  public void stopPostgres() throws IOException {
    if (postgres != null) postgres.close();
    postgres = null;
  }

  public String databaseUrl() {
    return databaseUrl;
  }

  public String redisUrl() {
    return redisUrl;
  }

  /** Stops Redis only: for tests of what degrades when it is away. */
  public void stopRedis() throws IOException {
    if (redis != null) redis.stop();
  }

  public void startRedis() throws IOException {
    if (redis != null) redis.start();
  }

  @Override
  public void close() throws IOException {
    if (redis != null) redis.stop();
    if (postgres != null) postgres.close();
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
