package dev.kiln.http;

import dev.kiln.common.asset.AssetStore;
import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.asset.DirectoryAssetStore;
import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.db.Db;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.common.redis.Hot;
import dev.kiln.http.admin.AdminRoutes;
import dev.kiln.http.admin.ClientAdminRoutes;
import dev.kiln.http.admin.TaskConfigRoutes;
import dev.kiln.http.admin.UsageRoutes;
import dev.kiln.http.api.Problems;
import dev.kiln.http.assets.AssetRoutes;
import dev.kiln.http.assets.FileRoutes;
import dev.kiln.http.auth.ApiKeyAuth;
import dev.kiln.http.auth.RateLimits;
import dev.kiln.http.auth.SignIn;
import dev.kiln.http.auth.StreamTokens;
import dev.kiln.http.batches.BatchRoutes;
import dev.kiln.http.dashboard.DashboardRoutes;
import dev.kiln.http.models.GalleryRoutes;
import dev.kiln.http.models.InteractionRoutes;
import dev.kiln.http.models.ModelRoutes;
import dev.kiln.http.ops.OpsRoutes;
import dev.kiln.http.requests.GenerationRequestRoutes;
import dev.kiln.http.server.Cors;
import dev.kiln.http.server.HttpServers;
import dev.kiln.http.sse.EventStreams;
import dev.kiln.http.tasks.BulkRoutes;
import dev.kiln.http.tasks.TaskActionRoutes;
import dev.kiln.http.tasks.TaskRoutes;
import dev.kiln.http.tasks.ToolActionRoutes;
import dev.kiln.http.wallet.WalletRoutes;
import dev.kiln.task.RetryPolicy;
import dev.kiln.task.ToolAction;
import dev.kiln.task.store.BatchReads;
import dev.kiln.task.store.GenerationRequests;
import dev.kiln.task.store.QueueConfigs;
import dev.kiln.task.store.TaskConfigs;
import dev.kiln.task.store.TaskReads;
import dev.kiln.task.store.TaskStore;
import dev.kiln.task.store.Usage;
import dev.kiln.task.store.Wallets;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.Map;

/** The HTTP role: the REST API under {@code /api/v1}, SSE, auth, and the ops routes. */
public final class HttpVerticle extends VerticleBase {
  /** Request bodies above this are refused with 413 before they are read whole. */
  public static final long DEFAULT_BODY_LIMIT = 1024 * 1024;

  private final KilnConfig config;
  private String openApi;

  public HttpVerticle(KilnConfig config) {
    this.config = config;
  }

