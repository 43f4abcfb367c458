package dev.kiln.worker.providers;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A ComfyUI API-format graph with placeholders: a string value that is exactly {@code "{{name}}"}
 * becomes the task input's field {@code name} with its JSON type ({@code "{{seed}}"} becomes the
 * number), or, for an image field, the name the worker uploaded that image under. Only whole
 * values are placeholders, so a prompt that happens to contain braces is never rewritten.
 */
public final class Workflow {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-z_][a-z0-9_]*)}}");

  private final JsonObject graph;
  private final Set<String> placeholders;
  private final String name;

  public Workflow(JsonObject graph) {
    this(graph, null);
  }

  /** {@code name}: the file it was read from, as a result names the workflow that made it (null: none). */
  public Workflow(JsonObject graph, String name) {
    this.name = name;
    this.graph = graph.copy();
    Set<String> found = new LinkedHashSet<>();
    collect(this.graph, found);
    this.placeholders = java.util.Collections.unmodifiableSet(found); // in the order written: errors name the first
  }

  /** The field names its placeholders name. */
  public Set<String> placeholders() {
    return placeholders;
  }

  /** The file name it was read from, or null. */
  public String name() {
    return name;
  }

  /** The template as written. */
  public JsonObject graph() {
    return graph.copy();
  }

  /** The one optional field that needs no default: a task without a seed gets a random one, not the same image as every other. */
  public static final String SEED = "seed";

  /**
   * The graph with every placeholder replaced: {@code images} (field to uploaded name) first,
   * then the input, then {@code defaults}; an absent {@code seed} becomes a random one (the
   * schema's range). A placeholder none of them has is an {@link IllegalArgumentException}
   * naming the field.
   */
  public JsonObject fill(JsonObject input, JsonObject defaults, Map<String, String> images) {
    long seed = java.util.concurrent.ThreadLocalRandom.current().nextLong(1L << 53);
    return (JsonObject) fill(graph, field -> {
      if (images.containsKey(field)) return images.get(field);
      if (input.containsKey(field)) return input.getValue(field);
      if (defaults != null && defaults.containsKey(field)) return defaults.getValue(field);
      if (field.equals(SEED)) return seed;
      throw new IllegalArgumentException("the workflow needs input." + field + ", which the task does not have");
    });
  }

  private static Object fill(Object node, java.util.function.Function<String, Object> value) {
    if (node instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      o.forEach(e -> out.put(e.getKey(), fill(e.getValue(), value)));
      return out;
    }
    if (node instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(v -> out.add(fill(v, value)));
      return out;
    }
    if (node instanceof String s) {
      Matcher m = PLACEHOLDER.matcher(s);
      if (m.matches()) return value.apply(m.group(1));
    }
    return node;
  }

  private static void collect(Object node, Set<String> out) {
    if (node instanceof JsonObject o) o.forEach(e -> collect(e.getValue(), out));
    else if (node instanceof JsonArray a) a.forEach(v -> collect(v, out));
    else if (node instanceof String s) {
      Matcher m = PLACEHOLDER.matcher(s);
      if (m.matches()) out.add(m.group(1));
    }
  }
}
