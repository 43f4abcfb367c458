package dev.kiln.task.store;

/**
 * Whose rows a reader may see: one API client's ({@code apiClientId}), or everyone's (null, an
 * admin); within it one end user's ({@code userId}), or all of them (null).
 */
public record Scope(String apiClientId, String userId) {
  public static final Scope ALL = new Scope(null, null);

  /**
   * The SQL condition of a scope on a table alias's owner columns, with the scope as parameters
   * {@code $a} (client) and {@code $b} (user).
   */
  static String sql(String alias, int a, int b) {
    String p = alias.isEmpty() ? "" : alias + ".";
    return "($" + a + "::text IS NULL OR " + p + "api_client_id = $" + a + ") AND ($" + b + "::text IS NULL OR " + p + "user_id = $" + b + ")";
  }
}
