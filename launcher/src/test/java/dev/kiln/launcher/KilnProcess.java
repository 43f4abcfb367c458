package dev.kiln.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A Kiln node as a separate JVM started from the built jar: what an operator runs, killable with -9. */
final class KilnProcess implements AutoCloseable {
  final String name;
  final Path log;
  private final Process process;
  private final CountDownLatch up = new CountDownLatch(1);

  private KilnProcess(String name, Path log, Process process) {
    this.name = name;
    this.log = log;
    this.process = process;
  }

  static KilnProcess start(String name, Path logDir, String clusterName, Map<String, String> env, String... args)
      throws IOException {
    return start(List.of(), name, logDir, clusterName, env, args);
  }

  /**
   * The same, run through {@code prefix} (e.g. {@code ip netns exec <ns>}), which must exec the
   * JVM in its own process, so that what this class kills or stops is the JVM itself.
   */
  static KilnProcess start(List<String> prefix, String name, Path logDir, String clusterName, Map<String, String> env,
      String... args) throws IOException {
    String jar = System.getProperty("kiln.jar", "target/kiln.jar");
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dkiln.cluster.name=" + clusterName, "-jar", jar));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Files.createDirectories(logDir);
    Path log = logDir.resolve(name + ".log");
    KilnProcess p = new KilnProcess(name, log, pb.start());
    Thread pump = new Thread(() -> p.pump(log), "log-" + name);
    pump.setDaemon(true);
    pump.start();
    return p;
  }

  private void pump(Path logFile) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         PrintWriter out = new PrintWriter(Files.newBufferedWriter(logFile, StandardCharsets.UTF_8), true)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.println(line);
        if (line.startsWith("Kiln is up")) up.countDown();
      }
    } catch (IOException ignored) {
      // the process is gone
    }
  }

  void awaitUp(Duration deadline) throws Exception {
    if (!up.await(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " did not come up within " + deadline + "; its log:\n" + Files.readString(log));
    }
  }

  /** SIGTERM, then wait for the process to exit by itself (a worker drains first). */
  int terminate(Duration deadline) throws Exception {
    process.destroy();
    if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) throw new AssertionError(name + " did not exit after SIGTERM");
    return process.exitValue();
  }

  /** kill -9: no shutdown hook, no drain. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** kill -STOP / -CONT: the process hangs without dying, as a stuck or cut-off node does. */
  void signal(String sig) throws Exception {
    int rc = new ProcessBuilder("kill", "-" + sig, String.valueOf(process.pid())).inheritIO().start().waitFor();
    if (rc != 0) throw new IllegalStateException("kill -" + sig + " failed");
  }

  String output() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws Exception {
    if (!process.isAlive()) return;
    process.destroy();
    if (!process.waitFor(40, TimeUnit.SECONDS)) kill();
  }
}
