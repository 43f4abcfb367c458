package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client that holds a connection without using it is let go: headers that do not arrive in
 * time close the connection, a body that does not arrive in time is answered 408 and creates
 * nothing, an idle keep-alive connection is closed; an SSE stream waiting for events is not
 * idle (its heartbeats outpace the idle timeout). The timeouts are shortened here; every wait
 * is a read the server ends, bounded by {@link #BOUND}.
 */
class SlowClientsTest {
  static final int HEADER_MS = 1_000;
  static final int BODY_MS = 2_000;
  static final int IDLE_MS = 4_000;
  /** Longer than any timeout here: a connection still open after it was held for good. */
  static final Duration BOUND = Duration.ofSeconds(15);

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of(
      "KILN_HTTP_HEADER_TIMEOUT_MS", String.valueOf(HEADER_MS),
      "KILN_HTTP_BODY_TIMEOUT_MS", String.valueOf(BODY_MS),
      "KILN_HTTP_IDLE_TIMEOUT_MS", String.valueOf(IDLE_MS)));

  private static long msSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  @Test
  void headersThatTrickleInAreCutOffAtTheHeaderTimeout() throws Exception {
    try (RawConnection c = new RawConnection(kiln.port(), BOUND)) {
      long t0 = System.nanoTime();
      c.send("GET /api/v1/tasks HTTP/1.1\r\nHost: kiln\r\nX-Auth-Key: ");
      // A byte every 250 ms: never idle, never done (200 bytes would take 50 s).
      c.trickle("x".repeat(200), Duration.ofMillis(250));
      c.awaitClosed();
      long took = msSince(t0);
      // Before the idle timeout: Vert.x's idle timer sees only decoded requests, not a head's bytes.
      assertTrue(took >= HEADER_MS - 50 && took < IDLE_MS, "closed by the header timeout: " + took + " ms");
    }
  }

  @Test
  void aConnectionThatSendsNothingIsClosedAtTheHeaderTimeout() throws Exception {
    try (RawConnection c = new RawConnection(kiln.port(), BOUND)) {
      long t0 = System.nanoTime();
      c.awaitClosed();
      long took = msSince(t0);
      assertTrue(took >= HEADER_MS - 50 && took < IDLE_MS, "closed by the header timeout: " + took + " ms");
    }
  }

  @Test
  void aKeepAliveConnectionsNextRequestHasAHeaderDeadlineOfItsOwn() throws Exception {
    try (RawConnection c = new RawConnection(kiln.port(), BOUND)) {
      assertEquals(200, c.send("GET /health HTTP/1.1\r\nHost: kiln\r\n\r\n").answer().status());
      long t0 = System.nanoTime();
      c.trickle("GET /health HTTP/1.1\r\nHost: kiln\r\nX-Pad: " + "x".repeat(200), Duration.ofMillis(250));
      c.awaitClosed();
      long took = msSince(t0);
      assertTrue(took >= HEADER_MS - 50 && took < IDLE_MS, "closed by the header timeout: " + took + " ms");
    }
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAtTheIdleTimeout() throws Exception {
    try (RawConnection c = new RawConnection(kiln.port(), BOUND)) {
      assertEquals(200, c.send("GET /health HTTP/1.1\r\nHost: kiln\r\n\r\n").answer().status());
      long t0 = System.nanoTime();
      c.awaitClosed();
      long took = msSince(t0);
      // Not the header timeout: between requests only the idle timeout runs.
      assertTrue(took >= IDLE_MS - 50, "closed by the idle timeout, not before it: " + took + " ms");
    }
  }

  @Test
  void aBodyTrickledAtOneBytePerSecondIsAnswered408AndCreatesNothing() throws Exception {
    JsonObject client = kiln.api().post("/api/v1/admin/clients", "{\"display_name\": \"slow\", \"role\": \"third_party\"}").json();
    String key = client.getString("api_key");
    String task = new JsonObject().put("tool_action", "debug.noop").encode();
    for (String[] upload : new String[][] {{"/api/v1/tasks", "application/json", String.valueOf(task.length())},
        {"/api/v1/files", "image/png", "1000"}}) {
      try (RawConnection c = new RawConnection(kiln.port(), BOUND)) {
        c.send("POST " + upload[0] + " HTTP/1.1\r\nHost: kiln\r\nX-Auth-Key: " + key + "\r\nContent-Type: " + upload[1]
            + "\r\nContent-Length: " + upload[2] + "\r\n\r\n");
        long t0 = System.nanoTime();
        c.trickle(task, Duration.ofSeconds(1)); // 1 byte/s: the whole body would take 30 s or more
        RawConnection.Answer a = c.answer();
        long took = msSince(t0);
        assertEquals(408, a.status(), upload[0] + ": " + a.head() + a.body());
        assertEquals("application/problem+json", a.header("Content-Type"), upload[0]);
        assertEquals("request_timeout", a.json().getString("code"), upload[0]);
        assertEquals(upload[0], a.json().getString("instance"), upload[0]);
        assertTrue(took >= BODY_MS - 50, upload[0] + ": answered at the body timeout, not before it: " + took + " ms");
        c.awaitClosed();
      }
    }
    // The same client, at a normal pace, is served: the count below is not empty for want of a way in.
    assertEquals(202, kiln.api().as(key).post("/api/v1/tasks", task).status());
    try (Sql sql = kiln.sql()) {
      assertEquals(1, sql.count("SELECT count(*) FROM tasks WHERE api_client_id = ?", client.getString("id")),
          "only the task sent in time");
      assertEquals(0, sql.count("SELECT count(*) FROM files WHERE api_client_id = ?", client.getString("id")), "no file");
    }
  }

  @Test
  void anSseStreamWaitingForEventsOutlivesTheIdleTimeout() throws Exception {
    try (RawConnection c = new RawConnection(kiln.port(), BOUND)) {
      c.send("GET /api/v1/events HTTP/1.1\r\nHost: kiln\r\nX-Auth-Key: " + KilnNode.ADMIN_KEY + "\r\n\r\n");
      RawConnection.Answer a = c.answer();
      assertEquals(200, a.status(), a.head());
      long t0 = System.nanoTime();
      int pings = 0;
      while (msSince(t0) < IDLE_MS * 3L / 2) {
        String line = c.line();
        assertNotNull(line, "the stream was closed after " + msSince(t0) + " ms");
        if (line.startsWith(": ping")) pings++;
      }
      assertTrue(pings >= 2, "heartbeats kept it open: " + pings);
    }
  }
}
