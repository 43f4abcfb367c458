package dev.kiln.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The node tools of {@code tools/package.json} (Playwright driving Debian's chromium, Redocly) and
 * the other real programs the tests run (promtool), started as processes. A missing tool fails
 * the test with what to install: CI installs them all ({@code .ci/run}), so a skip would hide a
 * missing install step.
 */
final class NodeTools {
  private NodeTools() {}

  /** The repository's root (the launcher module's parent; tests run in the module's folder). */
  static Path repoRoot() {
    return Path.of("").toAbsolutePath().getParent();
  }

  /** {@code tools/}, with its node_modules installed by the launcher build's node-test-tools step. */
  static Path toolsDir() {
    Path tools = repoRoot().resolve("tools");
    if (!Files.isDirectory(tools.resolve("node_modules"))) {
      throw new IllegalStateException("tools/node_modules is missing: run `npm install` in " + tools);
    }
    return tools;
  }

  /** Debian's chromium (KILN_CHROMIUM overrides), for Playwright's executablePath. */
  static String chromium() {
    String path = System.getenv().getOrDefault("KILN_CHROMIUM", "/usr/bin/chromium");
    if (!Files.isExecutable(Path.of(path))) {
      throw new IllegalStateException(path + " is missing: apt-get install chromium (.ci/run does)");
    }
    return path;
  }

  /** What a finished process said: its exit status and its stdout and stderr together. */
  record Result(int exitCode, String output) {
    boolean ok() {
      return exitCode == 0;
    }
  }

  /** Runs {@code command} in {@code dir}, with {@code env} added, killing it after {@code timeout}. */
  static Result run(Path dir, Map<String, String> env, Duration timeout, List<String> command)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("kiln-tool", ".log");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
          .redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor();
        return new Result(124, Files.readString(log, StandardCharsets.UTF_8) + "\n(killed after " + timeout + ")");
      }
      return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** A node script under tools/ (a Playwright scenario, say) with its arguments. */
  static Result node(Map<String, String> env, Duration timeout, String script, String... args)
      throws IOException, InterruptedException {
    Path tools = toolsDir();
    var command = new java.util.ArrayList<String>(List.of("node", tools.resolve(script).toString()));
    command.addAll(List.of(args));
    var withChromium = new java.util.HashMap<>(env);
    withChromium.putIfAbsent("KILN_CHROMIUM", chromium());
    return run(tools, withChromium, timeout, command);
  }
}
