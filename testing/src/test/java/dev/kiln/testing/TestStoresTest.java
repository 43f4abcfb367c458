package dev.kiln.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TestStoresTest {
  private static final String TABLES = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'";

  @Test
  void aFreshDatabaseIsEmptyAndItsOwn() throws Exception {
    String a = TestStores.freshDatabase();
    String b = TestStores.freshDatabase();
    assertNotEquals(a, b);
    try (Sql sql = new Sql(a)) {
      assertEquals(0, sql.count(TABLES));
    }
  }

  @Test
  void aMigratedDatabaseHasEveryMigrationOfSql() throws Exception {
    long migrations;
    try (var files = Files.list(new File("../sql").toPath())) {
      migrations = files.filter(p -> p.getFileName().toString().matches("V\\d+__.*\\.sql")).count();
    }
    String url = TestStores.migratedDatabase();
    try (Sql sql = new Sql(url)) {
      assertEquals(migrations, sql.count("SELECT count(*) FROM flyway_schema_history WHERE success AND version IS NOT NULL"));
      assertEquals(0, sql.count("SELECT count(*) FROM tasks"));
      assertEquals(1, sql.update("CREATE TEMP TABLE t AS SELECT 1 AS x"));
      assertEquals(1, sql.rows("SELECT x FROM t").get(0).get("x"));
    }
  }

  @Test
  void redisIsThere() throws Exception {
    String url = TestStores.redisUrl();
    assertTrue(url.startsWith("redis://"), url);
  }

  @Test
  void eventuallyReturnsTheFirstAnswerAndTimesOutWithTheLastFailure() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    assertEquals(3, Eventually.await("three calls", Duration.ofSeconds(5), () -> {
      int n = calls.incrementAndGet();
      if (n == 1) throw new IllegalStateException("not yet");
      return n == 3 ? n : null;
    }));
    AssertionError e = assertThrows(AssertionError.class, () -> Eventually.await("never", Duration.ofMillis(100), () -> {
      throw new IllegalStateException("still not");
    }));
    assertTrue(e.getMessage().contains("waiting for never"), e.getMessage());
    assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
  }
}
