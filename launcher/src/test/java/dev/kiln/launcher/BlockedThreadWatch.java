package dev.kiln.launcher;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Vert.x's blocked-thread warning in a test's log is a bug: this watches standard error (where
 * the log goes) for it, so a test can fail on it.
 */
final class BlockedThreadWatch {
  private static final List<String> SEEN = new CopyOnWriteArrayList<>();
  private static boolean installed;

  private BlockedThreadWatch() {}

  static synchronized void install() {
    if (installed) return;
    installed = true;
    PrintStream err = System.err;
    System.setErr(new PrintStream(new OutputStream() {
      private final StringBuilder line = new StringBuilder();

      @Override
      public synchronized void write(int b) {
        err.write(b);
        if (b == '\n') {
          if (line.indexOf("has been blocked for") >= 0) SEEN.add(line.toString());
          line.setLength(0);
        } else if (line.length() < 4096) {
          line.append((char) b);
        }
      }

      @Override
      public void flush() {
        err.flush();
      }
    }, true, StandardCharsets.UTF_8));
  }

  /** The blocked-thread warnings logged so far (and forgets them). */
  static List<String> drain() {
    List<String> out = List.copyOf(SEEN);
    SEEN.clear();
    return out;
  }
}
