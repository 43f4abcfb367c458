package dev.kiln.worker.providers;

import dev.kiln.common.config.ConfigException;
import dev.kiln.task.ToolAction;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The file {@code KILN_PROVIDERS} names: the inference servers this worker drives and which
 * action each serves, with the workflow it runs. Read once at start-up and checked whole, so a
 * typo stops the worker with one line that says where, not at the first task:
 * <pre>{@code
 * {"providers": {"comfy-a": {"type": "comfyui", "url": "http://127.0.0.1:8188", "slots": 1}},
 *  "actions":   {"image.generate": {"provider": "comfy-a", "workflow": "workflows/txt2img.json",
 *                                   "defaults": {"seed": 0}, "min_vram_mb": 8000}}}
 * }</pre>
 * Relative workflow paths resolve against the file's folder.
 */
public record ProvidersFile(Path file, Map<String, ProviderSpec> providers, Map<String, ActionSpec> actions) {
  public static final String VARIABLE = "KILN_PROVIDERS";
  /** The provider types Kiln drives. */
  public static final Set<String> TYPES = Set.of("comfyui", "http");
  static final String NAME = "[a-z][a-z0-9-]{0,31}";
  static final int MAX_SLOTS = 64;

  private static final Set<String> PROVIDER_KEYS = Set.of("type", "url", "slots", "timeout_ms");
  private static final Set<String> ACTION_KEYS = Set.of("provider", "workflow", "defaults", "min_vram_mb");

  /**
   * One inference server. {@code requestTimeoutMs}: how long one HTTP call to it may take before
   * the server counts as not answering (retryable), not how long a job may run.
   */
  public record ProviderSpec(String name, String type, URI url, int slots, long requestTimeoutMs) {}

  /**
   * One action as a provider serves it: its workflow (comfyui; null for http), values for
   * optional fields its placeholders name, and the GPU memory it needs (null: any GPU, or none).
   */
  public record ActionSpec(String toolAction, String provider, Workflow workflow, JsonObject defaults, Integer minVramMb) {}

  public static final long DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

  /** Reads and checks the file; a problem is a {@link ConfigException} naming the file and the place. */
  public static ProvidersFile load(Path file) {
    JsonObject root = readJson(file, file);
    Path dir = file.toAbsolutePath().getParent();
    unknownKeys(file, "", root, Set.of("providers", "actions"));
    JsonObject ps = object(file, root, "providers");
    if (ps.isEmpty()) throw fail(file, "providers: names no provider");
    Map<String, ProviderSpec> providers = new LinkedHashMap<>();
    for (String name : ps.fieldNames()) providers.put(name, provider(file, name, ps.getValue(name)));
    JsonObject as = object(file, root, "actions");
    Map<String, ActionSpec> actions = new LinkedHashMap<>();
    for (String action : as.fieldNames()) actions.put(action, action(file, dir, action, as.getValue(action), providers));
    return new ProvidersFile(file, Collections.unmodifiableMap(providers), Collections.unmodifiableMap(actions));
  }

  /** The actions the provider serves, in the file's order. */
  public List<ActionSpec> actionsOf(String provider) {
    List<ActionSpec> out = new ArrayList<>();
    actions.values().forEach(a -> {
      if (a.provider().equals(provider)) out.add(a);
    });
    return out;
  }

