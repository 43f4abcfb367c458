package dev.kiln.dispatcher;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.config.KilnConfig;
import dev.kiln.task.Backoff;
import dev.kiln.task.store.BatchReads;
import dev.kiln.task.store.GenerationRequests;
import dev.kiln.task.store.Scope;
import dev.kiln.task.store.TaskReads;
import dev.kiln.task.store.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Row;
import java.time.Duration;
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
 * Sends the webhook outbox (rows the task core writes in the transaction that ends a task or
 * batch with a webhook_url): the task or batch JSON as the API shows it, signed with HMAC-SHA256
 * in {@code X-Kiln-Signature}, retried with jittered exponential backoff up to
 * {@link Config#maxAttempts}. At least once: a receiver dedupes on {@code X-Kiln-Delivery}. Runs
 * on the leader beside dispatch and never holds it up.
 */
final class WebhookSender implements LeaderService {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookSender.class);

  static final int DEFAULT_MAX_ATTEMPTS = 10;
  static final int DEFAULT_BATCH = 32;
  static final long DEFAULT_INTERVAL_MS = 1_000;
  static final long DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
  static final int DEFAULT_CLAIM_LEASE_SECONDS = 60;
  /** Delivery n waits min(1 h, 1 s·2^(n−1)), jittered: the one backoff shape of Kiln (task retries too). */
  static final Backoff DEFAULT_BACKOFF = new Backoff(1_000, 3_600_000);

  /**
   * @param intervalMs how often due deliveries are looked for
   * @param maxAttempts attempts per delivery, then it is given up
   * @param batch deliveries claimed per look
   * @param requestTimeoutMs a receiver has this long to answer
   * @param claimLeaseSeconds a claimed delivery is due again after this if its sender vanished mid-send
   * @param backoff the wait before each next attempt
   * @param secret the HMAC-SHA256 key of {@code X-Kiln-Signature} (null: unsigned)
   * @param privateAddresses whether receivers at special-purpose addresses (loopback, private, link-local...) are allowed
   */
  record Config(long intervalMs, int maxAttempts, int batch, long requestTimeoutMs, int claimLeaseSeconds, Backoff backoff,
                String secret, boolean privateAddresses) {
    Config {
      if (intervalMs <= 0 || maxAttempts < 1 || batch < 1 || requestTimeoutMs <= 0 || claimLeaseSeconds <= 0) {
        throw new IllegalArgumentException("bad webhook sender config");
      }
    }

    static Config of(KilnConfig kiln) {
      return new Config(DEFAULT_INTERVAL_MS, DEFAULT_MAX_ATTEMPTS, DEFAULT_BATCH, DEFAULT_REQUEST_TIMEOUT_MS,
          DEFAULT_CLAIM_LEASE_SECONDS, DEFAULT_BACKOFF, kiln.webhookSecret(), kiln.webhookPrivateAddresses());
    }
  }

  private final Vertx vertx;
  private final Config config;
  private final WebhookOutbox outbox;
  private final TaskReads tasks;
  private final BatchReads batches;
  private final GenerationRequests requests;
  private final WebClient client;
  private final AssetUrls urls;
  private final Ticker<Void> ticker;

  /** A receiver at a special-purpose address, and they are not allowed: never sent, never retried. */
  private static final class PrivateAddress extends RuntimeException {
    PrivateAddress(String host, InetAddress address, String why) {
      super("refused: " + host + " is " + address.getHostAddress() + ", " + why
          + ", not a public address (private receivers need KILN_WEBHOOK_PRIVATE_ADDRESSES)", null, false, false);
    }
  }

  WebhookSender(Vertx vertx, Config config, WebhookOutbox outbox, TaskReads tasks, BatchReads batches, GenerationRequests requests,
                AssetUrls urls) {
    this.vertx = vertx;
    this.config = config;
    this.outbox = outbox;
    this.tasks = tasks;
    this.batches = batches;
    this.requests = requests;
    this.urls = urls;
    this.client = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(5_000).setIdleTimeout(30)
        .setUserAgent("kiln-webhooks").setFollowRedirects(false).setForceSni(true));
    this.ticker = new Ticker<>(vertx, config.intervalMs(), this::sendDue, LOG, "webhooks");
  }

  @Override
  public Future<Void> start() {
    return ticker.start();
  }

  @Override
  public void stop() {
    ticker.stop();
    client.close();
  }

  /** One round: claim what is due and send it (the ticker never runs two at once). */
  Future<Void> sendDue() {
    return outbox.claimDue(config.maxAttempts(), config.batch(), config.claimLeaseSeconds()).compose(rows -> {
      List<Future<Void>> sends = new ArrayList<>();
      for (Row r : rows) sends.add(send(r));
      return Future.join(sends).mapEmpty();
    });
  }

  private Future<Void> send(Row d) {
    long id = d.getLong("id");
    int attempts = d.getInteger("attempts");
    // A delivery announces a task, a batch or a generation request: the body carries it under its own name.
    boolean batch = d.getUUID("batch_id") != null;
    boolean generation = d.getUUID("request_id") != null;
    String subject = batch ? "batch" : generation ? "request" : "task";
    String event = subject + "." + d.getString("event");
    String url = d.getString("url");
    URI target = URI.create(url);
    Future<InetAddress> address = receiver(target.getHost());
    Future<JsonObject> about = address.compose(a -> batch
        ? batches.get(Scope.ALL, d.getUUID("batch_id"))
        : generation ? requests.get(Scope.ALL, d.getUUID("request_id")).map(r -> r == null ? null : urls.presentRequest(r))
        : tasks.get(Scope.ALL, d.getUUID("task_id")).map(t -> t == null ? null : urls.present(t)));
    return about.compose(subjectJson -> {
      if (subjectJson == null) return Future.failedFuture(new IllegalStateException(subject + " is gone"));
      JsonObject body = new JsonObject().put("event", event).put("delivery_id", id).put(subject, subjectJson);
      Buffer payload = body.toBuffer();
      var request = request(target, address.result()).timeout(config.requestTimeoutMs())
          .putHeader("Content-Type", "application/json")
          .putHeader("X-Kiln-Delivery", String.valueOf(id))
          .putHeader("X-Kiln-Event", event);
      if (config.secret() != null) request.putHeader("X-Kiln-Signature", "sha256=" + hmac(payload));
      return request.sendBuffer(payload);
    }).transform(ar -> {
      if (ar.failed() && ar.cause() instanceof PrivateAddress refused) {
        LOG.warn("webhook delivery {} to {}: {}", id, url, refused.getMessage());
        return outbox.gaveUp(id, config.maxAttempts(), refused.getMessage());
      }
      int status = ar.succeeded() ? ar.result().statusCode() : 0;
      if (status >= 200 && status < 300) return outbox.delivered(id, status);
      String error = ar.succeeded() ? "answered " + status : String.valueOf(ar.cause().getMessage());
      Duration wait = Duration.ofMillis(config.backoff().delayMs(attempts, ThreadLocalRandom.current().nextDouble()));
      if (attempts >= config.maxAttempts()) LOG.warn("webhook delivery {} gave up after {} attempts: {}", id, attempts, error);
      return outbox.failed(id, wait, status == 0 ? null : status, error);
    }).recover(e -> {
      LOG.debug("webhook delivery {}: {}", id, e.getMessage());
      return Future.succeededFuture();
    }).mapEmpty();
  }

  /**
   * The address a receiver's name resolves to, checked: unless allowed, one in a special-purpose
   * range ({@link ReceiverAddresses}: loopback, private, link-local, multicast, an IPv6 form of
   * one...) is refused, so a task cannot make Kiln call into its own network. The request then goes to this very address (the name stays the Host header and
   * the TLS server name), so a name that answers differently a moment later cannot slip past.
   */
  private Future<InetAddress> receiver(String host) {
    return vertx.executeBlocking(() -> {
      InetAddress[] all = InetAddress.getAllByName(host);
      if (!config.privateAddresses()) {
        for (InetAddress a : all) {
          String why = ReceiverAddresses.refusal(a);
          if (why != null) throw new PrivateAddress(host, a, why);
        }
      }
      return all[0];
    }, false);
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
      mac.init(new SecretKeySpec(config.secret().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(payload.getBytes()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
