package dev.kiln.dispatcher;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.db.Db;
import dev.kiln.common.redis.Hot;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatcher role. Every dispatcher node runs one; the one holding the Postgres lead runs a
 * {@link Leader}, the others stand by and take over when the lead's session dies.
 */
public final class DispatcherVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(DispatcherVerticle.class);

  private final KilnConfig config;
  private final String nodeId = "d-" + UUID.randomUUID().toString().substring(0, 8);
  private Leadership leadership;

  public DispatcherVerticle(KilnConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    Pool pool = Db.pool(vertx, config.databaseUrl());
    Hot hot = new Hot(vertx, config.redisUrl());
    AssetUrls urls = AssetUrls.of(config);
    leadership = new Leadership(vertx, Db.connectOptions(config.databaseUrl()), () ->
        pool.preparedQuery(DispatchQueries.TAKE_LEAD).execute(Tuple.of(nodeId)).compose(rows -> {
          long epoch = rows.iterator().next().getLong("epoch");
          Leader leader = new Leader(vertx, pool, hot, epoch, new WebhookSender(vertx, pool, config, urls));
          LOG.info("Dispatcher {} takes the lead (epoch {})", nodeId, epoch);
          return leader.start().map(x -> (Runnable) leader::stop).onFailure(e -> leader.stop());
        }));
    leadership.start();
    LOG.info("Dispatcher {} started; leading or standing by", nodeId);
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return leadership.close();
  }
}
