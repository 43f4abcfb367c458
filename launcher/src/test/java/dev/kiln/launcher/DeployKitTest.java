package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.yaml.snakeyaml.Yaml;

/**
 * The operations kit under deploy/: Prometheus's own checks accept the scrape config and the
 * alert rules, the rules' unit tests pass, the Grafana dashboard picks its data source by a
 * variable, and every metric the dashboard and the rules name is in a real node's exposition
 * (a renamed metric breaks this test, not an operator's night).
 */
class DeployKitTest {
  /** A configured GPU, so the worker's GPU gauges are in the exposition as on a GPU host. */
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_GPU_MEMORY_MB", "24576"));

  /** What Prometheus itself writes, not a node: nothing to find in an exposition. */
  private static final Set<String> PROMETHEUS_OWN = Set.of("up");
  private static final Pattern METRIC = Pattern.compile("\\b((?:kiln|vertx|jvm|process|system)_[a-z0-9_]+|up)\\b");

  static Path deploy() {
    return NodeTools.repoRoot().resolve("deploy");
  }

  static NodeTools.Result promtool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("promtool"));
    cmd.addAll(List.of(args));
    return NodeTools.run(deploy().resolve("prometheus"), Map.of(), Duration.ofSeconds(60), cmd);
  }

  @Test
  void prometheusAcceptsTheScrapeConfigAndTheRulesAndTheirUnitTestsPass() throws Exception {
    for (String[] check : List.of(new String[] {"check", "config", "prometheus.yml"},
        new String[] {"check", "rules", "kiln-alerts.yml"}, new String[] {"test", "rules", "kiln-alerts.test.yml"})) {
      NodeTools.Result r = promtool(check);
      assertEquals(0, r.exitCode(), "promtool " + String.join(" ", check) + ":\n" + r.output());
    }
  }

  @Test
  void everyAlertHasASummaryADescriptionAndAForAndIsUnitTested() throws Exception {
    String tests = Files.readString(deploy().resolve("prometheus/kiln-alerts.test.yml"));
    List<String> names = new ArrayList<>();
    for (Map<String, Object> rule : rules()) {
      String name = (String) rule.get("alert");
      names.add(name);
      assertTrue(rule.containsKey("for"), name + " has a for:");
      @SuppressWarnings("unchecked") Map<String, Object> ann = (Map<String, Object>) rule.get("annotations");
      assertTrue(ann != null && ann.containsKey("summary") && ann.containsKey("description"), name + " has a summary and a description");
      assertTrue(tests.contains("alertname: " + name), name + " has a unit test");
    }
    assertTrue(names.containsAll(List.of("KilnTaskFailureRateHigh", "KilnQueueOldestWaitingTooOld", "KilnNoWorkers", "KilnNoLeader")), "" + names);
  }

  @Test
  void theDashboardTakesItsDataSourceFromAVariable() throws Exception {
    JsonObject dash = new JsonObject(Files.readString(deploy().resolve("grafana/kiln.json")));
    JsonArray vars = dash.getJsonObject("templating").getJsonArray("list");
    JsonObject ds = vars.stream().map(JsonObject.class::cast).filter(v -> "datasource".equals(v.getString("type"))).findFirst()
        .orElseThrow(() -> new AssertionError("no datasource variable"));
    assertEquals("prometheus", ds.getString("query"));
    String var = "${" + ds.getString("name") + "}";
    List<JsonObject> panels = panels(dash);
    assertFalse(panels.isEmpty());
    for (JsonObject p : panels) {
      if ("row".equals(p.getString("type"))) continue;
      assertEquals(var, p.getJsonObject("datasource").getString("uid"), p.getString("title"));
      for (Object t : p.getJsonArray("targets")) assertEquals(var, ((JsonObject) t).getJsonObject("datasource").getString("uid"), p.getString("title"));
    }
    // No data source uid is written down anywhere: only the variable.
    Matcher uids = Pattern.compile("\"uid\"\\s*:\\s*\"([^\"]*)\"").matcher(dash.encode());
    while (uids.find()) assertTrue(uids.group(1).equals(var) || uids.group(1).equals(dash.getString("uid")), "hard-coded uid " + uids.group(1));
  }

  @Test
  void everyMetricTheDashboardAndTheRulesNameIsInARealNodesExposition() throws Exception {
    Set<String> used = new TreeSet<>();
    JsonObject dash = new JsonObject(Files.readString(deploy().resolve("grafana/kiln.json")));
    for (JsonObject p : panels(dash)) {
      JsonArray targets = p.getJsonArray("targets");
      if (targets != null) for (Object t : targets) used.addAll(metrics(((JsonObject) t).getString("expr")));
    }
    for (Object v : dash.getJsonObject("templating").getJsonArray("list")) used.addAll(metrics(((JsonObject) v).getString("definition", "")));
    for (Map<String, Object> rule : rules()) used.addAll(metrics((String) rule.get("expr")));
    used.removeAll(PROMETHEUS_OWN);
    assertTrue(used.containsAll(Set.of("kiln_queue_oldest_waiting_age_seconds", "kiln_task_wait_seconds_bucket", "kiln_gpu_utilization_percent",
        "kiln_dispatcher_leader", "kiln_tasks_finished_total")), "the kit reads what it should: " + used);

    kiln.api().get("/health"); // Vert.x counts an HTTP request once one was served
    Set<String> exposed = Exposition.scrape(kiln.port()).names();
    Set<String> missing = new TreeSet<>(used);
    missing.removeAll(exposed);
    assertTrue(missing.isEmpty(), "named in deploy/ but not exposed by a node: " + missing);
  }

  /**
   * The systemd env file and the operations guide name only settings Kiln reads (a typo there is
   * a setting silently ignored on a production host): each is a quoted name in the main sources.
   */
  @Test
  void theEnvFileAndTheGuideNameOnlyRealSettings() throws Exception {
    StringBuilder sources = new StringBuilder();
    try (var modules = Files.list(NodeTools.repoRoot())) {
      for (Path main : modules.map(d -> d.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
        try (var files = Files.walk(main)) {
          for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) sources.append(Files.readString(f));
        }
      }
    }
    String unit = Files.readString(deploy().resolve("systemd/kiln.service"));
    Set<String> unitOnly = new TreeSet<>();
    Matcher fromUnit = Pattern.compile("\\$\\{?(KILN_[A-Z_]+)").matcher(unit);
    while (fromUnit.find()) unitOnly.add(fromUnit.group(1));
    assertEquals(Set.of("KILN_JAVA_OPTS", "KILN_ROLES"), unitOnly, "what the unit itself takes from the env file");
    String env = Files.readString(deploy().resolve("systemd/kiln.env"));
    for (String v : unitOnly) assertTrue(env.contains("\n" + v + "="), "kiln.env sets " + v);
    Set<String> named = new TreeSet<>();
    Matcher m = Pattern.compile("^#? ?((?:KILN|DATABASE|REDIS)_[A-Z_]+)=", Pattern.MULTILINE).matcher(env);
    while (m.find()) named.add(m.group(1));
    Matcher inGuide = Pattern.compile("`(KILN_[A-Z_]+[A-Z])`").matcher(Files.readString(NodeTools.repoRoot().resolve("docs/operations.md")));
    while (inGuide.find()) named.add(inGuide.group(1));
    named.removeAll(unitOnly);
    assertTrue(named.size() > 10, "" + named);
    for (String v : named) assertTrue(sources.indexOf("\"" + v + "\"") >= 0, v + " (deploy/systemd/kiln.env or docs/operations.md) is read by Kiln");
  }

  private static Set<String> metrics(String expr) {
    Set<String> out = new TreeSet<>();
    Matcher m = METRIC.matcher(expr);
    while (m.find()) out.add(m.group(1));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> rules() throws Exception {
    Map<String, Object> doc = new Yaml().load(Files.readString(deploy().resolve("prometheus/kiln-alerts.yml")));
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> g : (List<Map<String, Object>>) doc.get("groups")) out.addAll((List<Map<String, Object>>) g.get("rules"));
    return out;
  }

  private static List<JsonObject> panels(JsonObject dash) {
    List<JsonObject> out = new ArrayList<>();
    for (Object p : dash.getJsonArray("panels")) {
      JsonObject panel = (JsonObject) p;
      out.add(panel);
      JsonArray inner = panel.getJsonArray("panels");
      if (inner != null) inner.forEach(i -> out.add((JsonObject) i));
    }
    return out;
  }
}
