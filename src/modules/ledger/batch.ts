import { uuidv7 } from 'uuidv7';
import { auditInsertSql } from '../../platform/audit/index.ts';
import type { Db } from '../../platform/db/tx.ts';
import { ASSET_CODE, TRANSFER_KIND } from './accounts.ts';
import { InsufficientFundsError, InvalidTransferError, UnknownAccountError, UnknownAssetError } from './errors.ts';
import { keyOf, legProblems, lockOrder, planPhase, type BalanceKey, type BalanceState, type Leg } from './legs.ts';
import * as repo from './repo.ts';
import type { TransferInput } from './service.ts';

const SYSTEM_ACTOR = { type: 'system', id: null } as const;

/**
 * Many posted transfers in one transaction with one lock statement and one write statement: the
 * hot paths' way to move value (a batch of orders settles dozens of transfers at once).
 *
 * Every balance the batch may touch is locked up front, in the one global order (account id, then
 * asset), so two batches never wait on each other in a cycle. Each `add` plans its transfer against
 * the running balances in memory (so later transfers see earlier ones, exactly as sequential
 * `transfer` calls would) and refuses it with `insufficient_funds` without changing anything when a
 * balance would go below zero. `write` records all of them at once. A key outside the locked set
 * can still be locked later (`lock`); that one is taken out of order, so a deadlock with another
 * batch is possible there and aborts the transaction for its runner to retry.
 */
export class LedgerBatch {
  private readonly running = new Map<string, BalanceState>();
  private readonly locked = new Map<string, BalanceState>();
  private readonly movements: { id: string; input: TransferInput; entries: ReturnType<typeof planPhase>['entries'] }[] =
    [];

  private constructor(private readonly tx: Db) {}

  /** Opens a batch in `tx` with every balance of `keys` locked (missing ones created at zero). */
  static async open(tx: Db, keys: readonly BalanceKey[]): Promise<LedgerBatch> {
    const batch = new LedgerBatch(tx);
    await batch.lock(keys);
    return batch;
  }

  /** Locks the balances among `keys` not locked yet (creating missing ones), in the global order. */
  async lock(keys: readonly BalanceKey[]): Promise<void> {
    const wanted = sortKeys(keys.filter((k) => !this.locked.has(keyOf(k.accountId, k.asset))));
    if (wanted.length === 0) return;
    const found = await repo.lockBalances(this.tx, wanted);
    const missing = wanted.filter((k) => !found.has(keyOf(k.accountId, k.asset)));
    if (missing.length > 0) {
      const accounts = new Set(
        (
          await repo.findAccounts(
            this.tx,
            missing.map((k) => k.accountId),
          )
        ).map((a) => a.id),
      );
      const unknownAccount = missing.find((k) => !accounts.has(k.accountId));
      if (unknownAccount) throw new UnknownAccountError(unknownAccount.accountId);
      const assets = await repo.existingAssets(this.tx, [...new Set(missing.map((k) => k.asset))]);
      const unknownAsset = missing.find((k) => !assets.has(k.asset));
      if (unknownAsset) throw new UnknownAssetError(unknownAsset.asset);
      await repo.createBalances(this.tx, missing);
      for (const [k, v] of await repo.lockBalances(this.tx, missing)) found.set(k, v);
    }
    for (const [k, v] of found) {
      this.locked.set(k, v);
      this.running.set(k, { ...v });
    }
  }

  /**
   * Counts `keys` as zero balances that nobody else can see: balances of accounts this transaction
   * creates (`createEscrows`) before `write`. They need no lock.
   */
  assumeFresh(keys: readonly BalanceKey[]): void {
    for (const k of keys) {
      const key = keyOf(k.accountId, k.asset);
      if (this.locked.has(key)) continue;
      this.locked.set(key, { available: 0n, held: 0n, mayGoNegative: false });
      this.running.set(key, { available: 0n, held: 0n, mayGoNegative: false });
    }
  }

  /** A point to return to with `restore` (undoes the transfers added after it, in memory). */
  checkpoint(): { count: number; running: Map<string, BalanceState> } {
    return {
      count: this.movements.length,
      running: new Map([...this.running].map(([k, v]) => [k, { ...v }])),
    };
  }

