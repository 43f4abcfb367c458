package dev.kiln.launcher;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Kiln JVMs from the built jar, one Hazelcast cluster on 127.0.0.1 (or on the addresses given
 * with {@link #host}), for one failsafe test (a JUnit extension): a fresh database, one data
 * directory, logs under {@code target/<name>}, cluster ports from the test's own range, and every
 * process it started stopped after the test.
 */
final class ProcessCluster implements BeforeEachCallback, AfterEachCallback {
  private final String name;
  private final int firstPort;
  private final int size;
  private final String[] hosts;
  private final List<KilnProcess> started = new ArrayList<>();
  private String db;
  private Path data;
  private String clusterName;

  /** Members {@code 0 .. size-1} get cluster ports from {@code firstPort}, shifted by the pid so reruns do not meet old sockets. */
  ProcessCluster(String name, int firstPort, int size) {
    this.name = name;
    this.firstPort = firstPort + (int) (ProcessHandle.current().pid() % 25) * size;
    this.size = size;
    this.hosts = new String[size];
    Arrays.fill(hosts, "127.0.0.1");
  }

  /** Member {@code member} binds and is found at {@code address} (a host of a {@link NetLab}); call before {@link #env}. */
  ProcessCluster host(int member, String address) {
    hosts[member] = address;
    return this;
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    db = TestStores.freshDatabase();
    data = Files.createTempDirectory("kiln-" + name);
    clusterName = "kiln-" + name + "-" + System.nanoTime();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    for (KilnProcess p : started) p.close();
    started.clear();
  }

  String db() {
    return db;
  }

  /**
   * A member's environment: the cluster, the shared data dir, the admin key, debug executors, a
   * free HTTP port, and the stores only for roles that use them (a worker needs neither), then {@code extra}.
   */
  Map<String, String> env(int member, String roles, Map<String, String> extra) throws Exception {
    List<String> members = new ArrayList<>();
    for (int i = 0; i < size; i++) members.add(hosts[i] + ":" + (firstPort + i));
    Map<String, String> env = new HashMap<>(Map.of("KILN_CLUSTER_MEMBERS", String.join(",", members),
        "KILN_CLUSTER_HOST", hosts[member], "KILN_CLUSTER_PORT", String.valueOf(firstPort + member),
        // An HTTP node's port is the caller's (its tests talk to it); any other node's /health and
        // /metrics take whatever port is free at its bind: a port picked before, and bound again at
        // a restart, can meanwhile be some connection's local port ("Address already in use").
        "KILN_HTTP_PORT", roles.contains("http") ? String.valueOf(EmbeddedStores.freePort()) : "0", "KILN_DATA_DIR", data.toString(),
        "KILN_DEBUG_EXECUTORS", "true", "KILN_ADMIN_KEY", KilnNode.ADMIN_KEY));
    if (roles.contains("http") || roles.contains("dispatcher")) {
      env.putAll(Map.of("DATABASE_URL", db, "REDIS_URL", TestStores.redisUrl()));
    }
    env.putAll(extra);
    return env;
  }

  /** Starts {@code java -jar kiln.jar --roles <roles> --cluster}, logging to {@code target/<name>/<logName>.log}. */
  KilnProcess start(String logName, Map<String, String> env, String roles) throws Exception {
    return start(List.of(), logName, env, roles);
  }

  /** The same through a command prefix, e.g. {@link NetLab.Host#exec()} to run it in a network namespace. */
  KilnProcess start(List<String> prefix, String logName, Map<String, String> env, String roles) throws Exception {
    KilnProcess p = KilnProcess.start(prefix, logName, Path.of("target", name), clusterName, env, "--roles", roles, "--cluster");
    started.add(p);
    return p;
  }
}
