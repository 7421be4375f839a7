import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { onPostgres } from '../../../test/helpers/db.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { reconcile } from '../ledger/index.ts';
import { placeBatch, type BookState } from './batch.ts';
import { BookWriter } from './book-writer.ts';
import type { Side, TimeInForce } from './engine/index.ts';
import { DEFAULT_MARKET_SETTINGS, placeOrder, type PlaceOrderInput } from './service.ts';
import { createVariant, giveCards, grantCoins } from '../../../test/support/market.ts';

/*
 * The batch path (orders of one book settled together, matched on a book kept in memory) must do
 * exactly what the reference path (one `placeOrder` per transaction on the book loaded from the
 * database) does: same fills, same cancels, same fees, same book, and a ledger that reconciles.
 */

let t: TestApp;
let admin: CreatedTestUser;
let traders: CreatedTestUser[];
const db = () => t.runtime.ctx.db;
let books = 0;

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error' } });
  admin = await createTestUser(t, { role: 'admin' });
  traders = await Promise.all([createTestUser(t), createTestUser(t), createTestUser(t)]);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function fundedBook(code: string): Promise<string> {
  const { cardId } = await createVariant(t, admin, code);
  let variantId = '';
  for (const trader of traders) {
    ({ variantId } = await giveCards(db(), trader.id, cardId, 1_000n));
    await grantCoins(db(), trader.id, 1_000_000n);
  }
  return variantId;
}

interface Step {
  trader: number;
  side: Side;
  type: 'limit' | 'market';
  timeInForce: TimeInForce;
  price: number;
  quantity: number;
  /** Closes the batch after this order (the batch path only). */
  cut: boolean;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  trader: fc.integer({ min: 0, max: 2 }),
  side: fc.constantFrom<Side>('buy', 'sell'),
  type: fc.constantFrom<'limit' | 'market'>('limit', 'limit', 'limit', 'market'),
  timeInForce: fc.constantFrom<TimeInForce>('GTC', 'GTC', 'IOC', 'FOK'),
  price: fc.integer({ min: 95, max: 105 }),
  quantity: fc.integer({ min: 1, max: 4 }),
  cut: fc.boolean(),
});

const inputOf = (variantId: string, s: Step): PlaceOrderInput => ({
  userId: (traders[s.trader] as CreatedTestUser).id,
  variantId,
  side: s.side,
  type: s.type,
  timeInForce: s.timeInForce,
  price: s.type === 'limit' ? BigInt(s.price) : undefined,
  quantity: BigInt(s.quantity),
});

/** What a book's orders and trades came to, with order ids replaced by their step number. */
async function outcomeOf(variantId: string, ids: readonly string[]) {
  const index = new Map(ids.map((id, i) => [id, i]));
  const orders = await db().execute<{
    id: string;
    status: string;
    cancel_reason: string | null;
    remaining: string;
    filled: string;
    notional: string;
    fee: string;
    escrow: string;
  }>(sql`
    SELECT o.id, o.status, o.cancel_reason, o.remaining::text, o.filled_quantity::text AS filled,
           o.filled_notional::text AS notional, o.fee_paid::text AS fee,
           coalesce((SELECT sum(available + held) FROM ledger_balances b WHERE b.account_id = o.escrow_account_id), 0)::text AS escrow
    FROM market_orders o WHERE o.variant_id = ${variantId}`);
  const trades = await db().execute<{ maker: string; taker: string; price: string; quantity: string; fee: string }>(sql`
    SELECT maker_order_id AS maker, taker_order_id AS taker, price::text, quantity::text,
           (buyer_fee + seller_fee)::text AS fee
    FROM market_trades WHERE variant_id = ${variantId}`);
  return {
    orders: orders.rows
      .map(({ id, ...rest }) => ({ step: index.get(id), ...rest }))
      .sort((a, b) => (a.step ?? -1) - (b.step ?? -1)),
    trades: trades.rows
      .map((r) => ({
        maker: index.get(r.maker),
        taker: index.get(r.taker),
        price: r.price,
        quantity: r.quantity,
        fee: r.fee,
      }))
      .sort((a, b) => (a.taker ?? -1) - (b.taker ?? -1) || (a.maker ?? -1) - (b.maker ?? -1)),
  };
}

/** Runs the steps through `placeBatch`, cutting batches where the steps say, keeping the book between them. */
async function runBatched(variantId: string, steps: readonly Step[]): Promise<(string | null)[]> {
  const ids: (string | null)[] = [];
  let kept: BookState | undefined;
  let batch: Step[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const inputs = batch.map((s) => inputOf(variantId, s));
    batch = [];
    const { outcomes, state } = await withTransaction(db(), (tx) =>
      placeBatch(tx, variantId, inputs, DEFAULT_MARKET_SETTINGS, kept),
    );
    kept = state;
    for (const o of outcomes) ids.push(o.ok ? o.order.id : null);
  };
  for (const s of steps) {
    batch.push(s);
    if (s.cut) await flush();
  }
  await flush();
  return ids;
}

async function runReference(variantId: string, steps: readonly Step[]): Promise<(string | null)[]> {
  const ids: (string | null)[] = [];
  for (const s of steps) {
    try {
      const order = await withTransaction(db(), (tx) => placeOrder(tx, inputOf(variantId, s), DEFAULT_MARKET_SETTINGS));
      ids.push(order.id);
    } catch {
      ids.push(null);
    }
  }
  return ids;
}

