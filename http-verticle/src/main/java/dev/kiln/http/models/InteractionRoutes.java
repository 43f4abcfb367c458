package dev.kiln.http.models;

import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.ListParams;
import dev.kiln.http.api.Cursor;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import io.vertx.sqlclient.Pool;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.UUID;

/**
 * Likes and favorites, and the caller's own lists: {@code POST /models/{id}/like} and
 * {@code /favorite} toggle the caller's (answering its new state and the model's count), on any
 * model the caller may read; {@code GET /me/models}, {@code /me/likes}, {@code /me/favorites}
 * list the caller's, newest first. "The caller" is exactly its tenant: a client's end user, or
 * the client itself.
 */
public final class InteractionRoutes {
  private static final Set<String> PARAMS = Set.of("limit", "cursor");

  private final Interactions interactions;
  private final Models models;

  public InteractionRoutes(Pool pool, ModelRoutes routes, dev.kiln.common.asset.AssetUrls urls) {
    this.interactions = new Interactions(pool, new ModelJson(urls));
    this.models = routes.models();
  }

  public void mount(Router api) {
    api.post("/models/:id/like").handler(ctx -> toggle(ctx, Interactions.Type.LIKE));
    api.post("/models/:id/favorite").handler(ctx -> toggle(ctx, Interactions.Type.FAVORITE));
    api.get("/me/models").handler(this::myModels);
    api.get("/me/likes").handler(ctx -> mine(ctx, Interactions.Type.LIKE));
    api.get("/me/favorites").handler(ctx -> mine(ctx, Interactions.Type.FAVORITE));
  }

  private void toggle(RoutingContext ctx, Interactions.Type type) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    UUID id = Json.pathId(ctx, "id");
    ListParams.none(ctx.queryParams());
    ModelRoutes.noBody(ctx);
    interactions.toggle(caller, id, type).onSuccess(t -> {
      if (t == null) {
        ctx.fail(ApiException.notFound("model"));
        return;
      }
      KilnMetrics.modelInteraction(type.name(), t.active() ? "added" : "removed");
      Json.send(ctx, 200, t.json(type).put("model_id", id.toString()));
    }).onFailure(ctx::fail);
  }

  private void myModels(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    int limit = ListParams.limit(ctx.queryParams(), PARAMS);
    Cursor after = Cursor.parse(ctx.queryParams().get("cursor"));
    models.mine(caller, after, limit).onSuccess(p -> Json.send(ctx, 200, p.json())).onFailure(ctx::fail);
  }

  private void mine(RoutingContext ctx, Interactions.Type type) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    int limit = ListParams.limit(ctx.queryParams(), PARAMS);
    Cursor after = Cursor.parse(ctx.queryParams().get("cursor"));
    interactions.mine(caller, type, after, limit).onSuccess(p -> Json.send(ctx, 200, p.json())).onFailure(ctx::fail);
  }
}
