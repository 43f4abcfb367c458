package dev.kiln.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP port on a {@link NetLab}'s bridge address that carries each connection to a server on
 * this machine's loopback: how hosts in network namespaces reach the tests' PostgreSQL and Redis,
 * which listen on 127.0.0.1 only. When either side closes, so does the other, as it would across
 * a network: a server that ends an idle session closes it for the client too (once the client's
 * host can hear it).
 */
final class PortForward implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();

  PortForward(String listenAddress, InetSocketAddress target) throws IOException {
    this.target = target;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(listenAddress, 0));
    Thread acceptor = new Thread(this::accept, "forward-" + target.getPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The port on the bridge address. */
  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket();
        open.add(client);
        open.add(upstream);
        try {
          upstream.connect(target, 5_000);
        } catch (IOException e) {
          closeBoth(client, upstream);
          continue;
        }
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException ignored) {
        // one side is gone: close both below
      } finally {
        closeBoth(from, to);
      }
    }, "forward-" + from.getPort() + "-" + to.getPort());
    t.setDaemon(true);
    t.start();
  }

  private void closeBoth(Socket a, Socket b) {
    for (Socket s : new Socket[] {a, b}) {
      try {
        s.close();
      } catch (IOException ignored) {
        // already closed
      }
      open.remove(s);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : open) s.close();
    open.clear();
  }
}
