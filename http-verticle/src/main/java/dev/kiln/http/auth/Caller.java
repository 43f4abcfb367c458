package dev.kiln.http.auth;

import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/** Who is asking: an API client, and the end user it acts for (null when none). */
public record Caller(String clientId, String role, String userId) {
  public static final String CONTEXT_KEY = "kiln.caller";

  public boolean admin() {
    return "admin".equals(role);
  }

  /** The client whose rows this caller sees: null (all) for an admin. */
  public String scopeClientId() {
    return admin() ? null : clientId;
  }

  /** The tenant (tasks.tenant): the client, or one end user of it. Idempotency-Keys are per tenant. */
  public String tenant() {
    return clientId + "/" + (userId == null ? "" : userId);
  }

  /** ($1 id, $2 client or null, $3 user or null): the parameters of every "owned" lookup. */
  public Tuple owned(UUID id) {
    return Tuple.of(id, scopeClientId(), userId);
  }
}
