package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.kiln.common.redis.Hot;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.TestStores;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One API client holds at most {@code KILN_SSE_MAX_STREAMS_PER_CLIENT} SSE streams open (both
 * kinds together); the next is {@code 429 too_many_streams} with Retry-After, another client is
 * served all the while, and a stream that ends (its client drops the connection, or the task
 * had ended) gives its slot back. The per-user cap, between tenants, is in IsolationTest.
 */
class StreamCapsTest {
  static final int CAP = 3;
  static final Duration READ = Duration.ofSeconds(15);

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of(
      "KILN_SSE_MAX_STREAMS_PER_CLIENT", String.valueOf(CAP)));

  /** A stream opened by hand: it stays open until closed, and the answer's head says whether it was admitted. */
  static RawConnection open(String path, String key) throws Exception {
    RawConnection c = new RawConnection(kiln.port(), READ);
    c.send("GET " + path + " HTTP/1.1\r\nHost: kiln\r\nX-Auth-Key: " + key + "\r\n\r\n");
    return c;
  }

  static String newClient(String name) throws Exception {
    return kiln.api().post("/api/v1/admin/clients", new JsonObject().put("display_name", name).put("role", "third_party").encode())
        .json().getString("api_key");
  }

  @Test
  void aClientsStreamOverTheCapIsRefusedAnotherClientsIsServedAndAClosedStreamFreesItsSlot() throws Exception {
    String a = newClient("hoarder");
    String b = newClient("neighbour");
    String running = kiln.api().as(a).submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("duration_ms", 60_000))).getString("id");
    List<RawConnection> held = new ArrayList<>();
    try {
      for (int i = 0; i < CAP; i++) {
        RawConnection s = open(i == 0 ? "/api/v1/tasks/" + running + "/events" : "/api/v1/events", a);
        held.add(s);
        assertEquals(200, s.answer().status(), "stream " + (i + 1) + " of " + CAP);
      }
      for (String path : List.of("/api/v1/events", "/api/v1/tasks/" + running + "/events")) {
        try (RawConnection over = open(path, a)) {
          RawConnection.Answer refused = over.answer();
          assertEquals(429, refused.status(), path + ": " + refused.body());
          assertEquals("application/problem+json", refused.header("Content-Type"));
          assertEquals("too_many_streams", refused.json().getString("code"));
          assertNotNull(refused.header("Retry-After"), "Retry-After");
        }
      }
      RawConnection other = open("/api/v1/events", b);
      held.add(other);
      assertEquals(200, other.answer().status(), "another client's stream is not held back");

      held.remove(0).close(); // the client just drops the TCP connection
      RawConnection again = Eventually.await("a slot freed by the dropped stream", Duration.ofSeconds(10), () -> {
        RawConnection s = open("/api/v1/events", a);
        if (s.answer().status() == 200) return s;
        s.close();
        return null;
      });
      held.add(again);
      try (RawConnection over = open("/api/v1/events", a)) {
        assertEquals(429, over.answer().status(), "the freed slot was taken again: the client is at its cap");
      }
    } finally {
      for (RawConnection s : held) s.close();
      kiln.api().as(a).post("/api/v1/tasks/" + running + "/cancel", ""); // the node's close need not wait for it
    }
  }

  @Test
  void theStreamOfATaskThatEndedGivesItsSlotBack() throws Exception {
    String key = newClient("follower");
    String done = kiln.api().as(key).submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    kiln.api().as(key).awaitEnded(done, Duration.ofSeconds(30));
    List<RawConnection> held = new ArrayList<>();
    try {
      for (int i = 0; i < CAP - 1; i++) {
        held.add(open("/api/v1/events", key));
        assertEquals(200, held.get(i).answer().status());
      }
      // One slot left: each replay of the ended task takes it, and gives it back when the stream ends.
      for (int i = 0; i < CAP + 1; i++) {
        try (RawConnection replay = open("/api/v1/tasks/" + done + "/events", key)) {
          RawConnection.Answer a = replay.answer();
          assertEquals(200, a.status(), "replay " + (i + 1) + ": " + a.head());
          // To the end of the replay (the last chunk, "0"): the stream ends after the terminal event.
          for (String line = replay.line(); !"0\r".equals(line); line = replay.line()) {
            assertNotNull(line, "the stream ended, not the connection");
          }
        }
      }
    } finally {
      for (RawConnection s : held) s.close();
    }
  }

  /**
   * A node that dies takes its streams' releases with it; their slots are leases that lapse
   * when no node renews them (LEASE_MS in production, 2 s here), on the Redis every node shares.
   */
  @Test
  void aSlotNobodyRenewsLapses() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Hot hot = Hot.shared(vertx, TestStores.redisUrl());
      List<String> keys = Hot.streamKeys("lapse-" + UUID.randomUUID(), null);
      assertEquals(0, open(hot, "s1", keys), "the first stream is admitted");
      assertEquals(1, open(hot, "s2", keys), "the second is over the cap of 1");
      Eventually.await("the first stream's lease lapsed", Duration.ofSeconds(10), () -> open(hot, "s3", keys) == 0);
      assertEquals(1, open(hot, "s4", keys), "s3 holds the slot now");
      hot.closeStream("s3", keys).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertEquals(0, open(hot, "s5", keys), "a closed stream's slot is free at once");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static int open(Hot hot, String id, List<String> keys) throws Exception {
    return hot.openStream(id, keys, List.of(1), 2_000).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }
}
