package dev.kiln.http.sse;

import dev.kiln.common.redis.Hot;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.auth.Caller;
import dev.kiln.http.auth.SignIn;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cap on SSE streams a tenant holds open ({@code KILN_SSE_MAX_STREAMS_PER_CLIENT},
 * {@code _PER_USER}), over the cap {@code 429 too_many_streams}. Counted in Redis, like the rate
 * limits, so the cap is the tenant's whichever HTTP nodes its streams land on (a count per node
 * would multiply it by the nodes, and refuse by where the balancer sent it). Each stream holds a
 * lease; this verticle renews all of its streams' leases together every {@link #RENEW_MS}, and a
 * stream that ends, or whose client went away, gives its slot back at once. A node that dies
 * stops renewing: its streams' slots lapse within {@link #LEASE_MS}. Admin clients are not capped,
 * nor, as one, the {@code users} client of e-mail sign-in (each of its users is). Redis away:
 * streams open uncapped, and the node's connection bound still holds.
 */
final class StreamSlots {
  /** How long a slot outlives its node's last renewal. */
  static final long LEASE_MS = 60_000;
  /** A third of the lease: two renewals may fail before a live stream's slot lapses. */
  static final long RENEW_MS = LEASE_MS / 3;
  /** A slot frees when one of the tenant's streams ends, which the server cannot foresee. */
  static final long RETRY_AFTER_SECONDS = 5;

  /** A held slot; giving it back twice is harmless. */
  interface Slot {
    void release();
  }

  private static final Slot NONE = () -> {};

  private final Vertx vertx;
  private final Hot hot;
  private final int perClient;
  private final int perUser;
  /** This verticle's open streams (stream id to its keys), renewed together. */
  private final Map<String, List<String>> open = new ConcurrentHashMap<>();

  StreamSlots(Vertx vertx, Hot hot, int perClient, int perUser) {
    this.vertx = vertx;
    this.hot = hot;
    this.perClient = perClient;
    this.perUser = perUser;
  }

  void start() {
    vertx.setPeriodic(RENEW_MS, t -> {
      if (!open.isEmpty()) hot.renewStreams(Map.copyOf(open), LEASE_MS);
    });
  }

  /** A slot for one more of the caller's streams, or a failed future with the 429. */
  Future<Slot> acquire(Caller caller) {
    int clientCap = caller.admin() || SignIn.CLIENT_ID.equals(caller.apiClientId()) ? 0 : perClient;
    int userCap = caller.admin() || caller.userId() == null ? 0 : perUser;
    if (clientCap == 0 && userCap == 0) return Future.succeededFuture(NONE);
    String id = UUID.randomUUID().toString();
    List<String> keys = Hot.streamKeys(caller.apiClientId(), caller.userId());
    List<Integer> caps = caller.userId() == null ? List.of(clientCap) : List.of(clientCap, userCap);
    return hot.openStream(id, keys, caps, LEASE_MS).compose(refused -> {
      if (refused == 0) {
        open.put(id, keys);
        return Future.succeededFuture(() -> {
          if (open.remove(id) != null) hot.closeStream(id, keys);
        });
      }
      String detail = refused == 1
          ? "this client has " + clientCap + " event streams open, the most it may; close one first"
          : "this user has " + userCap + " event streams open, the most they may; close one first";
      return Future.failedFuture(new ApiException(429, "too_many_streams", detail).retryAfter(RETRY_AFTER_SECONDS));
    });
  }
}
