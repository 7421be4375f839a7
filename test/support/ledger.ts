import { sql } from 'drizzle-orm';
import type { Db } from '../../src/platform/db/tx.ts';
import { COIN, SYSTEM_ACCOUNTS } from '../../src/modules/ledger/accounts.ts';
import * as ledger from '../../src/modules/ledger/service.ts';

/** Credits a user's wallet from the gateway, as a confirmed deposit would (test fixtures). */
export async function fund(db: Db, userId: string, amount: bigint): Promise<void> {
  const wallet = await ledger.ensureWallet(db, userId);
  await ledger.transfer(db, {
    kind: 'test.fund',
    legs: [{ from: SYSTEM_ACCOUNTS.gateway, to: wallet, asset: COIN, amount }],
  });
}

/** Rows in the tables a value-moving request writes, to prove a refused request wrote nothing. */
export async function writtenRows(db: Db) {
  const r = await db.execute<{
    transfers: number;
    entries: number;
    audit: number;
    keys: number;
    events: number;
    usage: number;
  }>(sql`
    SELECT (SELECT count(*) FROM ledger_transfers)::int AS transfers,
           (SELECT count(*) FROM ledger_entries)::int AS entries,
           (SELECT count(*) FROM platform_audit_log)::int AS audit,
           (SELECT count(*) FROM platform_idempotency_keys)::int AS keys,
           (SELECT count(*) FROM platform_outbox_events)::int AS events,
           (SELECT count(*) FROM ledger_daily_usage)::int AS usage`);
  return r.rows[0];
}

export async function coins(db: Db, userId: string) {
  const [b] = await ledger.balances(db, userId, COIN);
  return b ?? { asset: COIN, available: 0n, held: 0n, total: 0n };
}
