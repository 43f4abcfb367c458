package dev.kiln.common.config;

import java.util.Map;

/**
 * How long an HTTP node waits for a client, and how much one client or one node may hold open:
 * the bounds that keep clients which hold a connection without using it (slowloris) or hoard
 * streams from using up a node.
 */
public record HttpLimits(
    int idleTimeoutMs,        // a connection with nothing read or written this long is closed; 0: never
    int headerTimeoutMs,      // a request line and headers must be complete this long after their first byte (on a new connection: after it opened); 0: no limit
    int bodyTimeoutMs,        // a request body must be complete this long after its headers, else 408 request_timeout; 0: no limit
    int maxConnections,       // open HTTP connections per node; one more is closed at once; 0: no bound
    int sseStreamsPerClient,  // SSE streams one API client holds open at once, over all HTTP nodes; 0: no cap
    int sseStreamsPerUser) {  // the same per end user; 0: no cap

  /** Four SSE heartbeats (15 s) fit in it, so only a silent or vanished peer is cut. */
  public static final int DEFAULT_IDLE_TIMEOUT_MS = 60_000;
  /** Headers are a few hundred bytes: a client that needs longer is not sending them. */
  public static final int DEFAULT_HEADER_TIMEOUT_MS = 10_000;
  /** The largest upload (KILN_UPLOAD_LIMIT's 10 MiB default) at about 1.4 Mbit/s. */
  public static final int DEFAULT_BODY_TIMEOUT_MS = 60_000;
  /** About what a node's heap and file descriptors carry with room to spare (10,000 SSE streams measured at ~350 MiB). */
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  /** A backend that follows each of its running tasks' streams, with room; one that relays many end users' streams needs more. */
  public static final int DEFAULT_SSE_STREAMS_PER_CLIENT = 200;
  /** A person's browser tabs. */
  public static final int DEFAULT_SSE_STREAMS_PER_USER = 10;
  /** Shorter is not a timeout a client can meet; longer than a day is none. */
  static final int MIN_TIMEOUT_MS = 100;
  static final int MAX_TIMEOUT_MS = 24 * 3_600_000;

  static HttpLimits from(Map<String, String> env) {
    return new HttpLimits(
        timeout(env, "KILN_HTTP_IDLE_TIMEOUT_MS", DEFAULT_IDLE_TIMEOUT_MS),
        timeout(env, "KILN_HTTP_HEADER_TIMEOUT_MS", DEFAULT_HEADER_TIMEOUT_MS),
        timeout(env, "KILN_HTTP_BODY_TIMEOUT_MS", DEFAULT_BODY_TIMEOUT_MS),
        KilnConfig.intIn(env, "KILN_HTTP_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, 0, 10_000_000),
        KilnConfig.intIn(env, "KILN_SSE_MAX_STREAMS_PER_CLIENT", DEFAULT_SSE_STREAMS_PER_CLIENT, 0, 10_000_000),
        KilnConfig.intIn(env, "KILN_SSE_MAX_STREAMS_PER_USER", DEFAULT_SSE_STREAMS_PER_USER, 0, 10_000_000));
  }

  /** Milliseconds, 0 for none. */
  private static int timeout(Map<String, String> env, String name, int dflt) {
    int ms = KilnConfig.intIn(env, name, dflt, 0, MAX_TIMEOUT_MS);
    if (ms != 0 && ms < MIN_TIMEOUT_MS) {
      throw new ConfigException(name, "must be 0 (none) or at least " + MIN_TIMEOUT_MS + " ms, got " + ms);
    }
    return ms;
  }
}
