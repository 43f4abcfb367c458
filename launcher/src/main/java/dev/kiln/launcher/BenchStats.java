package dev.kiln.launcher;

import dev.kiln.common.db.Db;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tasks' own timestamps, read from Postgres (the server's clock, so the client's pauses do
 * not count): how many ran, from the first start to the last finish, and the submit→start and
 * submit→finish percentiles of a run's tasks (those created since its mark).
 */
final class BenchStats implements AutoCloseable {
  private final Connection conn;

  BenchStats(String databaseUrl) throws Exception {
    PgConnectOptions o = Db.connectOptions(databaseUrl);
    this.conn = DriverManager.getConnection(Db.jdbcUrl(o), o.getUser(), o.getPassword());
  }

  private List<Map<String, Object>> rows(String query, Object... args) throws Exception {
    try (PreparedStatement ps = conn.prepareStatement(query)) {
      for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
      try (ResultSet rs = ps.executeQuery()) {
        List<Map<String, Object>> out = new ArrayList<>();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
          out.add(row);
        }
        return out;
      }
    }
  }

  /** The database's now: a run's tasks are those created after it. */
  OffsetDateTime mark() throws Exception {
    return rows("SELECT now() AS t").get(0).get("t") instanceof java.sql.Timestamp t
        ? t.toInstant().atOffset(java.time.ZoneOffset.UTC) : (OffsetDateTime) rows("SELECT now() AS t").get(0).get("t");
  }

  long ended(OffsetDateTime since) throws Exception {
    // By ix_tasks_finished: a look costs what finished since the mark, not the table.
    return ((Number) rows("SELECT count(*) AS n FROM tasks WHERE finished_at >= ? AND created_at >= ?", since, since).get(0).get("n"))
        .longValue();
  }

  /**
   * Of the first {@code limit} tasks of the run to finish (all: {@code Integer.MAX_VALUE}): how
   * many, how many completed, the seconds from the first start to the last finish, and
   * submit→start / submit→finish percentiles in ms.
   */
  Map<String, Object> summary(OffsetDateTime since, int limit) throws Exception {
    return rows("WITH t AS (SELECT * FROM tasks WHERE finished_at >= ? AND created_at >= ? ORDER BY finished_at LIMIT ?) "
        + "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'completed') AS completed, "
        + "extract(epoch FROM max(finished_at) - min(started_at)) AS seconds, "
        + "extract(epoch FROM max(finished_at) - min(created_at)) AS seconds_from_submit, "
        + "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at) * 1000) AS start_p50_ms, "
        + "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at) * 1000) AS start_p99_ms, "
        + "percentile_cont(0.999) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at) * 1000) AS start_p999_ms, "
        + "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at) * 1000) AS finish_p50_ms, "
        + "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at) * 1000) AS finish_p99_ms "
        + "FROM t", since, since, limit).get(0);
  }

  /** The claim's plan for the debug queue as it is now (EXPLAIN of its candidate scan). */
  String claimPlan() throws Exception {
    StringBuilder b = new StringBuilder();
    for (Map<String, Object> r : rows("EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM tasks WHERE queue = 'debug' AND status = 'pending' "
        + "ORDER BY priority DESC, fair_seq, created_at LIMIT 128")) {
      b.append(r.values().iterator().next()).append('\n');
    }
    return b.toString();
  }

  @Override
  public void close() throws Exception {
    conn.close();
  }
}
