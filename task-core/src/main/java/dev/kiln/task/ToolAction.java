package dev.kiln.task;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A {@code tool_action}: which queue it runs on and the JSON schema its {@code input} must meet.
 * The schemas live in {@code schemas/<tool_action>.json} on the classpath; {@code inputFields} are
 * its properties and {@code requiredFields} those it requires.
 */
public record ToolAction(String name, String queue, boolean debug, Validator validator, List<String> imageFields,
                         Set<String> inputFields, Set<String> requiredFields, JsonObject schema) {
  /** Input fields that name an image (an uploaded file or an asset): they become {@code input} assets. */
  public static final List<String> IMAGE_FIELDS = List.of("source_image", "reference_image");

  private static final Map<String, ToolAction> ALL = new LinkedHashMap<>();

  static {
    register("debug.noop", "debug", true);
    register("debug.sleep", "debug", true);
    register("image.generate", "image", false);
    register("image.hires", "image", false);
    register("image.pattern-extract", "image", false);
    register("image.head-swap", "image", false);
    register("image.background-change", "image", false);
    register("image.pose-change", "image", false);
    register("model3d.generate", "model3d", false);
  }

  private static void register(String name, String queue, boolean debug) {
    JsonObject schema = new JsonObject(resource("schemas/" + name + ".json"));
    // a copy: JsonSchema.of annotates the object it is given (__absolute_uri__), and schema is served as it is
    Validator validator = Validator.create(JsonSchema.of(schema.copy()),
        new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setOutputFormat(OutputFormat.Basic).setBaseUri("https://kiln.dev/schemas/"));
    JsonObject props = schema.getJsonObject("properties", new JsonObject());
    Set<String> required = new LinkedHashSet<>();
    schema.getJsonArray("required", new JsonArray()).forEach(f -> required.add((String) f));
    ALL.put(name, new ToolAction(name, queue, debug, validator, IMAGE_FIELDS.stream().filter(props::containsKey).toList(),
        Set.copyOf(props.fieldNames()), Set.copyOf(required), schema));
  }

  /** The actions that run on {@code queue}, in the order they were registered. */
  public static List<String> ofQueue(String queue) {
    return ALL.values().stream().filter(a -> a.queue().equals(queue)).map(ToolAction::name).toList();
  }

  /** Every action, in the order they were registered. */
  public static List<ToolAction> all() {
    return List.copyOf(ALL.values());
  }

  public static Optional<ToolAction> of(String name) {
    return Optional.ofNullable(ALL.get(name));
  }

  /** Empty when the input is valid; else the most specific problem, as "input.field: what". */
  public Optional<String> check(JsonObject input) {
    OutputUnit out = validator.validate(input);
    if (Boolean.TRUE.equals(out.getValid())) return Optional.empty();
    OutputUnit worst = out;
    if (out.getErrors() != null) {
      for (OutputUnit e : out.getErrors()) {
        if (worst == out || depth(e) > depth(worst)) worst = e;
      }
    }
    String at = worst.getInstanceLocation() == null ? "" : worst.getInstanceLocation().replaceFirst("^#", "");
    return Optional.of("input" + at.replace('/', '.') + ": " + worst.getError());
  }

  private static int depth(OutputUnit u) {
    return u.getKeywordLocation() == null ? 0 : u.getKeywordLocation().length();
  }

  private static String resource(String path) {
    try (InputStream in = ToolAction.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) throw new IllegalStateException("missing schema resource " + path);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
