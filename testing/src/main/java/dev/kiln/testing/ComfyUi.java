package dev.kiln.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real ComfyUI server (upstream, on the CPU, no weights) for tests, started by the shared
 * {@code comfyui/start.sh}: found under {@code KILN_COMFYUI_HOME}, or in the first folder above
 * the working directory that holds {@code shared/comfyui/start.sh}. A server that cannot start
 * fails the test with the script's output: these tests never skip.
 */
public final class ComfyUi implements AutoCloseable {
  public static final String HOME_VARIABLE = "KILN_COMFYUI_HOME";
  /** The script builds its venv on first use (about 2 minutes); a warm start takes about 10 s. */
  public static final Duration START_TIMEOUT = Duration.ofMinutes(5);

  private final Path home;
  private final int port;
  private volatile long pid;

  private ComfyUi(Path home, int port, long pid) {
    this.home = home;
    this.port = port;
    this.pid = pid;
  }

  /** Starts a server on the first port of {@code [from, to]} nothing listens on. */
  public static ComfyUi startInRange(int from, int to) throws IOException, InterruptedException {
    Path home = home();
    for (int p = from; p <= to; p++) {
      if (free(p)) return new ComfyUi(home, p, run(home, "start.sh", p));
    }
    throw new IllegalStateException("no free port for ComfyUI in " + from + ".." + to);
  }

  public int port() {
    return port;
  }

  public long pid() {
    return pid;
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Its log file, for a failing test's message. */
  public Path log() {
    return Path.of(System.getProperty("java.io.tmpdir"), "kiln-comfyui", "server-" + port + ".log");
  }

  /** SIGKILL, as a crashed or OOM-killed server; returns once the process is gone. */
  public void kill9() throws InterruptedException {
    ProcessHandle.of(pid).ifPresent(h -> {
      h.destroyForcibly();
      h.onExit().orTimeout(30, TimeUnit.SECONDS).join();
    });
  }

  /** Starts it again on the same port (after {@link #kill9} or {@link #stop}). */
  public void restart() throws IOException, InterruptedException {
    pid = run(home, "start.sh", port);
  }

  /** Stops it by the script (SIGTERM, then SIGKILL after 15 s). */
  public void stop() throws IOException, InterruptedException {
    run(home, "stop.sh", port);
  }

  @Override
  public void close() throws IOException, InterruptedException {
    stop();
  }

  /** GET a JSON path of its API ({@code /queue}, {@code /history/<id>}). */
  public JsonObject get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url() + path))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IOException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
    return new JsonObject(r.body());
  }

  /** The prompt ids ComfyUI is running and has queued, as {@code /queue} lists them. */
  public java.util.List<String> queuedOrRunning() throws IOException, InterruptedException {
    JsonObject q = get("/queue");
    java.util.List<String> ids = new java.util.ArrayList<>();
    for (String k : java.util.List.of("queue_running", "queue_pending")) {
      q.getJsonArray(k).forEach(item -> ids.add(((io.vertx.core.json.JsonArray) item).getString(1)));
    }
    return ids;
  }

  private static long run(Path home, String script, int port) throws IOException, InterruptedException {
    Path out = Files.createTempFile("comfyui-" + script, ".out");
    Process p = new ProcessBuilder(home.resolve(script).toString(), String.valueOf(port))
        .redirectErrorStream(false).redirectError(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(script + " " + port + " did not finish in " + START_TIMEOUT);
    }
    String err = Files.readString(out);
    Files.deleteIfExists(out);
    if (p.exitValue() != 0) throw new IllegalStateException(script + " " + port + " failed (" + p.exitValue() + "):\n" + err);
    if (!script.equals("start.sh")) return -1;
    try {
      return Long.parseLong(stdout.lines().reduce((a, b) -> b).orElse(""));
    } catch (NumberFormatException e) {
      throw new IllegalStateException("start.sh " + port + " printed no PID: '" + stdout + "'\n" + err);
    }
  }

  private static Path home() {
    String env = System.getenv(HOME_VARIABLE);
    if (env != null && !env.isBlank()) {
      Path h = Path.of(env);
      if (!Files.isExecutable(h.resolve("start.sh"))) throw new IllegalStateException(HOME_VARIABLE + "=" + env + " has no start.sh");
      return h;
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path h = d.resolve("shared").resolve("comfyui");
      if (Files.isExecutable(h.resolve("start.sh"))) return h;
    }
    throw new IllegalStateException("no shared/comfyui/start.sh above " + Path.of("").toAbsolutePath() + " and " + HOME_VARIABLE + " is not set");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
