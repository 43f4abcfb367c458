package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Sql;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 10, finding 9: a request whose chunked body breaks its framing (a chunk size that is no
 * hex number) was dropped with no answer, and each logged a 25-line ERROR. Now it is answered
 * {@code 400 malformed_body} before any route sees it, the connection closes (nothing after it
 * can be read as a request), nothing is created, and the node goes on answering.
 */
class MalformedBodyTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_RATE_LIMIT_CLIENT", "0"));

  private static String chunked(String chunks) {
    return "POST /api/v1/tasks HTTP/1.1\r\nHost: kiln\r\nX-Auth-Key: " + KilnNode.ADMIN_KEY + "\r\n"
        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks;
  }

  @Test
  void aBrokenChunkSizeIsAnswered400AndCreatesNothing() throws Exception {
    try (Sql sql = kiln.sql()) {
      long before = sql.count("SELECT count(*) FROM tasks");
      String[] broken = {"zz\r\n{}\r\n0\r\n\r\n", "5\r\n{\"too\":\"long for its size\"}\r\n0\r\n\r\n",
          "-1\r\n{}\r\n0\r\n\r\n", "2\r\n{}\r\nxx\r\n"};
      for (int round = 0; round < 25; round++) {
        for (String chunks : broken) {
          try (RawConnection c = new RawConnection(kiln.port(), Duration.ofSeconds(15))) {
            c.send(chunked(chunks));
            RawConnection.Answer a;
            try {
              a = c.answer();
            } catch (java.net.SocketTimeoutException e) {
              throw new AssertionError("no answer to " + chunks.replace("\r\n", "\\r\\n"), e);
            }
            assertEquals(400, a.status(), chunks + ": " + a.head() + a.body());
            assertTrue(a.header("Content-Type").startsWith("application/problem+json"), a.head());
            assertEquals("malformed_body", a.json().getString("code"), a.body());
            assertEquals("close", a.header("Connection"));
            c.awaitClosed();
          }
        }
      }
      assertEquals(before, sql.count("SELECT count(*) FROM tasks"), "nothing created");
    }
    try (RawConnection c = new RawConnection(kiln.port(), Duration.ofSeconds(15))) {
      c.send("GET /health HTTP/1.1\r\nHost: kiln\r\n\r\n");
      assertEquals(200, c.answer().status(), "the node goes on answering");
    }
  }
}
