package dev.kiln.http.models;

import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.ListParams;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.UUID;

/**
 * The gallery (seed 003's 模型广场): every published model, of every tenant, to every caller.
 * {@code GET /gallery?sort=latest|popular} pages through them in the order of one of the two
 * partial indexes; {@code GET /gallery/{id}} shows one and counts the view. Browsing needs
 * credentials, as the rest of the API does (any client key or signed-in user): each request is
 * somebody's and is rate-limited like theirs, with no separate anonymous limit to keep.
 */
public final class GalleryRoutes {
  private static final Set<String> PARAMS = Set.of("sort", "limit", "cursor");

  private final Models models;

  public GalleryRoutes(ModelRoutes routes) {
    this.models = routes.models();
  }

  public void mount(Router api) {
    api.get("/gallery").handler(this::list);
    api.get("/gallery/:id").handler(this::get);
  }

  private void list(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    int limit = ListParams.limit(ctx.queryParams(), PARAMS);
    GallerySort sort = GallerySort.of(ctx.queryParams().get("sort"));
    GallerySort.Position after = sort.decode(ctx.queryParams().get("cursor"));
    models.gallery(caller, sort, after, limit).onSuccess(page -> Json.send(ctx, 200, page.json())).onFailure(ctx::fail);
  }

  /** A published model, one more view; an unpublished one (the caller's own too) is not in the gallery. */
  private void get(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    UUID id = Json.pathId(ctx, "id");
    ListParams.none(ctx.queryParams());
    models.view(caller, id).onSuccess(m -> {
      if (m == null) ctx.fail(ApiException.notFound("model"));
      else Json.send(ctx, 200, m);
    }).onFailure(ctx::fail);
  }
}
