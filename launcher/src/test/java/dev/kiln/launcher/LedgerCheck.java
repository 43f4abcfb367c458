package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.testing.Sql;

/** What "the ledger always balances" means, checked against Postgres. */
final class LedgerCheck {
  private LedgerCheck() {}

  static void assertBalanced(Sql sql) throws Exception {
    // Per wallet: what was granted, less what was captured, is what is free plus what is held.
    assertEquals(0, sql.count("SELECT count(*) FROM wallets w WHERE w.balance + w.held <> "
        + "(SELECT coalesce(sum(CASE kind WHEN 'grant' THEN amount WHEN 'capture' THEN -amount ELSE 0 END), 0) "
        + "FROM credit_ledger l WHERE l.wallet_id = w.id)"), "grants - captures = balance + held, for every wallet");
    // Held is exactly the holds not yet captured or released.
    assertEquals(0, sql.count("SELECT count(*) FROM wallets w WHERE w.held <> (SELECT coalesce(sum(h.amount), 0) "
        + "FROM credit_ledger h WHERE h.wallet_id = w.id AND h.kind = 'hold' AND NOT EXISTS "
        + "(SELECT 1 FROM credit_ledger s WHERE s.hold_id = h.hold_id AND s.kind IN ('capture', 'release')))"),
        "held = open holds");
    // Every ended priced task's last hold is settled once: captured if it completed, else released.
    assertEquals(0, sql.count("SELECT count(*) FROM tasks t WHERE t.points_cost > 0 "
        + "AND t.status IN ('completed', 'failed', 'timeout', 'cancelled') AND 1 <> (SELECT count(*) FROM credit_ledger s "
        + "WHERE s.hold_id = t.wallet_hold_id AND s.kind = CASE WHEN t.status = 'completed' THEN 'capture' ELSE 'release' END)"),
        "each ended task's hold settled exactly once, the right way");
    assertEquals(0, sql.count("SELECT count(*) FROM tasks t WHERE t.points_cost > 0 "
        + "AND t.status IN ('pending', 'running', 'retrying') AND EXISTS (SELECT 1 FROM credit_ledger s "
        + "WHERE s.hold_id = t.wallet_hold_id AND s.kind IN ('capture', 'release'))"), "an open task's hold is still open");
  }
}
