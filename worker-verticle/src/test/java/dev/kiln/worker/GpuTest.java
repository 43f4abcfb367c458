package dev.kiln.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The heartbeat's GPU fields: every GPU nvidia-smi lists, and KILN_GPU_MEMORY_MB over it. */
class GpuTest {
  private static final List<String> TWO = List.of("NVIDIA H200, 143771, 512, 3", "NVIDIA L4, 23034, 0, 0");

  @Test
  void everyGpuIsListedAndTheFirstFillsTheOldFields() {
    JsonObject f = Gpu.fields(TWO, List.of());
    assertEquals(new JsonArray().add(new JsonObject().put("index", 0).put("name", "NVIDIA H200").put("memory_mb", 143771))
        .add(new JsonObject().put("index", 1).put("name", "NVIDIA L4").put("memory_mb", 23034)), f.getJsonArray("gpus"));
    assertEquals("NVIDIA H200", f.getString("gpu_name"));
    assertEquals(143771, f.getInteger("gpu_memory_mb"));
    assertEquals(512, f.getInteger("gpu_memory_used_mb"));
    assertEquals(3, f.getInteger("gpu_utilization"));
  }

  @Test
  void configuredMemoryIsTheListOfGpusKeepingNamesNvidiaSmiGave() {
    JsonObject f = Gpu.fields(TWO.subList(0, 1), List.of(40000, 24576));
    assertEquals(new JsonArray().add(new JsonObject().put("index", 0).put("name", "NVIDIA H200").put("memory_mb", 40000))
        .add(new JsonObject().put("index", 1).put("name", Gpu.CONFIGURED_NAME).put("memory_mb", 24576)), f.getJsonArray("gpus"));
    assertEquals(40000, f.getInteger("gpu_memory_mb"));
    assertEquals(24576, Gpu.fields(List.of(), List.of(24576)).getJsonArray("gpus").getJsonObject(0).getInteger("memory_mb"),
        "a host without nvidia-smi still has the GPUs it is told of");
  }

  @Test
  void noGpuAndLinesWithoutMemoryGiveNothing() {
    assertTrue(Gpu.fields(List.of(), List.of()).isEmpty());
    assertTrue(Gpu.fields(List.of("Some GPU, [N/A], [N/A], [N/A]"), List.of()).isEmpty());
  }
}