  /** {@code openapi.yaml} in the jar: the API's contract, which a test holds to the routes. */
  private static String readOpenApi() throws java.io.IOException {
    try (var in = HttpVerticle.class.getClassLoader().getResourceAsStream("openapi.yaml")) {
      if (in == null) throw new IllegalStateException("openapi.yaml is not in the jar");
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** Every method and path this node serves, in OpenAPI's form ({id}, not :id). */
  private static JsonArray routes(Router root, Router api) {
    JsonArray out = new JsonArray();
    for (var pair : List.of(Map.entry("", root), Map.entry("/api/v1", api))) {
      for (var route : pair.getValue().getRoutes()) {
        if (route.methods() == null || route.methods().isEmpty() || route.getPath() == null) continue;
        String path = pair.getKey() + route.getPath().replaceAll(":([a-z_]+)", "{$1}");
        for (var m : route.methods()) out.add(new JsonObject().put("method", m.name()).put("path", path));
      }
    }
    return out;
  }

  @Override
  public Future<?> start() {
    Pool pool = Db.pool(vertx, config.databaseUrl());
    Hot hot = Hot.shared(vertx, config.redisUrl());
    AssetUrls urls = AssetUrls.of(config);
    AssetStore assets = new DirectoryAssetStore(config.assetDir());
    TaskStore store = new TaskStore(pool, RetryPolicy.standard());
    TaskReads reads = new TaskReads(pool);
    TaskRoutes tasks = new TaskRoutes(vertx, store, reads, hot, config.debugExecutors(), assets, config::price, urls);
    FileRoutes files = new FileRoutes(vertx, pool, urls, assets, config.api().uploadLimitBytes(),
        BoundedImageDecoder.shared(vertx, config.images()));
    ModelRoutes models = new ModelRoutes(vertx, pool, urls, assets, config.api().modelUploadLimitBytes(),
        config.api().uploadLimitBytes(), config.dataDir().resolve("uploads"), BoundedImageDecoder.shared(vertx, config.images()));
    SignIn signIn = new SignIn(vertx, pool, config.api(), config.dataDir());
    TaskActionRoutes actions = new TaskActionRoutes(vertx, store, reads, tasks);
    GenerationRequestRoutes requests = new GenerationRequestRoutes(vertx, new GenerationRequests(pool), reads, actions,
        config::price, urls);
    EventStreams streams = new EventStreams(vertx, reads, tasks, requests, hot, config.api().limits(), urls);
    StreamTokens streamTokens = new StreamTokens(pool, urls, config.api().browser().streamTokenTtlSeconds());

    Router router = Router.router(vertx);
    new OpsRoutes(vertx, pool, hot).mount(router);

    Router api = Router.router(vertx);
    files.mountBodyHandler(api);
    models.mountBodyHandler(api);
    api.route().handler(BodyHandler.create(false).setBodyLimit(DEFAULT_BODY_LIMIT));
    // Before authentication: a signed URL is its own credential; sign-in is how one gets one.
    new AssetRoutes(pool, urls, assets).mount(api);
    models.mountPublic(api);
    signIn.mountPublic(api);
    streamTokens.mountStreams(api); // ?stream_token= on the SSE routes, for EventSource
    api.route().handler(new ApiKeyAuth(vertx, pool, config.adminKey(), config.apiKeys())::handle);
    api.route().handler(new RateLimits(hot, config.rateLimitClient(), config.rateLimitUser())::handle);
    api.route("/admin/*").handler(AdminRoutes::adminOnly);
    signIn.mount(api);
    streamTokens.mount(api);
    files.mount(api);
    new BulkRoutes(vertx, store, reads, config.debugExecutors(), config::price, urls).mount(api);
    tasks.mount(api);
    new ToolActionRoutes(config.debugExecutors()).mount(api);
    actions.mount(api);
    new BatchRoutes(vertx, store, reads, new BatchReads(pool), actions, config.debugExecutors(), config::price, urls).mount(api);
    requests.mount(api);
    new WalletRoutes(new Wallets(pool)).mount(api);
    models.mount(api);
    new GalleryRoutes(models).mount(api);
    new InteractionRoutes(pool, models, urls).mount(api);
    new AdminRoutes(vertx, pool, new QueueConfigs(pool)).mount(api);
    new ClientAdminRoutes(vertx, pool).mount(api);
    new UsageRoutes(new Usage(pool)).mount(api);
    new TaskConfigRoutes(vertx, new TaskConfigs(pool), store, reads, urls, config.debugExecutors()).mount(api);
    streams.mount(api);
    api.get("/admin/routes").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("items", routes(router, api)).encode()));
    api.route().failureHandler(Problems::handle);
    api.errorHandler(400, ctx -> Problems.handle(ctx, 400)); // a query that does not decode (%zz) fails route matching
    if (config.api().browser().cors()) new Cors(config.api().browser().corsOrigins()).mount(router);
    router.route("/api/v1/*").subRouter(api);
    router.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader("Content-Type", "application/yaml").end(openApi));
    DashboardRoutes.mount(router, config.api().browser().publicOrigin());

    router.route().failureHandler(Problems::handle);
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, ctx -> Problems.handle(ctx, status));
    }
    // Off the event loop: the contract file, and the tool actions' schemas (loaded and compiled once, on first use).
    return vertx.executeBlocking(() -> {
      ToolAction.of("image.generate");
      return readOpenApi();
    }, false).onSuccess(doc -> openApi = doc)
        .compose(v -> streams.start()).compose(v -> HttpServers.create(vertx, config.api().limits())
        .requestHandler(router)
        .invalidRequestHandler(Problems::invalidRequest)
        .listen(config.httpPort(), config.httpHost()));
  }
}
