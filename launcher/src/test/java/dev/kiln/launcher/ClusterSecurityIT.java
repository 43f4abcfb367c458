package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 10, finding 7: with KILN_CLUSTER_HOST=127.0.0.1 Hazelcast listened on every interface,
 * and any process that reached the event bus could talk to the cluster. Now it listens on that
 * address only, and with KILN_CLUSTER_TLS_* the event bus is TLS with client certificates: a
 * node without the cluster's certificate, or with a certificate of its own, joins Hazelcast (its
 * port must stay on a private network) but can neither heartbeat to the leader nor be handed work.
 */
class ClusterSecurityIT {
  static final String PASSWORD = "kiln-test-pass";

  @RegisterExtension final ProcessCluster cluster = new ProcessCluster("cluster-security-it", 6550, 4);

  /** A PKCS#12 keystore with one self-signed certificate, made by the JDK's keytool. */
  private static Path keystore(Path dir, String name) throws Exception {
    Path file = dir.resolve(name + ".p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
        "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name, "-validity", "2",
        "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new AssertionError("keytool failed: " + out);
    return file;
  }

  private static Map<String, String> tls(Path keystore) {
    return Map.of("KILN_CLUSTER_TLS_KEYSTORE", keystore.toString(), "KILN_CLUSTER_TLS_KEYSTORE_PASSWORD", PASSWORD);
  }

  private Map<String, String> worker(int member, String id, Map<String, String> tls) throws Exception {
    Map<String, String> extra = new HashMap<>(Map.of("KILN_WORKER_ID", id, "KILN_WORKER_SLOTS", "2", "KILN_WORKER_QUEUES", "debug"));
    extra.putAll(tls);
    return cluster.env(member, "worker", extra);
  }

  @Test
  void onlyNodesWithTheClusterCertificateTalkOnTheBusAndHazelcastListensOnTheClusterHostOnly() throws Exception {
    Path certs = Files.createTempDirectory("kiln-certs");
    Path shared = keystore(certs, "kiln-cluster");
    Path own = keystore(certs, "kiln-intruder");
    int httpPort = EmbeddedStores.freePort();
    Map<String, String> leaderEnv = new HashMap<>(tls(shared));
    leaderEnv.put("KILN_HTTP_PORT", String.valueOf(httpPort));
    leaderEnv = cluster.env(0, "http,dispatcher", leaderEnv);
    int hazelcastPort = Integer.parseInt(leaderEnv.get("KILN_CLUSTER_PORT"));
    List<KilnProcess> nodes = List.of(
        cluster.start("http-dispatcher", leaderEnv, "http,dispatcher"),
        cluster.start("worker-tls", worker(1, "sec-tls", tls(shared)), "worker"),
        cluster.start("worker-plain", worker(2, "sec-plain", Map.of()), "worker"),
        cluster.start("worker-own-cert", worker(3, "sec-own-cert", tls(own)), "worker"));
    for (KilnProcess p : nodes) p.awaitUp(Duration.ofSeconds(120));

    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", hazelcastPort), 2_000); // the cluster host: listening
    }
    assertThrows(ConnectException.class, () -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.2", hazelcastPort), 2_000); // another local address: nothing there
      }
    }, "Hazelcast listens on KILN_CLUSTER_HOST only");

    Api api = new Api(httpPort, KilnNode.ADMIN_KEY);
    try (Sql sql = new Sql(cluster.db())) {
      Eventually.await("the worker with the cluster's certificate registered", Duration.ofSeconds(30),
          () -> sql.count("SELECT count(*) FROM workers WHERE id = 'sec-tls' AND status = 'active'") == 1);
      JsonArray tasks = new JsonArray();
      for (int i = 0; i < 40; i++) {
        tasks.add(new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject().put("duration_ms", 200)));
      }
      assertEquals(202, api.post("/api/v1/tasks/bulk", new JsonObject().put("tasks", tasks).encode()).status());
      // 40 × 200 ms on 2 slots is 4 s of heartbeats: an intruder that reached the leader would be registered and handed work.
      Eventually.await("every task completed", Duration.ofSeconds(90),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'") == 40);
      assertEquals(List.of(Map.of("worker_id", "sec-tls")), sql.rows("SELECT DISTINCT worker_id FROM task_executions"),
          "all ran on the worker with the cluster's certificate");
      assertEquals(List.of(Map.of("id", "sec-tls")), sql.rows("SELECT id FROM workers"),
          "neither the plain worker nor the one with its own certificate was ever heard");
    }
  }
}
