package dev.kiln.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A small network on this machine for one failsafe test (a JUnit extension): a bridge in the root
 * namespace at {@code 10.231.S.1/24}, and a network namespace per {@link Host}, joined to the
 * bridge by its own cable: two TAP devices with {@code netwire.py} between them, through which the
 * test cuts, delays and loses that host's traffic. The cable is userspace because this kernel has
 * no {@code sch_netem}, no {@code act_gact} and no {@code cls_flower}, and neither iptables nor
 * nft is installed; everything TCP sees (silence, retransmits, a late FIN) is the same.
 *
 * <p>It needs Linux and root (CI runs as root). Everything it made is removed after the test,
 * also when the test failed; what a killed earlier run left (namespaces and bridges named for a
 * pid that is gone) is removed before.
 */
final class NetLab implements BeforeEachCallback, AfterEachCallback {
  private static final String PREFIX = "kiln-";
  private static final Pattern LEFTOVER_NETNS = Pattern.compile("^" + PREFIX + "(\\d+)-\\S+");
  private static final Pattern LEFTOVER_BRIDGE = Pattern.compile("^\\d+: (kbr(\\d+)):");

  private final String name;
  private final long pid = ProcessHandle.current().pid();
  private final String bridge = "kbr" + pid;
  private final List<Host> hosts = new ArrayList<>();
  private final List<PortForward> forwards = new ArrayList<>();
  private int subnet;

