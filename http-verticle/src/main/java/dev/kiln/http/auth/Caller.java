package dev.kiln.http.auth;

/** Who is asking: an API client, and the end user it acts for (null when none). */
public record Caller(String clientId, String role, String userId) {
  public static final String CONTEXT_KEY = "kiln.caller";

  public boolean admin() {
    return "admin".equals(role);
  }
}
