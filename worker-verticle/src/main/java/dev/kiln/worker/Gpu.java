package dev.kiln.worker;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * What {@code nvidia-smi} says of the first GPU (name, memory, memory used, utilization %), or
 * an empty object where it does not answer. Blocking.
 */
final class Gpu {
  private Gpu() {}

  static JsonObject probe() {
    try {
      Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=name,memory.total,memory.used,utilization.gpu", "--format=csv,noheader,nounits")
          .redirectErrorStream(true).start();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new JsonObject();
      }
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line = r.readLine();
        if (p.exitValue() != 0 || line == null || !line.contains(",")) return new JsonObject();
        String[] parts = line.split(",");
        JsonObject gpu = new JsonObject().put("gpu_name", parts[0].trim()).put("gpu_memory_mb", Integer.parseInt(parts[1].trim()));
        if (parts.length >= 4) {
          gpu.put("gpu_memory_used_mb", Integer.parseInt(parts[2].trim())).put("gpu_utilization", Integer.parseInt(parts[3].trim()));
        }
        return gpu;
      }
    } catch (Exception e) {
      return new JsonObject();
    }
  }
}
