package dev.kiln.worker.cog;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The files in a prediction's output: every string that is a data: URI or an http(s) URL, in
 * document order, wherever it sits (the output itself, a list, an object's values). Other values
 * are the model's answer, kept as they are.
 */
final class OutputFiles {
  private OutputFiles() {}

  /** The output's file references in document order. */
  static List<String> in(Object output) {
    List<String> out = new ArrayList<>();
    walk(output, s -> {
      out.add(s);
      return s;
    });
    return out;
  }

  /** The output with its i-th file reference replaced by {@code name.apply(i)}. */
  static Object replaced(Object output, IntFunction<String> name) {
    int[] next = {0};
    return walk(output, s -> name.apply(next[0]++));
  }

  static boolean isFile(String s) {
    String lower = s.length() > 8 ? s.substring(0, 8).toLowerCase(Locale.ROOT) : s.toLowerCase(Locale.ROOT);
    return DataUri.is(s) || lower.startsWith("http://") || lower.startsWith("https://");
  }

  /** One stored output: its name and whether it is the action's preview rather than its output. */
  record Name(String fileName, boolean preview) {}

  /**
   * Names files as the demo providers do, so the gallery and pipelines find them the same way:
   * {@code model3d.generate} makes {@code model.glb} (and {@code model.obj}) with any image as its
   * {@code preview.png}; every other action {@code output-0.png}, {@code output-1.png}... A second
   * file of one base name gets {@code -1}, {@code -2}.
   */
  static final class Namer {
    private final boolean model3d;
    private final Map<String, Integer> used = new HashMap<>();
    private int outputs;

    Namer(String toolAction) {
      this.model3d = toolAction.equals("model3d.generate");
    }

    Name next(String mimeType) {
      String ext = MediaTypes.extension(mimeType);
      if (model3d && (mimeType.startsWith("model/") || MediaTypes.isImage(mimeType))) {
        boolean preview = MediaTypes.isImage(mimeType);
        String base = preview ? "preview" : "model";
        int n = used.merge(base + "." + ext, 1, Integer::sum) - 1;
        return new Name(base + (n == 0 ? "" : "-" + n) + "." + ext, preview);
      }
      return new Name("output-" + outputs++ + "." + ext, false);
    }
  }

  private static Object walk(Object node, java.util.function.UnaryOperator<String> file) {
    if (node instanceof String s) return isFile(s) ? file.apply(s) : s;
    if (node instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(v -> out.add(walk(v, file)));
      return out;
    }
    if (node instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      o.forEach(e -> out.put(e.getKey(), walk(e.getValue(), file)));
      return out;
    }
    return node;
  }
}
