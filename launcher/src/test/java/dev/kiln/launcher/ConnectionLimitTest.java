package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node holds at most {@code KILN_HTTP_MAX_CONNECTIONS} open connections: one more is closed at
 * once (not after a timeout), counted in {@code kiln_http_connections_closed_total}, and a closed
 * connection makes room. Only raw connections here, so the test knows every one the node holds.
 */
class ConnectionLimitTest {
  static final int MAX = 4;
  static final Duration READ = Duration.ofSeconds(15);

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_HTTP_MAX_CONNECTIONS", String.valueOf(MAX)));

  static int health(RawConnection c) throws Exception {
    return c.send("GET /health HTTP/1.1\r\nHost: kiln\r\n\r\n").answer().status();
  }

  @Test
  void theConnectionOverTheBoundIsClosedAtOnceAndAClosedOneMakesRoom() throws Exception {
    List<RawConnection> held = new ArrayList<>();
    try {
      for (int i = 0; i < MAX; i++) {
        held.add(new RawConnection(kiln.port(), READ));
        assertEquals(200, health(held.get(i)), "connection " + (i + 1) + " of " + MAX);
      }
      try (RawConnection over = new RawConnection(kiln.port(), READ)) {
        long t0 = System.nanoTime();
        over.awaitClosed();
        long took = (System.nanoTime() - t0) / 1_000_000;
        // At once: well inside the 10 s header timeout that would close a silent connection anyway.
        assertTrue(took < 5_000, "closed at once: " + took + " ms");
      }
      String metrics = held.get(0).send("GET /metrics HTTP/1.1\r\nHost: kiln\r\n\r\n").answer().body();
      // There at 0 from the start: it must have moved.
      assertTrue(metrics.matches("(?s).*kiln_http_connections_closed_total\\{reason=\"max_connections\"} [1-9].*"), "counted");

      held.remove(0).close();
      RawConnection room = Eventually.await("room for a connection again", Duration.ofSeconds(10), () -> {
        RawConnection c = new RawConnection(kiln.port(), READ);
        try {
          if (health(c) == 200) return c;
        } catch (java.io.IOException closed) {
          // still over the bound: the close has not been counted yet
        }
        c.close();
        return null;
      });
      held.add(room);
    } finally {
      for (RawConnection c : held) c.close();
    }
  }
}
