package dev.kiln.common.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a worker's host brings: the inference servers it drives (the providers file), the memory
 * of its GPUs, and where it reads input images and writes outputs.
 */
public record WorkerHost(
    Path providersFile,       // KILN_PROVIDERS: JSON file of providers and actions; null = only the stand-ins
    List<Integer> gpuMemoryMb, // KILN_GPU_MEMORY_MB: each GPU's memory, overriding nvidia-smi; empty = ask nvidia-smi
    AssetTransport assets,     // KILN_WORKER_ASSETS: local (the node's directory) or cluster (through the HTTP role)
    int assetsTimeoutMs) {     // KILN_WORKER_ASSETS_TIMEOUT_MS: each request of a cluster transfer (one chunk) waits this long

  /** How a worker reaches asset bytes. */
  public enum AssetTransport {
    /** The node's own {@code KILN_DATA_DIR/assets}: one machine, or a directory every node mounts. */
    LOCAL,
    /** Over the event bus from the nodes that hold the store: a GPU host that shares only the network. */
    CLUSTER
  }

  /**
   * One chunk (1 MiB, ClusterAssetStore) in 10 s is 0.1 MB/s: a slow link still gets through, and a
   * worker whose store node died learns it well inside a task's timeout.
   */
  public static final int DEFAULT_ASSETS_TIMEOUT_MS = 10_000;

  public static final WorkerHost DEFAULT = new WorkerHost(null, List.of(), AssetTransport.LOCAL, DEFAULT_ASSETS_TIMEOUT_MS);

  static WorkerHost from(Map<String, String> env) {
    String file = KilnConfig.blankToNull(env.get("KILN_PROVIDERS"));
    Path providers = file == null ? null : Path.of(file).toAbsolutePath().normalize();
    if (providers != null && !Files.isRegularFile(providers)) {
      throw new ConfigException("KILN_PROVIDERS", "no such file " + providers);
    }
    List<Integer> gpus = new ArrayList<>();
    String mem = KilnConfig.blankToNull(env.get("KILN_GPU_MEMORY_MB"));
    if (mem != null) {
      for (String part : mem.split(",")) {
        try {
          int mb = Integer.parseInt(part.trim());
          if (mb < 1) throw new NumberFormatException();
          gpus.add(mb);
        } catch (NumberFormatException e) {
          throw new ConfigException("KILN_GPU_MEMORY_MB", "use each GPU's memory in MB, comma-separated (24576,24576), got '" + mem + "'");
        }
      }
    }
    String transport = env.getOrDefault("KILN_WORKER_ASSETS", "local").trim().toLowerCase();
    AssetTransport assets = switch (transport) {
      case "local" -> AssetTransport.LOCAL;
      case "cluster" -> AssetTransport.CLUSTER;
      default -> throw new ConfigException("KILN_WORKER_ASSETS", "must be local or cluster, got '" + transport + "'");
    };
    int timeoutMs = KilnConfig.intIn(env, "KILN_WORKER_ASSETS_TIMEOUT_MS", DEFAULT_ASSETS_TIMEOUT_MS, 100, 600_000);
    return new WorkerHost(providers, List.copyOf(gpus), assets, timeoutMs);
  }
}
