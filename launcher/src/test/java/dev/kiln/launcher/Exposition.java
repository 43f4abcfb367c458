package dev.kiln.launcher;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A node's /metrics text as Prometheus scrapes it, with what the tests ask of it. */
record Exposition(String text) {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})? (\\S+)$", Pattern.MULTILINE);

  static Exposition scrape(int port) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new AssertionError("/metrics on " + port + " answered " + r.statusCode());
    return new Exposition(r.body());
  }

  /** Every sample's name (histograms' _bucket, _count, _sum as they are written). */
  Set<String> names() {
    Set<String> out = new TreeSet<>();
    Matcher m = SAMPLE.matcher(text);
    while (m.find()) out.add(m.group(1));
    return out;
  }

  /** The value of the one sample of {@code name} that carries every label of {@code labels}; null when none does. */
  Double value(String name, Map<String, String> labels) {
    Matcher m = SAMPLE.matcher(text);
    while (m.find()) {
      if (!m.group(1).equals(name)) continue;
      String have = m.group(3) == null ? "" : m.group(3);
      boolean all = labels.entrySet().stream().allMatch(e -> have.contains(e.getKey() + "=\"" + e.getValue() + "\""));
      if (all) return Double.parseDouble(m.group(4));
    }
    return null;
  }

  /**
   * {@code promtool check metrics} on this text (it reads the exposition on stdin): its exit
   * status and everything it said. Exit 0 with no output is an exposition it has nothing against.
   */
  NodeTools.Result promtool() throws Exception {
    Path file = Files.createTempFile("kiln-metrics", ".txt");
    try {
      Files.writeString(file, text);
      return NodeTools.run(file.getParent(), Map.of(), Duration.ofSeconds(30),
          List.of("sh", "-c", "exec promtool check metrics < \"$1\"", "promtool", file.toString()));
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
