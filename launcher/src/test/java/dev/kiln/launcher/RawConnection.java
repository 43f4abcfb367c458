package dev.kiln.launcher;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One TCP connection to a node, written and read by hand: for what an HTTP client library will
 * not do (stall, trickle, hold a stream open). Every read waits at most {@code readTimeout}.
 */
final class RawConnection implements AutoCloseable {
  /** The status line and headers of an answer, and its body when it has a Content-Length. */
  record Answer(int status, String head, String body) {
    String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) return line.substring(colon + 1).trim();
      }
      return null;
    }

    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final Duration readTimeout;

  RawConnection(int port, Duration readTimeout) throws IOException {
    this.socket = new Socket("127.0.0.1", port);
    this.readTimeout = readTimeout;
    socket.setSoTimeout((int) readTimeout.toMillis());
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  RawConnection send(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
    return this;
  }

  /**
   * Sends {@code text} a byte at a time, one every {@code every}, on a thread of its own, until
   * it is all sent or the server closed the connection: the slow client, by design.
   */
  Thread trickle(String text, Duration every) {
    Thread t = new Thread(() -> {
      try {
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
          out.write(b);
          out.flush();
          Thread.sleep(every.toMillis()); // the client's pace: the thing under test, not a wait for a condition
        }
      } catch (IOException | InterruptedException closed) {
        // the server closed the connection, or the test is over
      }
    }, "trickle");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** The next answer's head, and its body when it has a Content-Length. */
  Answer answer() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) throw new EOFException("closed before a complete answer head: " + head);
      head.write(b);
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    Answer bare = new Answer(Integer.parseInt(text.split(" ")[1]), text, "");
    String length = bare.header("Content-Length");
    if (length == null) return bare;
    byte[] body = in.readNBytes(Integer.parseInt(length));
    return new Answer(bare.status(), text, new String(body, StandardCharsets.UTF_8));
  }

  /** The next line of a streamed body (chunk sizes included), or null when the server closed. */
  String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) return null;
      line.write(b);
    }
    return line.toString(StandardCharsets.UTF_8);
  }

  /**
   * Reads until the server closes the connection (end of stream, or a reset) and returns; still
   * open after the read timeout is an AssertionError.
   */
  void awaitClosed() throws IOException {
    try {
      while (in.read() >= 0) {
        // what the server still sends before it closes
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server kept the connection open for " + readTimeout);
    } catch (IOException reset) {
      // closed with a reset: closed all the same
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
