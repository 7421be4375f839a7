import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { reconcile } from '../ledger/index.ts';
import { OrderBook, type IncomingOrder, type Side, type TimeInForce } from './engine/index.ts';
import { DEFAULT_MARKET_SETTINGS, placeOrder } from './service.ts';
import { createVariant, giveCards, grantCoins } from '../../../test/support/market.ts';

/*
 * The exchange loads only the part of a book an incoming order can reach. For random order streams
 * (limit and market, GTC/IOC/FOK, three traders so self-trades happen) the persisted exchange must
 * make exactly the fills, self-trade cancels and resting book that the pure engine makes with the
 * whole book in memory.
 */

let t: TestApp;
let admin: CreatedTestUser;
let traders: CreatedTestUser[];
const db = () => t.runtime.ctx.db;
let book = 0;

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error' } });
  admin = await createTestUser(t, { role: 'admin' });
  traders = await Promise.all([createTestUser(t), createTestUser(t), createTestUser(t)]);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

interface Step {
  trader: number;
  side: Side;
  type: 'limit' | 'market';
  timeInForce: TimeInForce;
  price: number;
  quantity: number;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  trader: fc.integer({ min: 0, max: 2 }),
  side: fc.constantFrom<Side>('buy', 'sell'),
  type: fc.constantFrom<'limit' | 'market'>('limit', 'limit', 'limit', 'market'),
  timeInForce: fc.constantFrom<TimeInForce>('GTC', 'GTC', 'IOC', 'FOK'),
  price: fc.integer({ min: 95, max: 105 }),
  quantity: fc.integer({ min: 1, max: 4 }),
});

async function tradesOf(takerOrderId: string) {
  const r = await db().execute<{ maker: string; price: string; quantity: string }>(sql`
    SELECT maker_order_id AS maker, price::text AS price, quantity::text AS quantity
    FROM market_trades WHERE taker_order_id = ${takerOrderId} ORDER BY ts, id`);
  return r.rows.map((x) => ({ maker: x.maker, price: BigInt(x.price), quantity: BigInt(x.quantity) }));
}

async function restingOf(variantId: string) {
  const r = await db().execute<{ id: string; side: Side; price: string; remaining: string }>(sql`
    SELECT id, side, price::text AS price, remaining::text AS remaining
    FROM market_orders WHERE variant_id = ${variantId} AND status = 'open' ORDER BY queue_seq`);
  return r.rows.map((x) => ({ id: x.id, side: x.side, price: BigInt(x.price), quantity: BigInt(x.remaining) }));
}

describe('matching on the reachable part of the book', () => {
  it('fills, cancels and rests exactly as the engine does on the whole book', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 10, maxLength: 30 }), async (steps) => {
        const { cardId } = await createVariant(t, admin, `PB${book++}`);
        let variantId = '';
        for (const trader of traders) {
          ({ variantId } = await giveCards(db(), trader.id, cardId, 1_000n));
          await grantCoins(db(), trader.id, 1_000_000n);
        }
        const engine = new OrderBook({ marketProtectionBps: DEFAULT_MARKET_SETTINGS.marketProtectionBps });
        for (const step of steps) {
          const trader = traders[step.trader] as CreatedTestUser;
          const order = await withTransaction(db(), (tx) =>
            placeOrder(tx, {
              userId: trader.id,
              variantId,
              side: step.side,
              type: step.type,
              timeInForce: step.timeInForce,
              price: step.type === 'limit' ? BigInt(step.price) : undefined,
              quantity: BigInt(step.quantity),
            }),
          );
          const incoming: IncomingOrder =
            step.type === 'limit'
              ? { ...common(order.id, trader.id, step), type: 'limit', price: BigInt(step.price) }
              : { ...common(order.id, trader.id, step), type: 'market' };
          const expected = engine.place(incoming);
          expect(await tradesOf(order.id)).toEqual(
            expected.fills.map((f) => ({ maker: f.makerOrderId, price: f.price, quantity: f.quantity })),
          );
          const closed = await db().execute<{ id: string }>(sql`
            SELECT id FROM market_orders WHERE variant_id = ${variantId} AND cancel_reason = 'self_trade'`);
          const engineCancels = expected.selfTradeCancels.map((c) => c.id);
          for (const id of engineCancels) expect(closed.rows.map((r) => r.id)).toContain(id);
          expect(order.status === 'open').toBe(expected.status === 'resting');
        }
        const snapshot = engine.snapshot();
        const resting = await restingOf(variantId);
        const bySide = (side: Side) =>
          resting.filter((o) => o.side === side).map(({ id, price, quantity }) => ({ id, price, quantity }));
        const fromEngine = (orders: readonly { id: string; price: bigint; quantity: bigint }[]) =>
          orders.map(({ id, price, quantity }) => ({ id, price, quantity }));
        const sortKey = (o: { id: string }) => o.id;
        expect(bySide('buy').sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(
          fromEngine(snapshot.bids).sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
        );
        expect(bySide('sell').sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(
          fromEngine(snapshot.asks).sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
        );
      }),
      { numRuns: 8 },
    );
    expect((await reconcile(db())).ok).toBe(true);
  }, 240_000);
});

function common(id: string, ownerId: string, step: Step) {
  return { id, ownerId, side: step.side, quantity: BigInt(step.quantity), timeInForce: step.timeInForce };
}
