import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { COIN } from './accounts.ts';
import { keyOf, type BalanceKey, type BalanceState, type Leg, type PlannedEntry } from './legs.ts';

const list = (items: SQL[]) => sql.join(items, sql`, `);

export async function insertAsset(db: Db, code: string, kind: 'currency' | 'card'): Promise<void> {
  await db.execute(sql`INSERT INTO ledger_assets (code, kind) VALUES (${code}, ${kind}) ON CONFLICT (code) DO NOTHING`);
}

export async function existingAssets(db: Db, codes: readonly string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const r = await db.execute<{ code: string }>(
    sql`SELECT code FROM ledger_assets WHERE code IN (${list(codes.map((c) => sql`${c}`))})`,
  );
  return new Set(r.rows.map((row) => row.code));
}

/** Creates the wallets (and their coin balances) that do not exist yet, in id order. */
export async function insertWallets(db: Db, userIds: readonly string[]): Promise<void> {
  const ids = [...new Set(userIds)].sort();
  if (ids.length === 0) return;
  await db.execute(sql`
    WITH created AS (
      INSERT INTO ledger_accounts (id, kind, owner_id)
      VALUES ${list(ids.map((id) => sql`(${id}::uuid, 'user', ${id}::uuid)`))}
      ON CONFLICT (id) DO NOTHING
      RETURNING id
    )
    INSERT INTO ledger_balances (account_id, asset) SELECT id, ${COIN} FROM created ORDER BY id`);
}

/** The escrow account for (purpose, reference), created when missing. */
export async function upsertEscrow(
  db: Db,
  e: { id: string; ownerId: string; purpose: string; reference: string },
): Promise<{ id: string; ownerId: string }> {
  const created = await db.execute<{ id: string; owner_id: string }>(sql`
    INSERT INTO ledger_accounts (id, kind, owner_id, purpose, reference)
    VALUES (${e.id}, 'escrow', ${e.ownerId}, ${e.purpose}, ${e.reference})
    ON CONFLICT (purpose, reference) WHERE kind = 'escrow' DO NOTHING
    RETURNING id, owner_id`);
  const row =
    created.rows[0] ??
    (
      await db.execute<{ id: string; owner_id: string }>(sql`
        SELECT id, owner_id FROM ledger_accounts
        WHERE kind = 'escrow' AND purpose = ${e.purpose} AND reference = ${e.reference}`)
    ).rows[0];
  if (!row) throw new Error('escrow account vanished');
  return { id: row.id, ownerId: row.owner_id };
}

export interface AccountRow {
  id: string;
  kind: 'user' | 'system' | 'escrow';
  code: string | null;
  ownerId: string | null;
  purpose: string | null;
  reference: string | null;
  mayGoNegative: boolean;
}

export async function findAccounts(db: Db, ids: readonly string[]): Promise<AccountRow[]> {
  if (ids.length === 0) return [];
  const r = await db.execute<{
    id: string;
    kind: AccountRow['kind'];
    code: string | null;
    owner_id: string | null;
    purpose: string | null;
    reference: string | null;
    may_go_negative: boolean;
  }>(sql`
    SELECT id, kind, code, owner_id, purpose, reference, may_go_negative FROM ledger_accounts
    WHERE id IN (${list([...new Set(ids)].map((id) => sql`${id}::uuid`))})`);
  return r.rows.map((a) => ({
    id: a.id,
    kind: a.kind,
    code: a.code,
    ownerId: a.owner_id,
    purpose: a.purpose,
    reference: a.reference,
    mayGoNegative: a.may_go_negative,
  }));
}

/**
 * Locks the existing balance rows among `keys` in the one global order (account id, then asset
 * in binary order) and returns them. Rows are locked in the order the sort produces them, so two
 * transactions touching the same balances never wait on each other in a cycle.
 */
export async function lockBalances(db: Db, keys: readonly BalanceKey[]): Promise<Map<string, BalanceState>> {
  const balances = new Map<string, BalanceState>();
  if (keys.length === 0) return balances;
  const r = await db.execute<{
    account_id: string;
    asset: string;
    available: bigint;
    held: bigint;
    may_go_negative: boolean;
  }>(sql`
    SELECT account_id, asset, available, held, may_go_negative FROM ledger_balances
    WHERE (account_id, asset) IN (${list(keys.map((k) => sql`(${k.accountId}::uuid, ${k.asset}::text)`))})
    ORDER BY account_id, asset COLLATE "C"
    FOR UPDATE`);
  for (const row of r.rows) {
    balances.set(keyOf(row.account_id, row.asset), {
      available: row.available,
      held: row.held,
      mayGoNegative: row.may_go_negative,
    });
  }
  return balances;
}

