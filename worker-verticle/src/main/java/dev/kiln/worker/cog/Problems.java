package dev.kiln.worker.cog;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** What a refusal says, read from Cog's FastAPI body: {@code {"detail": [{"loc": [...], "msg": ...}]}} or {@code {"detail": "..."}}. */
final class Problems {
  private Problems() {}

  static String detail(CogClient.Answer a) {
    Object detail;
    try {
      detail = a.json().getValue("detail");
    } catch (RuntimeException e) {
      return a.snippet();
    }
    if (detail instanceof String s) return s;
    if (!(detail instanceof JsonArray items)) return a.snippet();
    List<String> parts = new ArrayList<>();
    for (Object o : items) {
      if (!(o instanceof JsonObject item)) continue;
      // loc is ["body", "input", "seed"]: the field as the task names it is input.seed
      List<String> loc = new ArrayList<>();
      item.getJsonArray("loc", new JsonArray()).forEach(l -> loc.add(String.valueOf(l)));
      if (!loc.isEmpty() && loc.get(0).equals("body")) loc.remove(0);
      parts.add((loc.isEmpty() ? "" : String.join(".", loc) + ": ") + item.getString("msg", "invalid"));
    }
    return parts.isEmpty() ? a.snippet() : String.join("; ", parts);
  }
}
