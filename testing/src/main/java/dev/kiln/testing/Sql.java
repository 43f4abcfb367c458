package dev.kiln.testing;

import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Plain JDBC for tests: reading what Kiln wrote, the way an operator would with psql. */
public final class Sql implements AutoCloseable {
  private final Connection conn;

  public Sql(String databaseUrl) throws Exception {
    this.conn = connect(databaseUrl);
  }

  public static Connection connect(String databaseUrl) throws Exception {
    PgConnectOptions o = PgConnectOptions.fromUri(databaseUrl);
    return DriverManager.getConnection("jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase(),
        o.getUser(), o.getPassword());
  }

  public List<Map<String, Object>> rows(String sql, Object... args) throws Exception {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
      try (ResultSet rs = ps.executeQuery()) {
        List<Map<String, Object>> out = new ArrayList<>();
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= n; i++) row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
          out.add(row);
        }
        return out;
      }
    }
  }

  public long count(String sql, Object... args) throws Exception {
    return ((Number) rows(sql, args).get(0).values().iterator().next()).longValue();
  }

  public int update(String sql, Object... args) throws Exception {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
      return ps.executeUpdate();
    }
  }

  @Override
  public void close() throws Exception {
    conn.close();
  }
}