/** Creates missing balance rows (zero), taking each account's overdraft right with it. */
export async function createBalances(db: Db, keys: readonly BalanceKey[]): Promise<void> {
  if (keys.length === 0) return;
  await db.execute(sql`
    INSERT INTO ledger_balances (account_id, asset, may_go_negative)
    SELECT a.id, v.asset, a.may_go_negative
    FROM (VALUES ${list(keys.map((k, i) => sql`(${k.accountId}::uuid, ${k.asset}::text, ${i}::int)`))})
      AS v(account_id, asset, ord)
    JOIN ledger_accounts a ON a.id = v.account_id
    ORDER BY v.ord
    ON CONFLICT (account_id, asset) DO NOTHING`);
}

export interface NewTransfer {
  id: string;
  kind: string;
  reference: string | null;
  status: 'posted' | 'pending';
  memo: string | null;
  actorId: string | null;
  timeoutSeconds: number | null;
  legs: readonly Leg[];
}

export interface MovementWrite {
  transferId: string;
  phase: 'apply' | 'post' | 'void';
  /** Set when the movement creates the transfer. */
  create?: NewTransfer;
  /** Set when the movement resolves a pending transfer. */
  resolve?: 'posted' | 'voided';
  entries: readonly PlannedEntry[];
  deltas: readonly (BalanceKey & { available: bigint; held: bigint })[];
  /** The movement's audit INSERT, written by the same statement. */
  audit?: SQL;
}

/**
 * Writes one phase of a transfer in a single statement: the transfer and its legs when new, the
 * entries, the status change when resolving, the audit row and the balance updates. One round
 * trip keeps the balance locks short. The balances must already be locked by this transaction;
 * the CHECK constraints still stand behind the arithmetic.
 */
export async function writeMovement(db: Db, m: MovementWrite): Promise<{ createdAt: Date }> {
  const parts: SQL[] = [];
  const t = m.create;
  if (t) {
    const timeout = t.timeoutSeconds === null ? sql`NULL` : sql`now() + make_interval(secs => ${t.timeoutSeconds})`;
    parts.push(sql`t AS (
      INSERT INTO ledger_transfers (id, kind, reference, status, memo, actor_id, timeout_at)
      VALUES (${t.id}, ${t.kind}, ${t.reference}, ${t.status}, ${t.memo}, ${t.actorId}, ${timeout}))`);
    parts.push(sql`l AS (
      INSERT INTO ledger_transfer_legs (transfer_id, idx, from_account, to_account, asset, amount)
      VALUES ${list(
        t.legs.map(
          (leg, i) => sql`(${t.id}::uuid, ${i}, ${leg.from}::uuid, ${leg.to}::uuid, ${leg.asset}, ${leg.amount})`,
        ),
      )})`);
  }
  if (m.resolve) {
    parts.push(sql`r AS (
      UPDATE ledger_transfers SET status = ${m.resolve}, resolved_at = now()
      WHERE id = ${m.transferId} AND status = 'pending')`);
  }
  if (m.audit) parts.push(sql`a AS (${m.audit})`);
  parts.push(sql`e AS (
    INSERT INTO ledger_entries
      (transfer_id, phase, account_id, asset, available_delta, held_delta, available_after, held_after)
    VALUES ${list(
      m.entries.map(
        (e) =>
          sql`(${m.transferId}::uuid, ${m.phase}, ${e.accountId}::uuid, ${e.asset}, ${e.availableDelta}::bigint,
               ${e.heldDelta}::bigint, ${e.availableAfter}::bigint, ${e.heldAfter}::bigint)`,
      ),
    )})`);
  const r = await db.execute<{ now: Date }>(sql`
    WITH ${list(parts)}, b AS (
      UPDATE ledger_balances b SET available = b.available + v.available, held = b.held + v.held
      FROM (VALUES ${list(
        m.deltas.map((d) => sql`(${d.accountId}::uuid, ${d.asset}::text, ${d.available}::bigint, ${d.held}::bigint)`),
      )}) AS v(account_id, asset, available, held)
      WHERE b.account_id = v.account_id AND b.asset = v.asset)
    SELECT now() AS now`);
  return { createdAt: new Date(r.rows[0]?.now ?? Date.now()) };
}

export interface TransferRow {
  id: string;
  kind: string;
  reference: string | null;
  status: 'posted' | 'pending' | 'voided';
  memo: string | null;
  actorId: string | null;
  timeoutAt: Date | null;
  createdAt: Date;
  resolvedAt: Date | null;
  /** Pending and past its timeout (by the database clock). */
  expired: boolean;
}

