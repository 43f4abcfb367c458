package dev.kiln.worker.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.config.KilnConfig;
import dev.kiln.worker.debug.DebugNoop;
import dev.kiln.worker.debug.DebugSleep;
import dev.kiln.worker.demo.DemoBackgroundChange;
import dev.kiln.worker.demo.DemoHeadSwap;
import dev.kiln.worker.demo.DemoHires;
import dev.kiln.worker.demo.DemoImageGenerate;
import dev.kiln.worker.demo.DemoModel3d;
import dev.kiln.worker.demo.DemoPatternExtract;
import dev.kiln.worker.demo.DemoPoseChange;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which provider serves which action, as configuration turns the demo and debug providers on and
 * off (read through {@link KilnConfig}, as the worker reads it), and what the builder refuses.
 */
class ExecutorRegistryTest {
  private static final Map<String, Class<?>> DEMO = Map.of(
      "image.generate", DemoImageGenerate.class,
      "image.hires", DemoHires.class,
      "image.pattern-extract", DemoPatternExtract.class,
      "image.head-swap", DemoHeadSwap.class,
      "image.background-change", DemoBackgroundChange.class,
      "image.pose-change", DemoPoseChange.class,
      "model3d.generate", DemoModel3d.class);
  private static final Map<String, Class<?>> DEBUG = Map.of(
      "debug.noop", DebugNoop.class,
      "debug.sleep", DebugSleep.class);

  private static ExecutorRegistry registry(String demo, String debug) {
    return ExecutorRegistry.fromConfig(KilnConfig.from(Map.of("KILN_DEMO_PROVIDERS", demo, "KILN_DEBUG_EXECUTORS", debug)));
  }

  /** Every action of {@code served} runs its executor class under {@code provider}. */
  private static void assertServes(ExecutorRegistry r, String provider, Map<String, Class<?>> served) {
    served.forEach((action, type) -> {
      assertEquals(Optional.of(provider), r.provider(action), action);
      Executor e = r.executor(action).orElseThrow(() -> new AssertionError("no executor for " + action));
      assertEquals(type, e.getClass(), action);
      assertEquals(action, e.toolAction());
      assertEquals(provider, r.providers().get(action), action);
    });
  }

  private static void assertNotServed(ExecutorRegistry r, Set<String> actions) {
    for (String action : actions) {
      assertEquals(Optional.empty(), r.executor(action), action);
      assertEquals(Optional.empty(), r.provider(action), action);
      assertEquals(Optional.empty(), r.entry(action), action);
      assertTrue(!r.toolActions().contains(action) && !r.providers().containsKey(action), action);
    }
  }

  @Test
  void demoAndDebugOnServeEveryAction() {
    ExecutorRegistry r = registry("true", "true");
    assertServes(r, "demo", DEMO);
    assertServes(r, "debug", DEBUG);
    assertEquals(9, r.toolActions().size(), r.toolActions().toString());
    assertEquals(r.toolActions(), r.providers().keySet());
  }

  @Test
  void debugOffLeavesTheDemoStandIns() {
    ExecutorRegistry r = registry("true", "false");
    assertServes(r, "demo", DEMO);
    assertNotServed(r, DEBUG.keySet());
    assertEquals(DEMO.keySet(), r.toolActions());
  }

  @Test
  void demoOffLeavesTheDebugExecutors() {
    ExecutorRegistry r = registry("false", "true");
    assertServes(r, "debug", DEBUG);
    assertNotServed(r, DEMO.keySet());
    assertEquals(DEBUG.keySet(), r.toolActions());
  }

  @Test
  void bothOffServeNothing() {
    ExecutorRegistry r = registry("false", "false");
    assertNotServed(r, DEMO.keySet());
    assertNotServed(r, DEBUG.keySet());
    assertEquals(Set.of(), r.toolActions());
    assertEquals(Map.of(), r.providers());
  }

  @Test
  void theDefaultsServeBothWithTheEmbeddedDatabaseAndOnlyTheDemoWithARealOne() {
    ExecutorRegistry embedded = ExecutorRegistry.fromConfig(KilnConfig.from(Map.of()));
    assertServes(embedded, "demo", DEMO);
    assertServes(embedded, "debug", DEBUG);
    ExecutorRegistry real = ExecutorRegistry.fromConfig(KilnConfig.from(Map.of("DATABASE_URL", "postgresql://k:k@db:5432/kiln")));
    assertServes(real, "demo", DEMO);
    assertNotServed(real, DEBUG.keySet());
  }

  @Test
  void anActionNoProviderServesIsAbsentNotAnError() {
    ExecutorRegistry r = registry("true", "true");
    assertNotServed(r, Set.of("image.unheard-of", "", "IMAGE.GENERATE"));
  }

  @Test
  void aLaterProviderReplacesAnEarlierOneForItsActionsOnly() {
    Executor model = new Fixed("image.generate");
    ExecutorRegistry r = ExecutorRegistry.builder().add(new Named("demo", demoExecutors())).add(new Named("comfyui", List.of(model))).build();
    assertSame(model, r.executor("image.generate").orElseThrow());
    assertEquals(Optional.of("comfyui"), r.provider("image.generate"));
    Map<String, Class<?>> rest = new LinkedHashMap<>(DEMO);
    rest.remove("image.generate");
    assertServes(r, "demo", rest);
  }

  @Test
  void whatCannotBeMeantIsRefusedAtConstruction() {
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> ExecutorRegistry.builder().add(new Named("http", List.of(new Fixed("image.unheard-of")))));
    assertTrue(unknown.getMessage().contains("http") && unknown.getMessage().contains("image.unheard-of"), unknown.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ExecutorRegistry.builder().add(new Named("http", List.of(new Fixed("image.hires"), new Fixed("image.hires")))));
    assertThrows(IllegalArgumentException.class,
        () -> ExecutorRegistry.builder().add(new Named("demo", List.of())).add(new Named("demo", List.of())));
    for (String bad : new String[] {"", "Demo", "de mo", "-x"}) {
      assertThrows(IllegalArgumentException.class, () -> ExecutorRegistry.builder().add(new Named(bad, List.of())), bad);
    }
  }

  private static List<Executor> demoExecutors() {
    return new dev.kiln.worker.demo.DemoProvider().executors();
  }

  /** A provider of chosen executors under a chosen name. */
  private record Named(String name, List<Executor> executors) implements Provider {}

  /** An executor that completes at once with an empty result. */
  private record Fixed(String toolAction) implements Executor {
    @Override
    public Future<Outcome> run(Attempt attempt) {
      return Future.succeededFuture(Outcome.success(new JsonObject(), new JsonArray()));
    }
  }
}
