package dev.kiln.http.models;

import dev.kiln.common.metrics.KilnMetrics;
import java.util.Arrays;

/** The model counters' label sets, known here (formats, interaction types), registered at zero by the HTTP role. */
public final class ModelMetrics {
  private ModelMetrics() {}

  public static void register() {
    KilnMetrics.models(Arrays.stream(ModelFormat.values()).map(Enum::name).toList(),
        Arrays.stream(Interactions.Type.values()).map(Enum::name).toList());
  }
}