export async function getTransfer(db: Db, id: string, opts: { lock?: boolean } = {}): Promise<TransferRow | undefined> {
  const r = await db.execute<{
    id: string;
    kind: string;
    reference: string | null;
    status: TransferRow['status'];
    memo: string | null;
    actor_id: string | null;
    timeout_at: Date | null;
    created_at: Date;
    resolved_at: Date | null;
    expired: boolean;
  }>(sql`
    SELECT id, kind, reference, status, memo, actor_id, timeout_at, created_at, resolved_at,
           (status = 'pending' AND timeout_at IS NOT NULL AND timeout_at <= now()) AS expired
    FROM ledger_transfers WHERE id = ${id}
    ${opts.lock ? sql`FOR UPDATE` : sql``}`);
  const t = r.rows[0];
  if (!t) return undefined;
  return {
    id: t.id,
    kind: t.kind,
    reference: t.reference,
    status: t.status,
    memo: t.memo,
    actorId: t.actor_id,
    timeoutAt: t.timeout_at,
    createdAt: t.created_at,
    resolvedAt: t.resolved_at,
    expired: t.expired,
  };
}

export async function getLegs(db: Db, transferId: string): Promise<Leg[]> {
  const r = await db.execute<{ from_account: string; to_account: string; asset: string; amount: bigint }>(sql`
    SELECT from_account, to_account, asset, amount FROM ledger_transfer_legs
    WHERE transfer_id = ${transferId} ORDER BY idx`);
  return r.rows.map((l) => ({ from: l.from_account, to: l.to_account, asset: l.asset, amount: l.amount }));
}

/** Pending transfers whose timeout has passed by `now` (the database clock when omitted). */
export async function expiredPending(db: Db, limit: number, now?: Date): Promise<string[]> {
  const r = await db.execute<{ id: string }>(sql`
    SELECT id FROM ledger_transfers
    WHERE status = 'pending' AND timeout_at <= ${now ? sql`${now.toISOString()}::timestamptz` : sql`now()`}
    ORDER BY timeout_at LIMIT ${limit}`);
  return r.rows.map((row) => row.id);
}

/** Adds `amount` to today's usage of `kind` by `accountId` and returns the new total. */
export async function addDailyUsage(db: Db, accountId: string, kind: string, amount: bigint): Promise<bigint> {
  const r = await db.execute<{ amount: bigint }>(sql`
    INSERT INTO ledger_daily_usage (account_id, kind, day, amount)
    VALUES (${accountId}, ${kind}, (now() AT TIME ZONE 'UTC')::date, ${amount})
    ON CONFLICT (account_id, kind, day) DO UPDATE SET amount = ledger_daily_usage.amount + EXCLUDED.amount
    RETURNING amount`);
  return r.rows[0]?.amount ?? amount;
}

/** What the account has used of `kind` today (UTC), without locking or counting anything. */
export async function dailyUsage(db: Db, accountId: string, kind: string): Promise<bigint> {
  const r = await db.execute<{ amount: bigint }>(sql`
    SELECT amount FROM ledger_daily_usage
    WHERE account_id = ${accountId} AND kind = ${kind} AND day = (now() AT TIME ZONE 'UTC')::date`);
  return BigInt(r.rows[0]?.amount ?? 0n);
}

export type BalanceRow = {
  asset: string;
  available: bigint;
  held: bigint;
};

export async function accountBalances(db: Db, accountId: string, asset?: string): Promise<BalanceRow[]> {
  const r = await db.execute<BalanceRow>(sql`
    SELECT asset, available, held FROM ledger_balances
    WHERE account_id = ${accountId} ${asset ? sql`AND asset = ${asset}` : sql``}
    ORDER BY asset COLLATE "C"`);
  return r.rows;
}

export interface BatchedTransfer {
  id: string;
  kind: string;
  reference: string | null;
  memo: string | null;
  actorId: string | null;
  legs: readonly Leg[];
  entries: readonly PlannedEntry[];
}

// One parameter per column (drizzle would expand a plain array into a list of parameters).
const texts = (values: readonly (string | null)[]) => sql`${sql.param([...values])}::text[]`;
const nums = (values: readonly bigint[]) => sql`${sql.param(values.map(String))}::bigint[]`;
const ints = (values: readonly number[]) => sql`${sql.param([...values])}::int[]`;

/**
 * Writes many posted transfers in one statement: the transfers, their legs and entries (each as
 * column arrays, so the statement's text does not grow with the batch), their audit rows and the
 * net balance change per locked balance. The balances must already be locked by this transaction.
 */
