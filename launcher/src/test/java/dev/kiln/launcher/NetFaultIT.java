package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import dev.kiln.testing.TestStores;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults of the network, not of a process. Every node but the HTTP one runs in a network
 * namespace of its own ({@link NetLab}): two dispatchers and three workers, each behind a cable
 * the test controls. On loopback a dead process closes its sockets at once; here a host goes
 * silent, or half silent, or slow, and TCP has to find out. Four scenarios, each with a backlog of
 * short {@code debug.sleep} tasks flowing through it:
 *
 * <ul>
 *   <li>{@code cut20s}: a worker cut off entirely for 20 s, then healed;
 *   <li>{@code oneway20s}: only what that worker sends is lost, for 20 s;
 *   <li>{@code slow20s}: 300 ms each way and 5% loss on that worker's cable, for 20 s;
 *   <li>{@code leader-pg15s}: the leading dispatcher cut from PostgreSQL alone (not from the
 *       workers or Redis) for 15 s.
 * </ul>
 *
 * After each: nothing lost (every task completed), nothing settled twice, no two attempts of a task
 * at once, {@code max_concurrency} held, the credits ledger balanced; and the time to recover,
 * measured, on one line {@code netfault <scenario>: ...} (the README's guarantees quote them).
 * A scenario that fails does not stop the next: each starts by making the cluster whole.
 */
class NetFaultIT {
  static final int SLEEP_MS = 300;
  static final int SLOTS = 3;
  /** Below the 9 slots, so the limit binds; above the 6 left while a worker is away, so a worker back from a fault is needed at once. */
  static final int MAX_CONCURRENCY = 7;
  static final Duration CUT = Duration.ofSeconds(20);
  static final Duration SLOW = Duration.ofSeconds(20);
  static final Duration PG_PARTITION = Duration.ofSeconds(15);
  /**
   * A worker healed from a fault completes work again within this: measured 7-19 s here (the
   * split merge runs every 5 s, then a probe); the bound leaves room for a slower machine, and a
   * split that waits for Hazelcast's default merge (300 s, as before issue 10) still fails it.
   */
  static final Duration RECOVERY_BOUND = Duration.ofSeconds(45);
  /** A leader cut from Postgres is replaced within this (as a hung one is, FailoverIT). */
  static final Duration FAILOVER_BOUND = Duration.ofSeconds(10);
  static final long CREDITS = 1_000_000;
  static final String[] NAMES = {"http", "d0", "d1", "w0", "w1", "w2"};
  static final int HTTP = 0;
  static final int W0 = 3;

  // Registered first, so it is torn down last: the nodes stop while their network still works.
  @RegisterExtension @Order(1) final NetLab lab = new NetLab("netfault-it");
  @RegisterExtension @Order(2) final ProcessCluster cluster = new ProcessCluster("netfault-it", 6450, NAMES.length);

  private final KilnProcess[] nodes = new KilnProcess[NAMES.length];
  private final NetLab.Host[] hosts = new NetLab.Host[NAMES.length]; // none for the HTTP node: it stays on the root namespace
  private final List<Map<String, String>> envs = new ArrayList<>();
  private final int[] starts = new int[NAMES.length];
  private String db;
  private Sql sql;
  private Api api;
  private NetLab.Forwarded pg;

  @Test
  void tasksComeThroughCutOneWaySlowAndLeaderFromPostgresPartitions() throws Exception {
    db = cluster.db();
    pg = lab.forward(db);
    NetLab.Forwarded redis = lab.forward(TestStores.redisUrl());
    int httpPort = EmbeddedStores.freePort();
    cluster.host(HTTP, lab.bridgeAddress());
    for (int i = 1; i < NAMES.length; i++) {
      hosts[i] = lab.host(NAMES[i]);
      cluster.host(i, hosts[i].address);
    }
    envs.add(cluster.env(HTTP, "http", Map.of("KILN_HTTP_PORT", String.valueOf(httpPort), "KILN_PRICES", "debug.sleep=1")));
    for (int i = 1; i <= 2; i++) envs.add(cluster.env(i, "dispatcher", Map.of("DATABASE_URL", pg.url(), "REDIS_URL", redis.url())));
    for (int i = W0; i < NAMES.length; i++) {
      envs.add(cluster.env(i, "worker", Map.of("KILN_WORKER_ID", workerId(i), "KILN_WORKER_SLOTS", String.valueOf(SLOTS),
          "KILN_WORKER_QUEUES", "debug")));
    }
    for (int i = 0; i < NAMES.length; i++) start(i);
    for (KilnProcess p : nodes) p.awaitUp(Duration.ofSeconds(120));

    try (Sql s = new Sql(db)) {
      sql = s;
      api = new Api(httpPort, KilnNode.ADMIN_KEY);
      Api.Reply cfg = api.send("PUT", "/api/v1/admin/queues/debug", new JsonObject().put("max_concurrency", MAX_CONCURRENCY)
          .put("max_retries", 3).put("retry_delay_base", 100).put("retry_delay_max", 1000).encode());
      assertEquals(200, cfg.status(), cfg.body());
      Api.Reply grant = api.post("/api/v1/admin/wallets/grant", new JsonObject().put("api_client_id", "admin")
          .put("amount", CREDITS).encode());
      assertEquals(200, grant.status(), grant.body());
      assertAll(
          () -> workerFault("cut20s", CUT, NetLab.Host::cut, false),
          () -> workerFault("oneway20s", CUT, NetLab.Host::cutOutgoing, false),
          () -> workerFault("slow20s", SLOW, h -> h.slow(300, 5), true),
          this::leaderCutFromPostgres,
          () -> {
            for (KilnProcess p : nodes) assertFalse(p.output().contains("has been blocked"), p.name + " blocked an event loop");
          });
    }
  }

  interface Fault {
    void apply(NetLab.Host host) throws Exception;
  }

  /**
   * A fault on w0's cable for {@code length} while work flows, then healed. Measured: how long
   * until w0's attempts were given up on (its running count reached 0; for a slow cable, if ever),
   * how the attempts it held at the fault ended, and how long after the heal until w0 began an
   * attempt that it then completed. {@code worksThrough}: w0 must also complete work while the fault lasts.
   */
  private void workerFault(String scenario, Duration length, Fault fault, boolean worksThrough) throws Exception {
    whole();
    String w0 = workerId(W0);
    long start = System.currentTimeMillis();
    ConcurrencySampler sampler = ConcurrencySampler.start(db, "debug");
    Long detectedMs = null;
    Long recoveredAt = null;
    long healAt;
    List<Map<String, Object>> held;
    long maxRunning;
    try (Backlog backlog = backlog()) {
      Eventually.await(w0 + " running attempts", Duration.ofSeconds(60), () -> runningOn(w0) > 0);
      long faultAt = System.currentTimeMillis();
      fault.apply(hosts[W0]);
      held = sql.rows("SELECT id, attempt FROM tasks WHERE status = 'running' AND worker_id = ?", w0);
      long faultEnd = faultAt + length.toMillis();
      detectedMs = Eventually.within(Duration.ofMillis(faultEnd - System.currentTimeMillis()),
          () -> runningOn(w0) == 0 ? System.currentTimeMillis() - faultAt : null);
      holdUntil(faultEnd);
      healAt = System.currentTimeMillis();
      hosts[W0].heal();
      recoveredAt = awaitSuccessOn(w0, healAt, RECOVERY_BOUND);
      backlog.close();
      drained();
    } finally {
      maxRunning = sampler.stop();
    }
    Long firstSuccessStart = millis("SELECT min(started_at) FROM task_executions WHERE worker_id = ? AND is_success "
        + "AND started_at > to_timestamp(? / 1000.0)", w0, healAt);
    Map<String, Object> runs = sql.rows("SELECT count(*) FILTER (WHERE worker_id = ?) AS w0, "
        + "round(avg(extract(epoch FROM completed_at - started_at) * 1000) FILTER (WHERE worker_id = ?)) AS w0_ms, "
        + "round(avg(extract(epoch FROM completed_at - started_at) * 1000) FILTER (WHERE worker_id <> ?)) AS others_ms "
        + "FROM task_executions WHERE is_success AND started_at > to_timestamp(? / 1000.0) "
        + "AND started_at < to_timestamp(? / 1000.0)", w0, w0, w0, healAt - length.toMillis(), healAt).get(0);
    Map<String, Long> heldEnded = new TreeMap<>();
    for (Map<String, Object> a : held) {
      heldEnded.merge((String) sql.rows("SELECT outcome FROM task_executions WHERE task_id = ? AND attempt = ?",
          a.get("id"), a.get("attempt")).get(0).get("outcome"), 1L, Long::sum);
    }
    System.out.printf("netfault %s: detected_ms=%s recovered_ms=%s; the %d attempts %s held at the fault ended %s; "
        + "during the fault it completed %s attempts (%s ms each, others %s ms); %s%n", scenario,
        detectedMs == null ? "never" : detectedMs,
        firstSuccessStart == null ? "none within " + RECOVERY_BOUND.toMillis() : firstSuccessStart - healAt,
        held.size(), w0, heldEnded, runs.get("w0"), runs.get("w0_ms"), runs.get("others_ms"), tally(start, maxRunning));
    settledOnce(scenario, maxRunning);
    if (worksThrough) assertTrue((Long) runs.get("w0") > 0, scenario + ": " + w0 + " completed work through the fault");
    assertNotNull(recoveredAt, scenario + ": " + w0 + " completed no attempt begun within " + RECOVERY_BOUND
        + " of the heal; " + diagnosis(start));
  }

  /**
   * The leader's cable drops TCP to and from PostgreSQL's port for 15 s; the workers and Redis it
   * still reaches. Its lock session goes silent, Postgres ends it (idle_session_timeout), the
   * standby leads; the cut one steps down. Measured: fault to the standby's epoch, and fault to
   * the first attempt claimed after it that completed.
   */
  private void leaderCutFromPostgres() throws Exception {
    whole();
    int leader = leadingDispatcher();
    long epoch = sql.count("SELECT epoch FROM dispatcher_leadership");
    int stepDowns = count(nodes[leader].output(), "Stepping down as leader");
    long start = System.currentTimeMillis();
    ConcurrencySampler sampler = ConcurrencySampler.start(db, "debug");
    Long failoverMs = null;
    long faultAt;
    long maxRunning;
    try (Backlog backlog = backlog()) {
      Eventually.await("work flowing", Duration.ofSeconds(60), () -> sql.count("SELECT count(*) FROM task_executions "
          + "WHERE is_success AND started_at > to_timestamp(? / 1000.0)", start) >= 2L * MAX_CONCURRENCY);
      faultAt = System.currentTimeMillis();
      hosts[leader].cutFrom(pg.port());
      long faultEnd = faultAt + PG_PARTITION.toMillis();
      failoverMs = Eventually.within(Duration.ofMillis(faultEnd - System.currentTimeMillis()),
          () -> sql.count("SELECT epoch FROM dispatcher_leadership") > epoch ? System.currentTimeMillis() - faultAt : null);
      Eventually.await("a task claimed after the cut completed", Duration.ofSeconds(30), () -> sql.count(
          "SELECT count(*) FROM task_executions WHERE is_success AND started_at > to_timestamp(? / 1000.0)", faultAt) > 0);
      holdUntil(faultEnd);
      hosts[leader].heal();
      backlog.close();
      drained();
    } finally {
      maxRunning = sampler.stop();
    }
    Long firstClaim = millis("SELECT min(started_at) FROM task_executions WHERE is_success "
        + "AND started_at > to_timestamp(? / 1000.0)", faultAt);
    boolean steppedDown = count(nodes[leader].output(), "Stepping down as leader") > stepDowns;
    System.out.printf("netfault leader-pg15s: failover_ms=%s recovered_ms=%d; the cut leader stepped down: %s; "
        + "leader epochs +%d; %s%n", failoverMs == null ? "never" : failoverMs, firstClaim - faultAt, steppedDown,
        sql.count("SELECT epoch FROM dispatcher_leadership") - epoch, tally(start, maxRunning));
    settledOnce("leader-pg15s", maxRunning);
    assertNotNull(failoverMs, "the standby led within " + PG_PARTITION);
    assertTrue(failoverMs < FAILOVER_BOUND.toMillis(), "the standby led within " + FAILOVER_BOUND + ": " + failoverMs + " ms");
    assertTrue(steppedDown, "the leader cut from Postgres stepped down");
  }

  /**
   * Before a scenario: every cable healed, nothing left running, one leader, and all six nodes in
   * one Hazelcast cluster, each worker heartbeating. A node the HTTP node (never faulted) does not
   * count as a member, or that sees another cluster than it does (a worker a fault left split
   * off), is restarted, and says so, so that one scenario's failure does not spoil the next.
   */
  private void whole() throws Exception {
    for (int i = 1; i < NAMES.length; i++) hosts[i].heal();
    drained();
    for (int i = 1; i < NAMES.length; i++) {
      int n = i;
      try {
        Eventually.await(NAMES[n] + " in the cluster", Duration.ofSeconds(15), () -> member(n));
      } catch (AssertionError e) {
        System.out.printf("netfault: %s is not back in the cluster (it sees %d members, the HTTP node %d); "
            + "restarting it so the next scenario starts whole%n", NAMES[n], clusterView(nodes[n]).size(),
            clusterView(nodes[HTTP]).size());
        nodes[n].kill();
        start(n);
        nodes[n].awaitUp(Duration.ofSeconds(90));
        Eventually.await(NAMES[n] + " in the cluster after its restart", Duration.ofSeconds(30), () -> member(n));
      }
    }
    Eventually.await("one cluster of all six", Duration.ofSeconds(30), () -> {
      for (KilnProcess p : nodes) if (clusterView(p).size() != NAMES.length) return false;
      return true;
    });
    leadingDispatcher();
  }

  /** Node {@code i} is a member in the HTTP node's view and sees what it sees; a worker also heartbeats to the leader. */
  private boolean member(int i) throws Exception {
    List<String> view = clusterView(nodes[HTTP]);
    return view.contains(hosts[i].address) && clusterView(nodes[i]).equals(view)
        && (i < W0 || sql.count("SELECT count(*) FROM workers WHERE id = ? AND status = 'active' "
            + "AND last_heartbeat_at > now() - interval '8 seconds'", workerId(i)) == 1);
  }

  /** The addresses of the Hazelcast members a node last logged ({@code Members {size:6, ver:6} [ Member [10.231.7.10]:6451 ...}), sorted. */
  private static List<String> clusterView(KilnProcess p) throws Exception {
    String out = p.output();
    int at = out.lastIndexOf("Members {size:");
    if (at < 0) return List.of();
    int end = out.indexOf("\n]", at);
    List<String> view = new ArrayList<>();
    for (String line : out.substring(at, end < 0 ? out.length() : end).split("\n")) {
      int open = line.indexOf("Member [");
      if (open >= 0) view.add(line.substring(open + "Member [".length(), line.indexOf(']', open)));
    }
    view.sort(null);
    return view;
  }

  private void drained() throws Exception {
    Eventually.await("every task ended", Duration.ofSeconds(90),
        () -> sql.count("SELECT count(*) FROM tasks WHERE status IN ('pending', 'running', 'retrying')") == 0);
  }

  /** After a scenario: what every scenario must leave, whatever the fault. */
  private void settledOnce(String scenario, long maxRunning) throws Exception {
    List<Map<String, Object>> notCompleted = sql.rows("SELECT id, status, error_code, attempt, lost_count FROM tasks "
        + "WHERE status <> 'completed' LIMIT 10");
    assertEquals(List.of(), notCompleted, scenario + ": every task completed");
    AttemptCheck.assertSound(sql);
    assertTrue(maxRunning <= MAX_CONCURRENCY, scenario + ": max_concurrency held: " + maxRunning);
    LedgerCheck.assertBalanced(sql);
    assertEquals(CREDITS - sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'"),
        sql.count("SELECT balance FROM wallets WHERE api_client_id = 'admin' AND user_id = ''"),
        scenario + ": each completed task charged once");
  }

  /** Counts of the scenario's tasks and attempts, by how the attempts ended. */
  private String tally(long start, long maxRunning) throws Exception {
    Map<String, Object> r = sql.rows("SELECT (SELECT count(*) FROM tasks WHERE created_at > to_timestamp(? / 1000.0)) AS tasks, "
        + "count(*) AS attempts, count(*) FILTER (WHERE outcome = 'handoff_failed') AS handoff_failed, "
        + "count(*) FILTER (WHERE outcome = 'worker_lost') AS worker_lost, max(attempt) AS max_attempt "
        + "FROM task_executions WHERE started_at > to_timestamp(? / 1000.0)", start, start).get(0);
    return String.format("%s tasks in %.0f s, %s attempts (%s handoff_failed, %s worker_lost, at most %s of one task), "
        + "max running %d of %d", r.get("tasks"), (System.currentTimeMillis() - start) / 1000.0, r.get("attempts"),
        r.get("handoff_failed"), r.get("worker_lost"), r.get("max_attempt"), maxRunning, MAX_CONCURRENCY);
  }

  /** What a worker that did not come back looks like: the cluster as each node saw it, and the tasks handed to it most. */
  private String diagnosis(long start) throws Exception {
    String w0 = workerId(W0);
    int leader = leadingDispatcher();
    StringBuilder d = new StringBuilder("cluster sizes as last logged:");
    for (int i = 0; i < NAMES.length; i++) d.append(' ').append(NAMES[i]).append('=').append(clusterView(nodes[i]).size());
    d.append("; over the whole run the leader logged ").append(count(nodes[leader].output(), "Worker " + w0 + " joined")).append("x '")
        .append(w0).append(" joined' and ").append(count(nodes[leader].output(), "): [" + w0 + "]")).append("x gone; ")
        .append(w0).append(" logged ").append(count(nodes[W0].output(), "Not a member of the cluster"))
        .append("x 'Not a member of the cluster'; the tasks handed off most: ")
        .append(sql.rows("SELECT task_id, worker_id, count(*) AS n, min(error_message) AS why FROM task_executions "
            + "WHERE outcome = 'handoff_failed' AND started_at > to_timestamp(? / 1000.0) "
            + "GROUP BY task_id, worker_id ORDER BY n DESC LIMIT 3", start));
    return d.toString();
  }

  private Long awaitSuccessOn(String workerId, long afterMs, Duration deadline) throws Exception {
    return Eventually.within(deadline, () -> millis("SELECT min(started_at) FROM task_executions WHERE worker_id = ? "
        + "AND is_success AND started_at > to_timestamp(? / 1000.0)", workerId, afterMs));
  }

  private int leadingDispatcher() throws Exception {
    return Eventually.await("a leading dispatcher", Duration.ofSeconds(30), () -> {
      List<Map<String, Object>> rows = sql.rows("SELECT leader_id FROM dispatcher_leadership WHERE leader_id IS NOT NULL");
      if (rows.isEmpty()) return null;
      String id = (String) rows.get(0).get("leader_id");
      for (int i = 1; i <= 2; i++) if (nodes[i].output().contains("Dispatcher " + id + " takes the lead")) return i;
      return null;
    });
  }

  private Backlog backlog() {
    JsonObject task = new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject().put("duration_ms", SLEEP_MS));
    return Backlog.start(api, db, task, 2 * MAX_CONCURRENCY, 20);
  }

  private long runningOn(String workerId) throws Exception {
    return sql.count("SELECT count(*) FROM tasks WHERE status = 'running' AND worker_id = ?", workerId);
  }

  /** A timestamp query's one value as epoch milliseconds, or null. */
  private Long millis(String query, Object... args) throws Exception {
    Object v = sql.rows("SELECT (extract(epoch FROM (" + query + ")) * 1000)::bigint AS ms", args).get(0).get("ms");
    return v == null ? null : ((Number) v).longValue();
  }

  /** A fault lasts a fixed time: that time is the fault, not a stand-in for a condition. */
  private static void holdUntil(long epochMs) throws InterruptedException {
    long left = epochMs - System.currentTimeMillis();
    if (left > 0) Thread.sleep(left);
  }

  private void start(int i) throws Exception {
    String roles = i == HTTP ? "http" : i < W0 ? "dispatcher" : "worker";
    List<String> prefix = hosts[i] == null ? List.of() : hosts[i].exec();
    String log = starts[i]++ == 0 ? NAMES[i] : NAMES[i] + "-" + starts[i];
    nodes[i] = cluster.start(prefix, log, envs.get(i), roles);
  }

  private static String workerId(int i) {
    return "nf-" + NAMES[i];
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) n++;
    return n;
  }
}
