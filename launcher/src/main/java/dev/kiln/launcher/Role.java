package dev.kiln.launcher;

import java.util.EnumSet;
import java.util.Set;

/** The roles one Kiln process can run, in any mix. */
public enum Role {
  HTTP, DISPATCHER, WORKER;

  public static Set<Role> parse(String csv) {
    EnumSet<Role> roles = EnumSet.noneOf(Role.class);
    for (String s : csv.split(",")) {
      String n = s.trim();
      if (n.isEmpty()) continue;
      try {
        roles.add(valueOf(n.toUpperCase()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--roles: unknown role '" + n + "' (roles: http, dispatcher, worker)");
      }
    }
    if (roles.isEmpty()) throw new IllegalArgumentException("--roles: name at least one of http, dispatcher, worker");
    return roles;
  }

  /** Roles that read and write Postgres and Redis (a worker needs neither). */
  public static boolean needsStores(Set<Role> roles) {
    return roles.contains(HTTP) || roles.contains(DISPATCHER);
  }
}
