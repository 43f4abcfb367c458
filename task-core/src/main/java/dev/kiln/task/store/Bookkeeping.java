package dev.kiln.task.store;

import dev.kiln.task.TaskStatus;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What follows a change of tasks' statuses, in the same transaction, as named steps: credits
 * (a hold ends with its task; an owner's retry holds anew), the webhook outbox (an ended task with
 * a webhook_url), batch counters (any change of a batched task) and generation requests' state
 * (any change of one of a request's images or its model). Every transition of the core
 * ends with this, so no path can move a task and forget its credits or its batch.
 */
final class Bookkeeping {
  private Bookkeeping() {}

  /** One task's move: as it was under lock, where it goes, and the new hold when it reopens priced. */
  record Change(LockedTask before, TaskStatus to, UUID newHoldId) {
    Change(LockedTask before, TaskStatus to) {
      this(before, to, null);
    }

    boolean ends() {
      return to.terminal() && !before.status().terminal();
    }

    boolean reopens() {
      return before.status().terminal() && !to.terminal();
    }
  }

  /**
   * Issues every step's statements at once (pipelined after the transition's own statement; all
   * they need was read under lock), in the lock order tasks, wallets, batches, requests.
   */
  static Future<Void> after(SqlConnection conn, List<Change> changes) {
    List<Credits.End> ends = new ArrayList<>();
    List<Credits.Hold> holds = new ArrayList<>();
    List<WebhookOutbox.Delivery> deliveries = new ArrayList<>();
    List<UUID> batches = new ArrayList<>();
    List<UUID> requests = new ArrayList<>();
    for (Change c : changes) {
      LockedTask t = c.before();
      if (c.ends() && t.priced() && t.walletHoldId() != null) {
        ends.add(new Credits.End(t.id(), t.walletHoldId(), t.pointsCost(), c.to() == TaskStatus.COMPLETED));
      }
      if (c.reopens() && t.priced()) {
        holds.add(new Credits.Hold(t.id(), c.newHoldId(), t.apiClientId(), t.userId(), t.pointsCost(), t.toolAction()));
      }
      if (c.ends() && t.webhookUrl() != null) deliveries.add(new WebhookOutbox.Delivery(t.id(), t.webhookUrl(), c.to().value()));
      if (t.batchId() != null && t.status() != c.to()) batches.add(t.batchId());
      if (t.generationRequestId() != null && t.status() != c.to()) requests.add(t.generationRequestId());
    }
    return Future.all(Credits.end(conn, ends), Credits.hold(conn, holds), WebhookOutbox.enqueue(conn, deliveries),
        BatchCounts.recount(conn, batches), RequestProgress.recount(conn, requests)).mapEmpty();
  }
}
