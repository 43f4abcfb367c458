package dev.kiln.launcher;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Kiln JVMs from the built jar, one Hazelcast cluster on 127.0.0.1, for one failsafe test (a
 * JUnit extension): a fresh database, one data directory, logs under {@code target/<name>},
 * cluster ports from the test's own range, and every process it started stopped after the test.
 */
final class ProcessCluster implements BeforeEachCallback, AfterEachCallback {
  private final String name;
  private final int firstPort;
  private final int size;
  private final List<KilnProcess> started = new ArrayList<>();
  private String db;
  private Path data;
  private String clusterName;

  /** Members {@code 0 .. size-1} get cluster ports from {@code firstPort}, shifted by the pid so reruns do not meet old sockets. */
  ProcessCluster(String name, int firstPort, int size) {
    this.name = name;
    this.firstPort = firstPort + (int) (ProcessHandle.current().pid() % 25) * size;
    this.size = size;
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
    for (int i = 0; i < size; i++) members.add("127.0.0.1:" + (firstPort + i));
    Map<String, String> env = new HashMap<>(Map.of("KILN_CLUSTER_MEMBERS", String.join(",", members),
        "KILN_CLUSTER_HOST", "127.0.0.1", "KILN_CLUSTER_PORT", String.valueOf(firstPort + member),
        "KILN_HTTP_PORT", String.valueOf(EmbeddedStores.freePort()), "KILN_DATA_DIR", data.toString(),
        "KILN_DEBUG_EXECUTORS", "true", "KILN_ADMIN_KEY", KilnNode.ADMIN_KEY));
    if (roles.contains("http") || roles.contains("dispatcher")) {
      env.putAll(Map.of("DATABASE_URL", db, "REDIS_URL", TestStores.redisUrl()));
    }
    env.putAll(extra);
    return env;
  }

  /** Starts {@code java -jar kiln.jar --roles <roles> --cluster}, logging to {@code target/<name>/<logName>.log}. */
  KilnProcess start(String logName, Map<String, String> env, String roles) throws Exception {
    KilnProcess p = KilnProcess.start(logName, Path.of("target", name), clusterName, env, "--roles", roles, "--cluster");
    started.add(p);
    return p;
  }
}
