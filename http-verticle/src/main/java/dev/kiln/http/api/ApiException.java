package dev.kiln.http.api;

/** A failure the client caused or must hear about, with its HTTP status and stable {@code code}. */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String code;
  private long retryAfterSeconds;

  public ApiException(int status, String code, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** Sent as {@code Retry-After} (seconds) with the problem. */
  public ApiException retryAfter(long seconds) {
    this.retryAfterSeconds = seconds;
    return this;
  }

  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public static ApiException badRequest(String code, String detail) {
    return new ApiException(400, code, detail);
  }

  public static ApiException invalid(String code, String detail) {
    return new ApiException(422, code, detail);
  }

  public static ApiException notFound(String what) {
    return new ApiException(404, "not_found", what + " not found");
  }
}
