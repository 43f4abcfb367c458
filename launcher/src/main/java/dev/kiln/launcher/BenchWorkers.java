package dev.kiln.launcher;

import dev.kiln.common.config.KilnConfig;
import dev.kiln.worker.WorkerVerticle;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A fleet of light workers in one JVM for {@code kiln bench --mode workers}: one clustered node
 * with {@code count} worker verticles, each with its own id and slots, heartbeating as real ones
 * do. Started by the bench as a child process: {@code java -cp kiln.jar dev.kiln.launcher.BenchWorkers
 * COUNT PREFIX} with the cluster settings in the environment.
 */
public final class BenchWorkers {
  private BenchWorkers() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    System.setProperty("hazelcast.logging.type", "slf4j");
    int count = Integer.parseInt(args[0]);
    String prefix = args[1];
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("KILN_WORKER_ID", prefix + "-0");
    Node node = Node.start(KilnConfig.from(env), EnumSet.of(Role.WORKER), true).toCompletionStage().toCompletableFuture()
        .get(120, TimeUnit.SECONDS);
    for (int i = 1; i < count; i++) {
      env.put("KILN_WORKER_ID", prefix + "-" + i);
      node.vertx().deployVerticle(new WorkerVerticle(KilnConfig.from(env), node.clusterNodeId())).toCompletionStage()
          .toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    System.out.println("bench-workers: " + count + " workers up");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> node.vertx().close()));
    Thread.currentThread().join();
  }
}
