package dev.kiln.worker.demo;

import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Provider;
import java.util.List;

/**
 * The {@code demo} provider: CPU stand-ins for every image and 3D action, so the whole flow runs
 * without a GPU or a model. Each says in its result that it is a stand-in. Off with
 * {@code KILN_DEMO_PROVIDERS=false}.
 */
public final class DemoProvider implements Provider {
  public static final String NAME = "demo";

  private final List<Executor> executors = List.of(new DemoImageGenerate(), new DemoHires(), new DemoPatternExtract(),
      new DemoHeadSwap(), new DemoBackgroundChange(), new DemoPoseChange(), new DemoModel3d());

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Executor> executors() {
    return executors;
  }
}