describe('the batch path', () => {
  it('fills, cancels, charges and rests exactly as one order per transaction does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 24 }), async (steps) => {
        const n = books++;
        const batched = await fundedBook(`BA${n}`);
        const reference = await fundedBook(`BR${n}`);
        const batchIds = await runBatched(batched, steps);
        const referenceIds = await runReference(reference, steps);
        expect(batchIds.map((id) => id !== null)).toEqual(referenceIds.map((id) => id !== null));
        const a = await outcomeOf(
          batched,
          batchIds.filter((id): id is string => id !== null),
        );
        const b = await outcomeOf(
          reference,
          referenceIds.filter((id): id is string => id !== null),
        );
        expect(a).toEqual(b);
      }),
      { numRuns: 6 },
    );
    expect((await reconcile(db())).ok).toBe(true);
  }, 240_000);

  it('refuses an order it cannot fund without touching the others in its batch', async () => {
    const variantId = await fundedBook(`BF${books++}`);
    const poor = await createTestUser(t);
    const rich = traders[0] as CreatedTestUser;
    const { outcomes } = await withTransaction(db(), (tx) =>
      placeBatch(
        tx,
        variantId,
        [
          { userId: rich.id, variantId, side: 'sell', type: 'limit', timeInForce: 'GTC', price: 100n, quantity: 2n },
          { userId: poor.id, variantId, side: 'buy', type: 'limit', timeInForce: 'GTC', price: 100n, quantity: 1n },
          { userId: rich.id, variantId, side: 'sell', type: 'limit', timeInForce: 'GTC', price: 0n, quantity: 1n },
          {
            userId: (traders[1] as CreatedTestUser).id,
            variantId,
            side: 'buy',
            type: 'limit',
            timeInForce: 'GTC',
            price: 100n,
            quantity: 1n,
          },
        ],
        DEFAULT_MARKET_SETTINGS,
        undefined,
      ),
    );
    expect(outcomes.map((o) => (o.ok ? o.order.status : (o.error as { code?: string }).code))).toEqual([
      'open',
      'insufficient_funds',
      'invalid_price',
      'filled',
    ]);
    const rows = await db().execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM market_orders WHERE variant_id = ${variantId}`,
    );
    expect(rows.rows[0]?.n).toBe(2);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('sees what another process changed in the book before matching on its kept copy', async () => {
    const variantId = await fundedBook(`BX${books++}`);
    // Two writers are what two API processes have: each keeps its own copy of the book.
    const one = new BookWriter(db());
    const two = new BookWriter(db());
    const [alice, bob] = traders as [CreatedTestUser, CreatedTestUser];
    const order = (userId: string, side: Side, price: bigint): PlaceOrderInput => ({
      userId,
      variantId,
      side,
      type: 'limit',
      timeInForce: 'GTC',
      price,
      quantity: 1n,
    });
    // Both writers keep a copy, then each changes the book the other kept.
    await one.place(order(alice.id, 'buy', 90n));
    await two.place(order(alice.id, 'buy', 91n));
    const sell = await one.place(order(bob.id, 'sell', 100n));
    expect(sell.order.status).toBe('open');
    const taken = await two.place(order(alice.id, 'buy', 100n));
    expect(taken.order.status).toBe('filled');
    // A cancel through the reference path (its own transaction) also invalidates both copies.
    const resting = await two.place(order(bob.id, 'sell', 101n));
    const { cancelOrder } = await import('./service.ts');
    await withTransaction(db(), (tx) => cancelOrder(tx, bob.id, resting.order.id));
    const after = await one.place(order(alice.id, 'buy', 101n));
    expect(after.order.status).toBe('open');
    expect((await reconcile(db())).ok).toBe(true);
  });
});

describe('many books at once on PostgreSQL', () => {
  it.skipIf(!onPostgres)(
    'never deadlock when takers in one book are makers in others, across two writers',
    async () => {
      const variants = await Promise.all(Array.from({ length: 6 }, (_, i) => fundedBook(`BL${books++}-${i}`)));
      const writers = [new BookWriter(db()), new BookWriter(db())];
      const deadlocks = async (d: Db) => {
        const r = await d.execute<{ n: string }>(
          sql`SELECT deadlocks::text AS n FROM pg_stat_database WHERE datname = current_database()`,
        );
        return Number(r.rows[0]?.n ?? 0);
      };
      const before = await deadlocks(db());
      const placed = [];
      // Every trader buys and sells in every book at once: each batch credits wallets that other
      // books' batches debit, the cycle that deadlocks when locks are taken in two steps.
      for (let round = 0; round < 8; round += 1) {
        for (const [b, variantId] of variants.entries()) {
          for (const [i, trader] of traders.entries()) {
            const side: Side = (round + b + i) % 2 === 0 ? 'buy' : 'sell';
            const writer = writers[(round + i) % 2] as BookWriter;
            placed.push(
              writer.place({
                userId: trader.id,
                variantId,
                side,
                type: 'limit',
                timeInForce: 'GTC',
                price: 100n,
                quantity: 1n,
              }),
            );
          }
        }
      }
      const results = await Promise.allSettled(placed);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(await deadlocks(db())).toBe(before);
      expect((await reconcile(db())).ok).toBe(true);
    },
    120_000,
  );
});
