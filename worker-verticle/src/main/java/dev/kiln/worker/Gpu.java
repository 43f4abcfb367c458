package dev.kiln.worker;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What this host's GPUs are, as heartbeat fields: {@code gpus} ({@code [{index, name,
 * memory_mb}]}, every GPU: the dispatcher places an attempt by the largest) and, of the first GPU,
 * {@code gpu_name}, {@code gpu_memory_mb}, {@code gpu_memory_used_mb}, {@code gpu_utilization}
 * (the workers table and the gauges). {@code KILN_GPU_MEMORY_MB} overrides what nvidia-smi says
 * of memory (a GPU it cannot see, or one shared with something else); with neither, the object
 * is empty. Blocking.
 */
final class Gpu {
  private Gpu() {}

  /** How long nvidia-smi may take before the host counts as having no GPU it can tell of. */
  static final long PROBE_TIMEOUT_SECONDS = 5;
  /** The name a GPU known only from KILN_GPU_MEMORY_MB is given. */
  static final String CONFIGURED_NAME = "configured";

  /** @param configuredMemoryMb each GPU's memory from KILN_GPU_MEMORY_MB; empty: nvidia-smi's */
  static JsonObject probe(List<Integer> configuredMemoryMb) {
    return fields(nvidiaSmi(), configuredMemoryMb);
  }

  /**
   * The heartbeat fields from nvidia-smi's CSV lines (name, memory.total, memory.used,
   * utilization.gpu) and the configured memory, which, when given, is the list of GPUs: the
   * i-th keeps nvidia-smi's name where it has one.
   */
  static JsonObject fields(List<String> csvLines, List<Integer> configuredMemoryMb) {
    List<String[]> seen = new ArrayList<>();
    for (String line : csvLines) {
      String[] parts = line.split(",");
      if (parts.length < 2) continue;
      for (int i = 0; i < parts.length; i++) parts[i] = parts[i].trim();
      try {
        Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        continue; // "[N/A]" and the like: not a GPU it can tell the memory of
      }
      seen.add(parts);
    }
    JsonArray gpus = new JsonArray();
    if (configuredMemoryMb.isEmpty()) {
      for (int i = 0; i < seen.size(); i++) {
        gpus.add(new JsonObject().put("index", i).put("name", seen.get(i)[0]).put("memory_mb", Integer.parseInt(seen.get(i)[1])));
      }
    } else {
      for (int i = 0; i < configuredMemoryMb.size(); i++) {
        String name = i < seen.size() ? seen.get(i)[0] : CONFIGURED_NAME;
        gpus.add(new JsonObject().put("index", i).put("name", name).put("memory_mb", configuredMemoryMb.get(i)));
      }
    }
    if (gpus.isEmpty()) return new JsonObject();
    JsonObject first = gpus.getJsonObject(0);
    JsonObject out = new JsonObject().put("gpus", gpus).put("gpu_name", first.getString("name"))
        .put("gpu_memory_mb", first.getInteger("memory_mb"));
    if (!seen.isEmpty() && seen.get(0).length >= 4) {
      try {
        out.put("gpu_memory_used_mb", Integer.parseInt(seen.get(0)[2])).put("gpu_utilization", Integer.parseInt(seen.get(0)[3]));
      } catch (NumberFormatException e) {
        // a GPU that does not report its use: the gauges stay at 0
      }
    }
    return out;
  }

  /** nvidia-smi's CSV, one line per GPU; empty where it is missing or fails. */
  private static List<String> nvidiaSmi() {
    try {
      Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=name,memory.total,memory.used,utilization.gpu", "--format=csv,noheader,nounits")
          .redirectErrorStream(true).start();
      if (!p.waitFor(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return List.of();
      }
      List<String> lines = new ArrayList<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) if (line.contains(",")) lines.add(line);
      }
      return p.exitValue() == 0 ? lines : List.of();
    } catch (Exception e) {
      return List.of();
    }
  }
}
