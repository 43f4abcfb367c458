package dev.kiln.launcher;

import com.hazelcast.cluster.Cluster;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.XmlConfigBuilder;
import dev.kiln.common.bus.Addresses;
import dev.kiln.common.config.ClusterTls;
import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.db.Migrations;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.dispatcher.DispatcherVerticle;
import dev.kiln.http.HttpVerticle;
import dev.kiln.http.assets.AssetService;
import dev.kiln.http.ops.OpsVerticle;
import dev.kiln.worker.WorkerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PfxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;

/** One Kiln process: a Vert.x instance (clustered or not) with the chosen roles deployed. */
public final class Node {
  /** HTTP verticle instances per process: one event loop each. */
  public static final int HTTP_INSTANCES = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
  public static final String DEFAULT_CLUSTER_NAME = "kiln";

  private final Vertx vertx;
  private final String clusterNodeId; // this process's Hazelcast member; null when not clustered
  private WorkerVerticle worker;
  private String workerDeployment;

  private Node(Vertx vertx, String clusterNodeId) {
    this.vertx = vertx;
    this.clusterNodeId = clusterNodeId;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** This process's cluster member (null when not clustered). */
  public String clusterNodeId() {
    return clusterNodeId;
  }

  public String workerId() {
    return worker == null ? null : worker.workerId();
  }

  public static Future<Node> start(KilnConfig config, Set<Role> roles, boolean clustered) {
    return start(config, roles, clustered, null);
  }

  /** {@code tls}: the clustered event bus's certificates (null: plain TCP, for a trusted private network). */
  public static Future<Node> start(KilnConfig config, Set<Role> roles, boolean clustered, ClusterTls tls) {
    VertxOptions options = new VertxOptions()
        .setMetricsOptions(new MicrometerMetricsOptions()
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
            .setJvmMetricsEnabled(true)
            .setEnabled(true));
    var builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory(KilnMetrics.registry()));
    Future<Node> created;
    if (clustered) {
      options.setEventBusOptions(eventBus(config, tls));
      HazelcastClusterManager members = new HazelcastClusterManager(hazelcast(config));
      created = builder.with(options).withClusterManager(members).buildClustered().map(v -> new Node(v, watch(v, members)));
    } else {
      created = Future.succeededFuture(new Node(builder.with(options).build(), null));
    }
    // A failed start fails at once and closes Vert.x behind it: a callback on the close would be
    // queued on the event loops it stops, and never run.
    return created.compose(node -> node.deploy(config, roles).map(node).recover(e -> {
      node.vertx.close();
      return Future.failedFuture(e);
    }));
  }

  /**
   * The clustered event bus listens on KILN_CLUSTER_HOST only; with {@code tls}, every connection
   * between nodes is TLS and both ends must present a certificate the other trusts.
   */
  static EventBusOptions eventBus(KilnConfig config, ClusterTls tls) {
    EventBusOptions bus = new EventBusOptions().setHost(config.clusterHost()).setClusterPublicHost(config.clusterHost());
    if (tls == null) return bus;
    return bus.setSsl(true)
        .setKeyCertOptions(new PfxOptions().setPath(tls.keystore().toString()).setPassword(tls.keystorePassword()))
        .setTrustOptions(new PfxOptions().setPath(tls.truststore().toString()).setPassword(tls.truststorePassword()))
        .setClientAuth(ClientAuth.REQUIRED);
  }

  /**
   * Tells this node's roles, on the local bus, when a cluster member leaves (DESIGN §5: the
   * dispatcher watches membership, not only heartbeats). Returns this member's id.
   */
  private static String watch(Vertx vertx, HazelcastClusterManager members) {
    Cluster cluster = members.getHazelcastInstance().getCluster();
    cluster.addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent e) {}

      @Override
      public void memberRemoved(MembershipEvent e) {
        vertx.eventBus().publish(Addresses.CLUSTER_NODE_LEFT, new JsonObject().put("node_id", e.getMember().getUuid().toString()),
            new DeliveryOptions().setLocalOnly(true));
      }
    });
    return cluster.getLocalMember().getUuid().toString();
  }

  private Future<Void> deploy(KilnConfig config, Set<Role> roles) {
    Future<?> ready = Role.needsStores(roles)
        ? Migrations.apply(vertx, config.databaseUrl())
        : Future.succeededFuture();
    return ready.compose(x -> {
      Future<?> f = Future.succeededFuture();
      if (roles.contains(Role.DISPATCHER)) {
        f = f.compose(y -> vertx.deployVerticle(new DispatcherVerticle(config)));
      }
      if (roles.contains(Role.WORKER)) {
        worker = new WorkerVerticle(config, clusterNodeId);
        f = f.compose(y -> vertx.deployVerticle(worker).onSuccess(id -> workerDeployment = id));
      }
      if (roles.contains(Role.HTTP)) {
        // The store's bytes for workers on hosts without this node's disk (KILN_WORKER_ASSETS=cluster).
        f = f.compose(y -> vertx.deployVerticle(new AssetService(config.assetDir(), config.databaseUrl())));
        f = f.compose(y -> vertx.deployVerticle(() -> new HttpVerticle(config), new DeploymentOptions().setInstances(HTTP_INSTANCES)));
      } else {
        f = f.compose(y -> vertx.deployVerticle(new OpsVerticle(config.httpPort(), config.httpHost(), config.api().limits())));
      }
      return f.mapEmpty();
    });
  }

  /**
   * The worker drains first, while the dispatcher can still settle what it finishes; then the
   * rest closes. Vert.x is closed from outside its own event loops, which are going away.
   */
  public CompletableFuture<Void> close() {
    CompletableFuture<Void> drained = workerDeployment == null ? CompletableFuture.completedFuture(null)
        : vertx.undeploy(workerDeployment).toCompletionStage().toCompletableFuture();
    return drained.handle((v, e) -> null)
        .thenComposeAsync(v -> vertx.close().toCompletionStage(), ForkJoinPool.commonPool());
  }

  /** cluster.xml (a file named by KILN_CLUSTER_CONFIG, else the one in the jar) with this node's values. */
  static Config hazelcast(KilnConfig config) {
    Properties p = new Properties();
    p.setProperty("kiln.cluster.name", System.getProperty("kiln.cluster.name", DEFAULT_CLUSTER_NAME));
    p.setProperty("kiln.cluster.host", config.clusterHost());
    p.setProperty("kiln.cluster.port", String.valueOf(config.clusterPort()));
    p.setProperty("kiln.cluster.members", config.clusterMembers().isEmpty()
        ? config.clusterHost() + ":" + config.clusterPort() : String.join(",", config.clusterMembers()));
    String file = System.getenv("KILN_CLUSTER_CONFIG");
    try (InputStream in = file != null ? Files.newInputStream(Path.of(file))
        : Node.class.getClassLoader().getResourceAsStream("cluster.xml")) {
      if (in == null) throw new IllegalStateException("cluster.xml is not in the jar");
      return new XmlConfigBuilder(in).setProperties(p).build();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file, e);
    }
  }
}
