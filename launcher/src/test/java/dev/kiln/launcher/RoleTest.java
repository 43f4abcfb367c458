package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The started-up roles print in one fixed order (issue 14: they came out in a random order). */
class RoleTest {
  @Test
  void theBannerNamesTheRolesInTheirDeclaredOrder() {
    assertEquals("Kiln is up: roles [HTTP, DISPATCHER, WORKER]", Main.upLine(Main.ALL_ROLES, false));
    assertEquals("Kiln is up: roles [HTTP, WORKER], clustered", Main.upLine(Role.parse("worker, http"), true));
    // However the set was made, the line is the same.
    assertEquals("Kiln is up: roles [HTTP, DISPATCHER, WORKER]",
        Main.upLine(new LinkedHashSet<>(List.of(Role.WORKER, Role.HTTP, Role.DISPATCHER)), false));
  }
}
