package dev.kiln.worker.executor;

import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.KilnConfig;
import dev.kiln.task.ToolAction;
import dev.kiln.worker.debug.DebugProvider;
import dev.kiln.worker.demo.DemoProvider;
import dev.kiln.worker.providers.ProviderTypes;
import dev.kiln.worker.providers.ProvidersFile;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which executor runs each {@code tool_action} on this worker, and which provider it belongs to.
 * Built once from configuration and checked there (an unknown action, a provider serving one
 * action twice, two providers of one name fail at start-up, not at the first task). An action
 * missing here is one this worker cannot run: its attempts fail with {@code no_executor}.
 */
public final class ExecutorRegistry {
  /** A provider name: lower-case letters, digits and '-'. */
  private static final String NAME = "[a-z][a-z0-9-]{0,31}";

  /**
   * One {@code tool_action} as this worker serves it: by which provider, and the GPU memory it
   * needs ({@code min_vram_mb} of the providers file; null: any).
   */
  public record Entry(String toolAction, Provider source, Executor executor, Integer minVramMb) {
    /** The provider's name, as heartbeats and reports give it. */
    public String provider() {
      return source.name();
    }
  }

  private final Map<String, Entry> entries;

  private ExecutorRegistry(Map<String, Entry> entries) {
    this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
  }

  /**
   * The providers configuration turns on: the demo stand-ins ({@code KILN_DEMO_PROVIDERS}), the
   * debug executors ({@code KILN_DEBUG_EXECUTORS}), then each server of the providers file
   * ({@code KILN_PROVIDERS}), last, so it replaces a stand-in for the actions it serves. A
   * provider of the file that serves no action is refused: it would hold slots for nothing.
   */
  public static ExecutorRegistry fromConfig(KilnConfig config, Vertx vertx) {
    Builder b = builder();
    if (config.demoProviders()) b.add(new DemoProvider());
    if (config.debugExecutors()) b.add(new DebugProvider());
    Path file = config.workerHost().providersFile();
    if (file != null) {
      ProvidersFile providers = ProvidersFile.load(file);
      for (ProvidersFile.ProviderSpec spec : providers.providers().values()) {
        List<ProvidersFile.ActionSpec> actions = providers.actionsOf(spec.name());
        if (actions.isEmpty()) {
          throw new ConfigException(ProvidersFile.VARIABLE, file + ": providers." + spec.name() + ": serves no action");
        }
        Map<String, Integer> vram = new LinkedHashMap<>();
        actions.forEach(a -> vram.put(a.toolAction(), a.minVramMb()));
        b.add(ProviderTypes.create(spec, actions, vertx), vram);
      }
    }
    return b.build();
  }

  /** The stand-ins and debug executors alone: a providers file needs a Vert.x for its clients. */
  public static ExecutorRegistry fromConfig(KilnConfig config) {
    if (config.workerHost().providersFile() != null) throw new IllegalArgumentException("a providers file needs fromConfig(config, vertx)");
    return fromConfig(config, null);
  }

  /** For a registry of chosen providers: tests, and {@link #fromConfig}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The executor that runs this action here, if any. */
  public Optional<Executor> executor(String toolAction) {
    return entry(toolAction).map(Entry::executor);
  }

  /** The name of the provider that serves this action here, if any. */
  public Optional<String> provider(String toolAction) {
    return entry(toolAction).map(Entry::provider);
  }

  /** The executor and its provider's name together, as the worker needs both for one attempt. */
  public Optional<Entry> entry(String toolAction) {
    return Optional.ofNullable(entries.get(toolAction));
  }

  /** The actions this worker can run, as its heartbeat's {@code tool_actions}. */
  public Set<String> toolActions() {
    return entries.keySet();
  }

  /** The distinct providers, in the order they were added (each once). */
  public Set<Provider> sources() {
    Set<Provider> out = new LinkedHashSet<>();
    entries.values().forEach(e -> out.add(e.source()));
    return out;
  }

  /** Each action's provider name, as the heartbeat's {@code providers}. */
  public Map<String, String> providers() {
    Map<String, String> out = new LinkedHashMap<>();
    entries.values().forEach(e -> out.put(e.toolAction(), e.provider()));
    return Collections.unmodifiableMap(out);
  }

  /** The GPU memory each action that needs some needs here, as the heartbeat's {@code min_vram_mb}. */
  public Map<String, Integer> minVramMb() {
    Map<String, Integer> out = new LinkedHashMap<>();
    entries.values().forEach(e -> {
      if (e.minVramMb() != null) out.put(e.toolAction(), e.minVramMb());
    });
    return Collections.unmodifiableMap(out);
  }

  /**
   * Collects providers in order of precedence, the most general first: a provider added later
   * replaces an earlier one for each action it serves (a configured model over a stand-in).
   */
  public static final class Builder {
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Set<String> names = new HashSet<>();

    private Builder() {}

    /** Adds the provider's executors; refuses what cannot be meant, naming the provider. */
    public Builder add(Provider provider) {
      return add(provider, Map.of());
    }

    /** As {@link #add(Provider)}, with the GPU memory each of its actions needs (absent: any). */
    public Builder add(Provider provider, Map<String, Integer> minVramMb) {
      String name = provider.name();
      if (name == null || !name.matches(NAME)) throw new IllegalArgumentException("provider name '" + name + "' must match " + NAME);
      if (!names.add(name)) throw new IllegalArgumentException("two providers are named '" + name + "'");
      Set<String> mine = new HashSet<>();
      for (Executor e : provider.executors()) {
        String action = e.toolAction();
        if (ToolAction.of(action).isEmpty()) {
          throw new IllegalArgumentException("provider " + name + " serves unknown tool_action '" + action + "'");
        }
        if (!mine.add(action)) throw new IllegalArgumentException("provider " + name + " serves " + action + " twice");
        entries.put(action, new Entry(action, provider, e, minVramMb.get(action)));
      }
      return this;
    }

    public ExecutorRegistry build() {
      return new ExecutorRegistry(entries);
    }
  }
}
