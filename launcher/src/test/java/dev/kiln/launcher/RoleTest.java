package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.common.config.KilnConfig;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The start-up banner's roles and queues print in one fixed order (issue 14: they came out in a random order). */
class RoleTest {
  @Test
  void theBannerNamesTheRolesInTheirDeclaredOrder() {
    assertEquals("Kiln is up: roles [HTTP, DISPATCHER, WORKER]", Main.upLine(Main.ALL_ROLES, false));
    assertEquals("Kiln is up: roles [HTTP, WORKER], clustered", Main.upLine(Role.parse("worker, http"), true));
    // However the set was made, the line is the same.
    assertEquals("Kiln is up: roles [HTTP, DISPATCHER, WORKER]",
        Main.upLine(new LinkedHashSet<>(List.of(Role.WORKER, Role.HTTP, Role.DISPATCHER)), false));
  }

  @Test
  void aWorkersQueuesKeepTheOrderTheyWereGivenIn() {
    assertEquals("[image, model3d, debug]", KilnConfig.from(Map.of()).workerQueues().toString());
    assertEquals("[model3d, debug, image]", KilnConfig.from(Map.of("KILN_WORKER_QUEUES", "model3d,debug,image")).workerQueues().toString());
  }
}
