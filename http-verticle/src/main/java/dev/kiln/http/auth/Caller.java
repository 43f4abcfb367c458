package dev.kiln.http.auth;

import dev.kiln.task.store.Scope;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/** Who is asking: an API client, and the end user it acts for (null when none). */
public record Caller(String apiClientId, String role, String userId) {
  public static final String CONTEXT_KEY = "kiln.caller";

  public boolean admin() {
    return "admin".equals(role);
  }

  /** Whose rows this caller sees: everyone's for an admin, else its client's, and its end user's only when it acts for one. */
  public Scope scope() {
    return new Scope(admin() ? null : apiClientId, userId);
  }

  /** The tenant (tasks.tenant): the client, or one end user of it. Idempotency-Keys are per tenant. */
  public String tenant() {
    return apiClientId + "/" + (userId == null ? "" : userId);
  }

  /** ($1 id, $2 client or null, $3 user or null): the parameters of an "owned" lookup outside the task core (uploads). */
  public Tuple owned(UUID id) {
    return Tuple.of(id, scope().apiClientId(), userId);
  }
}
