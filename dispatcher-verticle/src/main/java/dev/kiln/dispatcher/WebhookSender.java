package dev.kiln.dispatcher;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.config.KilnConfig;
import dev.kiln.task.BatchJson;
import dev.kiln.task.TaskJson;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the webhook outbox (rows written by Postgres when a task or batch with a webhook_url
 * ends): the task or batch JSON as the API shows it, signed with HMAC-SHA256 in {@code X-Kiln-Signature}, retried with jittered
 * exponential backoff up to {@link #MAX_ATTEMPTS}. At least once: a receiver dedupes on
 * {@code X-Kiln-Delivery}. Runs on the leader beside dispatch and never holds it up.
 */
final class WebhookSender {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookSender.class);

  static final int MAX_ATTEMPTS = 10;
  static final int BATCH = 32;
  static final long REQUEST_TIMEOUT_MILLIS = 10_000;
  /** A claimed delivery is due again after this if its sender vanished mid-send. */
  static final int CLAIM_LEASE_SECONDS = 60;
  static final long MAX_BACKOFF_SECONDS = 3_600;

  private static final String CLAIM =
      "UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $3) "
          + "FROM (SELECT id FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt_at <= now() AND attempts < $1 "
          + "ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) due WHERE d.id = due.id "
          + "RETURNING d.id, d.task_id, d.batch_id, d.url, d.event, d.attempts";
  private static final String TASK = "SELECT " + TaskJson.COLUMNS + " FROM tasks WHERE id = $1";
  private static final String BATCH_ROW = "SELECT " + BatchJson.COLUMNS + " FROM task_batches WHERE id = $1";
  private static final String DELIVERED = "UPDATE webhook_deliveries SET delivered_at = now(), last_status = $2, last_error = NULL WHERE id = $1";
  private static final String FAILED = "UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => $2), "
      + "last_status = $3, last_error = $4 WHERE id = $1";

  private static final String GAVE_UP = "UPDATE webhook_deliveries SET attempts = $2, last_error = $3 WHERE id = $1";

  private final Vertx vertx;
  private final Pool pool;
  private final WebClient client;
  private final String secret;
  private final boolean privateAddresses;
  private final AssetUrls urls;
  private boolean busy;

  /** A receiver inside the cluster's own networks, and they are not allowed: never sent, never retried. */
  private static final class PrivateAddress extends RuntimeException {
    PrivateAddress(String host) {
      super("refused: " + host + " is a loopback, private or link-local address (KILN_WEBHOOK_PRIVATE_ADDRESSES)", null, false, false);
    }
  }

  WebhookSender(Vertx vertx, Pool pool, KilnConfig config, AssetUrls urls) {
    this.vertx = vertx;
    this.pool = pool;
    this.secret = config.webhookSecret();
    this.privateAddresses = config.webhookPrivateAddresses();
    this.urls = urls;
    this.client = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(5_000).setIdleTimeout(30)
        .setUserAgent("kiln-webhooks").setFollowRedirects(false).setForceSni(true));
  }

  void close() {
    client.close();
  }

  /** One round: claim what is due and send it; rounds do not overlap. */
  void sendDue() {
    if (busy) return;
    busy = true;
    pool.preparedQuery(CLAIM).execute(Tuple.of(MAX_ATTEMPTS, BATCH, CLAIM_LEASE_SECONDS)).compose(rows -> {
      List<Future<Void>> sends = new ArrayList<>();
      for (Row r : rows) sends.add(send(r));
      return Future.join(sends);
    }).onComplete(ar -> busy = false);
  }

  private Future<Void> send(Row d) {
    long id = d.getLong("id");
    int attempts = d.getInteger("attempts");
    // A delivery announces a task or a batch: the body carries it under its own name.
    boolean batch = d.getUUID("batch_id") != null;
    String subject = batch ? "batch" : "task";
    String event = subject + "." + d.getString("event");
    String url = d.getString("url");
    URI target = URI.create(url);
    Future<InetAddress> address = receiver(target.getHost());
    return address.compose(a -> pool.preparedQuery(batch ? BATCH_ROW : TASK)
        .execute(Tuple.of(batch ? d.getUUID("batch_id") : d.getUUID("task_id")))).compose(rows -> {
      Row row = rows.iterator().next();
      JsonObject body = new JsonObject().put("event", event).put("delivery_id", id)
          .put(subject, batch ? BatchJson.of(row) : urls.present(TaskJson.of(row)));
      Buffer payload = body.toBuffer();
      var request = request(target, address.result()).timeout(REQUEST_TIMEOUT_MILLIS)
          .putHeader("Content-Type", "application/json")
          .putHeader("X-Kiln-Delivery", String.valueOf(id))
          .putHeader("X-Kiln-Event", event);
      if (secret != null) request.putHeader("X-Kiln-Signature", "sha256=" + hmac(payload));
      return request.sendBuffer(payload);
    }).transform(ar -> {
      if (ar.failed() && ar.cause() instanceof PrivateAddress refused) {
        LOG.warn("webhook delivery {} to {}: {}", id, url, refused.getMessage());
        return pool.preparedQuery(GAVE_UP).execute(Tuple.of(id, MAX_ATTEMPTS, refused.getMessage())).mapEmpty();
      }
      int status = ar.succeeded() ? ar.result().statusCode() : 0;
      if (status >= 200 && status < 300) return pool.preparedQuery(DELIVERED).execute(Tuple.of(id, status)).mapEmpty();
      String error = ar.succeeded() ? "answered " + status : String.valueOf(ar.cause().getMessage());
      long backoff = Math.min(MAX_BACKOFF_SECONDS, 1L << Math.min(20, attempts - 1));
      double wait = backoff / 2.0 + ThreadLocalRandom.current().nextDouble() * backoff / 2.0;
      if (attempts >= MAX_ATTEMPTS) LOG.warn("webhook delivery {} gave up after {} attempts: {}", id, attempts, error);
      return pool.preparedQuery(FAILED).execute(Tuple.of(id, wait, status == 0 ? null : status, error)).mapEmpty();
    }).recover(e -> {
      LOG.debug("webhook delivery {}: {}", id, e.getMessage());
      return Future.succeededFuture();
    }).mapEmpty();
  }

  /**
   * The address a receiver's name resolves to, checked: unless allowed, a loopback, private,
   * link-local, wildcard or multicast one is refused, so a task cannot make Kiln call into its
   * own network. The request then goes to this very address (the name stays the Host header and
   * the TLS server name), so a name that answers differently a moment later cannot slip past.
   */
  private Future<InetAddress> receiver(String host) {
    return vertx.executeBlocking(() -> {
      InetAddress[] all = InetAddress.getAllByName(host);
      if (!privateAddresses) {
        for (InetAddress a : all) if (internal(a)) throw new PrivateAddress(host);
      }
      return all[0];
    }, false);
  }

  private static boolean internal(InetAddress a) {
    byte[] b = a.getAddress();
    boolean sharedNat = b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64; // 100.64.0.0/10
    boolean uniqueLocal = a instanceof Inet6Address && (b[0] & 0xfe) == 0xfc; // fc00::/7
    return a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()
        || a.isMulticastAddress() || sharedNat || uniqueLocal;
  }

  /** A POST to the URL's path on the checked address, named as the URL names it. */
  private HttpRequest<Buffer> request(URI target, InetAddress address) {
    boolean tls = "https".equals(target.getScheme());
    int port = target.getPort() != -1 ? target.getPort() : tls ? 443 : 80;
    String path = (target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath())
        + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
    return client.request(HttpMethod.POST, SocketAddress.inetSocketAddress(new InetSocketAddress(address, port)), port,
        target.getHost(), path).ssl(tls);
  }

  private String hmac(Buffer payload) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(payload.getBytes()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