  /** {@code name}: the test's, for the cable logs under {@code target/<name>}. */
  NetLab(String name) {
    this.name = name;
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "NetLab needs Linux network namespaces");
    require();
    removeLeftovers();
    subnet = freeSubnet();
    run("ip", "link", "add", bridge, "type", "bridge");
    run("ip", "addr", "add", bridgeAddress() + "/24", "dev", bridge);
    run("ip", "link", "set", bridge, "up");
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    for (PortForward f : forwards) f.close();
    forwards.clear();
    for (Host h : hosts) h.remove();
    hosts.clear();
    if (subnet != 0) run("ip", "link", "del", bridge);
    subnet = 0;
  }

  /** The root namespace's address on the bridge: where hosts find nodes run outside any namespace. */
  String bridgeAddress() {
    return "10.231." + subnet + ".1";
  }

  /** A new namespace {@code kiln-<pid>-<hostName>}, on the bridge at {@code 10.231.S.(10 + n)}, its cable carrying everything. */
  Host host(String hostName) throws Exception {
    Host h = new Host(hostName, PREFIX + pid + "-" + hostName, "kt" + pid + "-" + hosts.size(),
        "10.231." + subnet + "." + (10 + hosts.size()));
    hosts.add(h);
    h.connect();
    return h;
  }

  /**
   * {@code url} (a {@code postgresql://} or {@code redis://} URL of a server on loopback) as hosts
   * reach it: through a {@link PortForward} on the bridge address.
   */
  Forwarded forward(String url) throws Exception {
    URI u = URI.create(url);
    PortForward f = new PortForward(bridgeAddress(), new InetSocketAddress(u.getHost(), u.getPort()));
    forwards.add(f);
    URI through = new URI(u.getScheme(), u.getUserInfo(), bridgeAddress(), f.port(), u.getPath(), u.getQuery(), u.getFragment());
    return new Forwarded(through.toString(), f.port());
  }

  /** A forwarded server: the URL hosts use, and the bridge port it goes through (what a partition from it drops). */
  record Forwarded(String url, int port) {}

  /** One namespace and its cable; the fault methods return once the cable carries out the fault. */
  final class Host {
    final String hostName;
    final String netns;
    final String address;
    private final String outerTap;
    private Process wire;
    private OutputStream commands;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

    private Host(String hostName, String netns, String outerTap, String address) {
      this.hostName = hostName;
      this.netns = netns;
      this.outerTap = outerTap;
      this.address = address;
    }

    /** The command prefix that runs a process in this namespace (exec'd, so its pid is the process's own). */
    List<String> exec() {
      return List.of("ip", "netns", "exec", netns);
    }

    /** Nothing gets through, either way: a pulled cable, a dead switch port. */
    void cut() throws Exception {
      command("drop both");
    }

    /** What this host sends is lost; what is sent to it still arrives. */
    void cutOutgoing() throws Exception {
      command("drop out");
    }

    /** Every frame, both ways, held {@code delayMs} and lost with {@code lossPercent}. */
    void slow(int delayMs, int lossPercent) throws Exception {
      command("delay " + delayMs + " loss " + lossPercent);
    }

    /** Only TCP to or from {@code port} (a {@link Forwarded#port()}) is lost: this host is partitioned from that server alone. */
    void cutFrom(int port) throws Exception {
      command("drop tcp-port " + port);
    }

    /** Everything gets through again. */
    void heal() throws Exception {
      command("pass");
    }

    private void connect() throws Exception {
      run("ip", "netns", "add", netns);
      run("ip", "-n", netns, "link", "set", "lo", "up");
      Path logDir = Path.of("target", name);
      Files.createDirectories(logDir);
      wire = new ProcessBuilder("python3", script().toString(), outerTap, "eth0", netns)
          .redirectError(logDir.resolve("wire-" + hostName + ".log").toFile()).start();
      commands = wire.getOutputStream();
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(wire.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = in.readLine()) != null) answers.add(line);
        } catch (IOException ignored) {
          // the cable is gone
        }
      }, "wire-" + hostName);
      reader.setDaemon(true);
      reader.start();
      expect("ready");
      run("ip", "link", "set", outerTap, "master", bridge, "up");
      run("ip", "-n", netns, "addr", "add", address + "/24", "dev", "eth0");
      run("ip", "-n", netns, "link", "set", "eth0", "up");
    }

    private void command(String line) throws Exception {
      commands.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      commands.flush();
      expect("ok " + line);
    }

    private void expect(String answer) throws Exception {
      String got = answers.poll(10, TimeUnit.SECONDS);
      if (!answer.equals(got)) {
        throw new IllegalStateException("the cable of " + hostName + " answered " + got + ", not " + answer
            + (wire.isAlive() ? "" : " (it exited " + wire.exitValue() + ", see target/" + name + "/wire-" + hostName + ".log)"));
      }
    }

    /** Closing its stdin ends the cable (its TAP devices go with it); then the namespace goes. */
    private void remove() throws Exception {
      if (wire != null) {
        commands.close();
        if (!wire.waitFor(10, TimeUnit.SECONDS)) wire.destroyForcibly().waitFor();
      }
      run("ip", "netns", "del", netns);
    }
  }

  private static Path script() throws Exception {
    var url = NetLab.class.getResource("/netwire.py");
    if (url == null) throw new IllegalStateException("netwire.py is not on the test classpath");
    return Path.of(url.toURI());
  }

  /** Root and the tools: a CI host without them fails here, loudly, rather than skipping the test. */
  private static void require() throws Exception {
    String uid = run("id", "-u").trim();
    if (!uid.equals("0")) throw new IllegalStateException("NetLab needs root (ip netns, bridges, TAP devices); uid is " + uid);
    for (List<String> probe : List.of(List.of("ip", "-V"), List.of("python3", "--version"))) {
      try {
        run(probe.toArray(String[]::new));
      } catch (IOException e) {
        throw new IllegalStateException("NetLab needs " + probe.get(0) + " on the PATH", e);
      }
    }
    if (!Files.exists(Path.of("/dev/net/tun"))) throw new IllegalStateException("NetLab needs /dev/net/tun");
  }

  /** Namespaces and bridges of an earlier run whose JVM is gone (killed before its afterEach), and the processes left in them. */
  private static void removeLeftovers() throws Exception {
    for (String line : run("ip", "netns", "list").split("\n")) {
      Matcher m = LEFTOVER_NETNS.matcher(line);
      if (!m.find() || ProcessHandle.of(Long.parseLong(m.group(1))).isPresent()) continue;
      String netns = m.group();
      for (String p : run("ip", "netns", "pids", netns).split("\\s+")) {
        if (!p.isBlank()) ProcessHandle.of(Long.parseLong(p)).ifPresent(ProcessHandle::destroyForcibly);
      }
      run("ip", "netns", "del", netns);
    }
    for (String line : run("ip", "-o", "link", "show", "type", "bridge").split("\n")) {
      Matcher m = LEFTOVER_BRIDGE.matcher(line);
      if (m.find() && ProcessHandle.of(Long.parseLong(m.group(2))).isEmpty()) run("ip", "link", "del", m.group(1));
    }
  }

  /** A 10.231.S.0/24 no other lab on this machine (another test JVM, another worktree's) has. */
  private int freeSubnet() throws Exception {
    String used = run("ip", "-4", "-o", "addr", "show");
    for (int i = 0; i < 250; i++) {
      int s = (int) ((pid + i) % 250) + 1;
      if (!used.contains(" 10.231." + s + ".")) return s;
    }
    throw new IllegalStateException("no free 10.231.S.0/24 on this machine");
  }

  /** Runs a command to its end; its output, or an exception with that output when it fails. */
  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + " did not finish");
    }
    if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
    return out;
  }
}
