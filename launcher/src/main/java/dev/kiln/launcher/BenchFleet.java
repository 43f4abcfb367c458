package dev.kiln.launcher;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code kiln bench --mode workers}: a fleet of {@code --workers} light workers (in two extra
 * JVMs, {@link BenchWorkers}) joined to one leader; reports the leader's CPU and heap and how long
 * it takes in a heartbeat with the fleet idle, then the drain rate of N tasks across the fleet.
 */
final class BenchFleet {
  /** Slots of each light worker. */
  static final int SLOTS = 4;

  private BenchFleet() {}

  /** The two child JVMs, each with half the fleet; they join the cluster of {@code members}. */
  static List<Process> spawn(int workers, Path dir, String clusterName, String members, int[] ports) throws Exception {
    List<Process> children = new ArrayList<>();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int j = 0; j < 2; j++) {
      int count = workers / 2 + (j == 0 ? workers % 2 : 0);
      ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-Dkiln.cluster.name=" + clusterName, "-cp",
          System.getProperty("java.class.path"), BenchWorkers.class.getName(), String.valueOf(count), "bw" + j);
      Map<String, String> env = pb.environment();
      env.put("KILN_CLUSTER_HOST", "127.0.0.1");
      env.put("KILN_CLUSTER_PORT", String.valueOf(ports[j + 1]));
      env.put("KILN_CLUSTER_MEMBERS", members);
      env.put("KILN_WORKER_SLOTS", String.valueOf(SLOTS));
      env.put("KILN_WORKER_QUEUES", "debug");
      env.put("KILN_DEBUG_EXECUTORS", "true");
      env.put("KILN_DATA_DIR", dir.toString());
      env.put("KILN_HTTP_PORT", "0");
      Path log = dir.resolve("fleet-" + j + ".log");
      pb.redirectErrorStream(true).redirectOutput(log.toFile());
      children.add(pb.start());
    }
    return children;
  }

  static JsonObject run(BenchLoad load, BenchStats stats, int workers, int tasks) throws Exception {
    long deadline = System.nanoTime() + 240_000_000_000L;
    while (BenchLoad.sum(load.metrics(), "kiln_workers{queue=\"debug\"") < workers) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("the fleet did not join within 4 minutes");
      Thread.sleep(1_000); // polling the leader's gauge, refreshed every 5 s
    }
    System.out.printf("bench: %d workers of %d slots joined%n", workers, SLOTS);
    String a = load.metrics();
    Thread.sleep(10_000); // ten seconds of an idle fleet's heartbeats: what the leader pays for them
    String b = load.metrics();
    double cpu = BenchLoad.sum(b, "process_cpu_usage");
    double beats = BenchLoad.sum(b, "kiln_heartbeat_handling_seconds_count") - BenchLoad.sum(a, "kiln_heartbeat_handling_seconds_count");
    double beatSeconds = BenchLoad.sum(b, "kiln_heartbeat_handling_seconds_sum") - BenchLoad.sum(a, "kiln_heartbeat_handling_seconds_sum");
    double maxMs = BenchLoad.sum(b, "kiln_heartbeat_handling_seconds_max") * 1000;
    long heap = Math.round(BenchLoad.sum(b, "jvm_memory_used_bytes{area=\"heap\"") / 1024 / 1024);
    System.out.printf("bench: idle fleet: %.0f heartbeats/s, %.3f ms each (max %.1f ms), leader CPU %.0f%% of the machine, heap %d MiB%n",
        beats / 10, beats == 0 ? 0 : beatSeconds / beats * 1000, maxMs, cpu * 100, heap);
    JsonObject drained = BenchModes.drain(load, stats, tasks, 8);
    double busyCpu = BenchLoad.sum(load.metrics(), "process_cpu_usage");
    return drained.put("mode", "workers").put("workers", workers).put("heartbeats_per_second", Math.round(beats / 10))
        .put("heartbeat_ms", beats == 0 ? 0 : Math.round(beatSeconds / beats * 1000 * 1000) / 1000.0)
        .put("idle_leader_cpu_percent", Math.round(cpu * 100)).put("drain_leader_cpu_percent", Math.round(busyCpu * 100))
        .put("idle_heap_mb", heap);
  }

  static void stop(List<Process> children) {
    for (Process p : children) p.destroy();
  }

  static Path dir() throws Exception {
    return Files.createTempDirectory("kiln-fleet");
  }

  static OffsetDateTime now() {
    return OffsetDateTime.now();
  }
}