  restore(point: { count: number; running: Map<string, BalanceState> }): void {
    this.movements.length = point.count;
    for (const [k, v] of this.running) {
      const back = point.running.get(k) ?? this.locked.get(k);
      if (back) Object.assign(v, back);
    }
  }

  /** Whether every balance `legs` touch is locked by this batch. */
  covers(legs: readonly Leg[]): boolean {
    return lockOrder(legs).every((k) => this.locked.has(keyOf(k.accountId, k.asset)));
  }

  /** The available balance as the batch's transfers so far leave it (0 when not locked). */
  available(accountId: string, asset: string): bigint {
    return this.running.get(keyOf(accountId, asset))?.available ?? 0n;
  }

  /**
   * Plans one posted transfer against the running balances and keeps it for `write`; throws
   * `insufficient_funds` (and keeps nothing) when a balance would go below zero. Returns its id.
   */
  add(input: TransferInput): string {
    const problems = legProblems(input.legs);
    if (!TRANSFER_KIND.test(input.kind)) problems.push(`kind ${input.kind} is not valid`);
    for (const leg of input.legs) if (!ASSET_CODE.test(leg.asset)) problems.push(`asset ${leg.asset} is not valid`);
    if (input.pending) problems.push('a batch records posted transfers only');
    if (problems.length > 0) throw new InvalidTransferError(`Invalid transfer: ${problems.join('; ')}`);
    if (!this.covers(input.legs)) throw new Error('transfer touches a balance the batch has not locked');
    const plan = planPhase('posted', input.legs, this.running);
    if (plan.shortfall) {
      const s = plan.shortfall;
      throw new InsufficientFundsError(s.asset, s.available, s.requested);
    }
    for (const e of plan.entries) {
      const b = this.running.get(keyOf(e.accountId, e.asset));
      if (b) {
        b.available = e.availableAfter;
        b.held = e.heldAfter;
      }
    }
    const id = input.id ?? uuidv7();
    this.movements.push({ id, input, entries: plan.entries });
    return id;
  }

  get size(): number {
    return this.movements.length;
  }

  /** Writes every transfer added so far (legs, entries, audit rows, balances) in one statement. */
  async write(): Promise<void> {
    if (this.movements.length === 0) return;
    const deltas = [...this.running].flatMap(([k, after]) => {
      const before = this.locked.get(k);
      if (!before) return [];
      const available = after.available - before.available;
      const held = after.held - before.held;
      if (available === 0n && held === 0n) return [];
      const [accountId = '', asset = ''] = k.split('|');
      return [{ accountId, asset, available, held }];
    });
    await repo.writeMovements(this.tx, {
      transfers: this.movements.map((m) => ({
        id: m.id,
        kind: m.input.kind,
        reference: m.input.reference ?? null,
        memo: m.input.memo ?? null,
        actorId: m.input.audit?.actor.type === 'user' ? m.input.audit.actor.id : null,
        legs: m.input.legs,
        entries: m.entries,
      })),
      deltas,
      audit: auditInsertSql(
        this.movements.map((m) => {
          const assets = new Set(m.input.legs.map((l) => l.asset));
          const single = assets.size === 1 ? [...assets][0] : null;
          return {
            actor: m.input.audit?.actor ?? SYSTEM_ACTOR,
            origin: m.input.audit?.origin,
            action: m.input.kind,
            target: { type: 'transfer', id: m.id },
            asset: single,
            amount: single ? m.input.legs.reduce((s, l) => s + l.amount, 0n) : null,
            details: {
              legs: m.input.legs.map((l) => ({ ...l, amount: l.amount.toString() })),
              reference: m.input.reference ?? null,
            },
          };
        }),
      ),
    });
    // Written: the locked state is now what the database holds.
    for (const [k, v] of this.running) this.locked.set(k, { ...v });
    this.movements.length = 0;
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortKeys(keys: readonly BalanceKey[]): BalanceKey[] {
  const seen = new Map<string, BalanceKey>();
  for (const k of keys) seen.set(keyOf(k.accountId, k.asset), k);
  return [...seen.values()].sort((a, b) => compare(a.accountId, b.accountId) || compare(a.asset, b.asset));
}
