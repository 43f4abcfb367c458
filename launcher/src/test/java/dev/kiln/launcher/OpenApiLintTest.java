package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The OpenAPI document a node serves passes the real Redocly linter (tools/package.json) under
 * the repository's {@code redocly.yaml} (its recommended rules): zero errors, zero warnings.
 */
class OpenApiLintTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of());

  @Test
  void theServedDocumentHasNoLintErrorsOrWarnings() throws Exception {
    Api.Reply doc = new Api(kiln.port(), null).get("/openapi.yaml");
    assertEquals(200, doc.status());
    Path served = Files.createDirectories(Path.of("target").toAbsolutePath()).resolve("openapi-served.yaml");
    Files.writeString(served, doc.body(), StandardCharsets.UTF_8);
    Path root = NodeTools.repoRoot();
    NodeTools.Result lint = NodeTools.run(root, Map.of("REDOCLY_TELEMETRY", "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE", "true"),
        Duration.ofSeconds(120), List.of(NodeTools.toolsDir().resolve("node_modules/.bin/redocly").toString(), "lint",
            "--config", root.resolve("redocly.yaml").toString(), "--format=json", "--max-problems", "1000", served.toString()));
    // Node may print its own notices around the report (a deprecation box, say): the report is the JSON object.
    String out = lint.output();
    int start = out.indexOf('{');
    int end = out.lastIndexOf('}');
    if (start < 0 || end < start) throw new AssertionError("no JSON report from redocly (exit " + lint.exitCode() + "): " + out);
    JsonObject report = new JsonObject(out.substring(start, end + 1));
    JsonObject totals = report.getJsonObject("totals");
    String problems = report.getJsonArray("problems").encodePrettily();
    assertEquals(0, totals.getInteger("errors"), problems);
    assertEquals(0, totals.getInteger("warnings"), problems);
    assertEquals(0, totals.getInteger("ignored"), "nothing hidden by an ignore file");
    assertEquals(0, lint.exitCode(), out);
  }
}
