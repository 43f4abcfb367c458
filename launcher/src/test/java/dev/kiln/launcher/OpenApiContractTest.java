package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.yaml.snakeyaml.Yaml;

/** GET /openapi.yaml describes every route the node serves, and nothing it does not, each under its own operationId. */
class OpenApiContractTest {
  static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of());

  @Test
  @SuppressWarnings("unchecked")
  void theDocumentAndTheRoutesAgree() throws Exception {
    Api.Reply doc = new Api(kiln.port(), null).get("/openapi.yaml");
    assertEquals(200, doc.status());
    Map<String, Object> openapi = new Yaml().load(doc.body());
    assertEquals("3.1.0", openapi.get("openapi"));
    Set<String> documented = new TreeSet<>();
    Set<String> withoutId = new TreeSet<>();
    Map<String, String> ids = new java.util.HashMap<>();
    ((Map<String, Map<String, Object>>) openapi.get("paths")).forEach((path, ops) -> ops.forEach((m, op) -> {
      if (!HTTP_METHODS.contains(m)) return;
      String route = m.toUpperCase() + " " + path;
      documented.add(route);
      Object id = ((Map<String, Object>) op).get("operationId");
      if (id == null) withoutId.add(route);
      else assertEquals(null, ids.put((String) id, route), "operationId " + id + " twice");
    }));
    assertTrue(withoutId.isEmpty(), "operations without an operationId: " + withoutId);

    Set<String> served = new TreeSet<>();
    kiln.api().get("/api/v1/admin/routes").json().getJsonArray("items")
        .forEach(o -> served.add(((JsonObject) o).getString("method") + " " + ((JsonObject) o).getString("path")));

    Set<String> undocumented = new TreeSet<>(served);
    undocumented.removeAll(documented);
    Set<String> missing = new TreeSet<>(documented);
    missing.removeAll(served);
    assertTrue(undocumented.isEmpty(), "routes the document does not describe: " + undocumented);
    assertTrue(missing.isEmpty(), "documented routes nobody serves: " + missing);
  }
}