export async function writeMovements(
  db: Db,
  m: {
    transfers: readonly BatchedTransfer[];
    deltas: readonly (BalanceKey & { available: bigint; held: bigint })[];
    audit: SQL;
  },
): Promise<void> {
  const t = m.transfers;
  const legs = t.flatMap((tr) => tr.legs.map((leg, idx) => ({ id: tr.id, idx, leg })));
  const entries = t.flatMap((tr) => tr.entries.map((e) => ({ id: tr.id, e })));
  const d = m.deltas;
  await db.execute(sql`
    WITH t AS (
      INSERT INTO ledger_transfers (id, kind, reference, status, memo, actor_id)
      SELECT id, kind, reference, 'posted', memo, actor_id
      FROM unnest(${texts(t.map((x) => x.id))}::uuid[], ${texts(t.map((x) => x.kind))},
                  ${texts(t.map((x) => x.reference))}, ${texts(t.map((x) => x.memo))},
                  ${texts(t.map((x) => x.actorId))}::uuid[]) AS v(id, kind, reference, memo, actor_id)),
    l AS (
      INSERT INTO ledger_transfer_legs (transfer_id, idx, from_account, to_account, asset, amount)
      SELECT * FROM unnest(${texts(legs.map((x) => x.id))}::uuid[], ${ints(legs.map((x) => x.idx))},
                           ${texts(legs.map((x) => x.leg.from))}::uuid[], ${texts(legs.map((x) => x.leg.to))}::uuid[],
                           ${texts(legs.map((x) => x.leg.asset))}, ${nums(legs.map((x) => x.leg.amount))})),
    a AS (${m.audit}),
    e AS (
      INSERT INTO ledger_entries
        (transfer_id, phase, account_id, asset, available_delta, held_delta, available_after, held_after)
      SELECT v.transfer_id, 'apply', v.account_id, v.asset, v.ad, v.hd, v.aa, v.ha
      FROM unnest(${texts(entries.map((x) => x.id))}::uuid[], ${texts(entries.map((x) => x.e.accountId))}::uuid[],
                  ${texts(entries.map((x) => x.e.asset))}, ${nums(entries.map((x) => x.e.availableDelta))},
                  ${nums(entries.map((x) => x.e.heldDelta))}, ${nums(entries.map((x) => x.e.availableAfter))},
                  ${nums(entries.map((x) => x.e.heldAfter))})
        WITH ORDINALITY AS v(transfer_id, account_id, asset, ad, hd, aa, ha, ord)
      ORDER BY v.ord)
    UPDATE ledger_balances b SET available = b.available + v.available, held = b.held + v.held
    FROM unnest(${texts(d.map((x) => x.accountId))}::uuid[], ${texts(d.map((x) => x.asset))},
                ${nums(d.map((x) => x.available))}, ${nums(d.map((x) => x.held))}) AS v(account_id, asset, available, held)
    WHERE b.account_id = v.account_id AND b.asset = v.asset`);
}

/** The total (available + held) of `asset` over `accountIds`. */
export async function sumBalances(db: Db, accountIds: readonly string[], asset: string): Promise<bigint> {
  const r = await db.execute<{ total: string | null }>(sql`
    SELECT sum(available + held)::text AS total FROM ledger_balances
    WHERE account_id = ANY(${sql.param([...accountIds])}::uuid[]) AND asset = ${asset}`);
  return BigInt(r.rows[0]?.total ?? 0);
}

/**
 * Creates escrow accounts known to be new (fresh ids, unique purpose and reference) with a zero
 * balance row per asset they will hold, in one statement.
 */
export async function insertEscrows(
  db: Db,
  escrows: readonly { id: string; ownerId: string; purpose: string; reference: string; assets: readonly string[] }[],
): Promise<void> {
  if (escrows.length === 0) return;
  const rows = escrows.flatMap((e) => e.assets.map((asset) => ({ id: e.id, asset })));
  await db.execute(sql`
    WITH a AS (
      INSERT INTO ledger_accounts (id, kind, owner_id, purpose, reference)
      SELECT * FROM unnest(${texts(escrows.map((e) => e.id))}::uuid[], ${texts(escrows.map(() => 'escrow'))},
                           ${texts(escrows.map((e) => e.ownerId))}::uuid[], ${texts(escrows.map((e) => e.purpose))},
                           ${texts(escrows.map((e) => e.reference))})
      RETURNING id)
    INSERT INTO ledger_balances (account_id, asset)
    SELECT v.id, v.asset FROM unnest(${texts(rows.map((r) => r.id))}::uuid[], ${texts(rows.map((r) => r.asset))}) AS v(id, asset)
    JOIN a ON a.id = v.id`);
}