  private static ProviderSpec provider(Path file, String name, Object value) {
    String at = "providers." + name;
    if (!name.matches(NAME)) throw fail(file, at + ": a provider name must match " + NAME);
    if (!(value instanceof JsonObject p)) throw fail(file, at + ": must be an object");
    unknownKeys(file, at, p, PROVIDER_KEYS);
    String type = string(file, p, at, "type");
    if (!TYPES.contains(type)) throw fail(file, at + ".type: '" + type + "' is not one of comfyui, http");
    String url = string(file, p, at, "url");
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw fail(file, at + ".url: '" + url + "' is not a URL");
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
      throw fail(file, at + ".url: '" + url + "' must be an http:// or https:// URL with a host");
    }
    int slots = intIn(file, p, at, "slots", 1, 1, MAX_SLOTS);
    long timeout = intIn(file, p, at, "timeout_ms", (int) DEFAULT_REQUEST_TIMEOUT_MS, 100, 600_000);
    return new ProviderSpec(name, type, uri, slots, timeout);
  }

  private static ActionSpec action(Path file, Path dir, String action, Object value, Map<String, ProviderSpec> providers) {
    String at = "actions." + action;
    ToolAction tool = ToolAction.of(action).orElseThrow(() -> fail(file, at + ": unknown tool_action '" + action + "'"));
    if (!(value instanceof JsonObject a)) throw fail(file, at + ": must be an object");
    unknownKeys(file, at, a, ACTION_KEYS);
    String provider = string(file, a, at, "provider");
    ProviderSpec spec = providers.get(provider);
    if (spec == null) throw fail(file, at + ".provider: no provider named '" + provider + "' (known: " + String.join(", ", providers.keySet()) + ")");
    Object d = a.getValue("defaults");
    if (d != null && !(d instanceof JsonObject)) throw fail(file, at + ".defaults: must be an object");
    JsonObject defaults = d == null ? new JsonObject() : (JsonObject) d;
    for (String f : defaults.fieldNames()) {
      if (!tool.inputFields().contains(f)) throw fail(file, at + ".defaults." + f + ": " + action + " has no input field '" + f + "'");
    }
    Integer vram = a.containsKey("min_vram_mb") ? intIn(file, a, at, "min_vram_mb", 0, 1, 10_000_000) : null;
    Workflow workflow = null;
    if (spec.type().equals("comfyui")) {
      Path wf = dir.resolve(string(file, a, at, "workflow")).normalize();
      workflow = new Workflow(readJson(file, wf), wf.getFileName().toString());
      for (String field : workflow.placeholders()) {
        if (!tool.inputFields().contains(field)) {
          throw fail(file, at + ": workflow " + wf.getFileName() + " has placeholder {{" + field + "}}, which is no input field of " + action);
        }
        if (!tool.requiredFields().contains(field) && !tool.imageFields().contains(field) && !defaults.containsKey(field)
            && !field.equals(Workflow.SEED)) {
          throw fail(file, at + ": workflow " + wf.getFileName() + " has placeholder {{" + field + "}} for an optional field: give it a value in "
              + at + ".defaults");
        }
      }
    } else if (a.containsKey("workflow")) {
      throw fail(file, at + ".workflow: an " + spec.type() + " provider takes the task input as it is, not a workflow");
    }
    return new ActionSpec(action, provider, workflow, defaults, vram);
  }

  private static JsonObject readJson(Path file, Path json) {
    String text;
    try {
      text = Files.readString(json, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw fail(file, (json.equals(file) ? "" : "workflow ") + "cannot read " + json + ": " + e.getMessage());
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw fail(file, (json.equals(file) ? "" : "workflow " + json + ": ") + "not a JSON object: " + firstLine(e.getMessage()));
    }
  }

  private static JsonObject object(Path file, JsonObject o, String key) {
    Object v = o.getValue(key);
    if (!(v instanceof JsonObject j)) throw fail(file, key + ": must be an object");
    return j;
  }

  private static String string(Path file, JsonObject o, String at, String key) {
    Object v = o.getValue(key);
    if (!(v instanceof String s) || s.isBlank()) throw fail(file, at + "." + key + ": must be a non-empty string");
    return s.trim();
  }

  private static int intIn(Path file, JsonObject o, String at, String key, int dflt, int min, int max) {
    Object v = o.getValue(key);
    if (v == null) return dflt;
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw fail(file, at + "." + key + ": must be a whole number in " + min + ".." + max + ", got " + v);
    }
    return ((Number) v).intValue();
  }

  private static void unknownKeys(Path file, String at, JsonObject o, Set<String> known) {
    for (String k : o.fieldNames()) {
      if (!known.contains(k)) throw fail(file, (at.isEmpty() ? "" : at + ".") + k + ": unknown key (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
    }
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  private static ConfigException fail(Path file, String problem) {
    return new ConfigException(VARIABLE, file + ": " + problem);
  }
}
