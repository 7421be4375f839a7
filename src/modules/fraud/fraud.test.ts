import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { COIN, reconcile } from '../ledger/index.ts';
import { auth, createVariant, giveCards, grantCoins, total } from '../../../test/support/market.ts';
import { fillReference, holdsFor, releaseDueHolds, screenFill } from './index.ts';
import { resolveFlag } from './service.ts';

let t: TestApp;
let admin: CreatedTestUser;
let moderator: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let carol: CreatedTestUser;
let dave: CreatedTestUser;
/** alice and bob trade `wash`; carol sells `priced` to dave. */
let wash: { variantId: string; asset: string };
let priced: { variantId: string; asset: string };
const db = () => t.runtime.ctx.db;

interface FlagJson {
  id: string;
  rule: string;
  severity: string;
  userIds: string[];
  reference: string;
  status: string;
  outcome: string | null;
  holds: { id: string; userId: string; amounts: { asset: string; amount: number }[]; releasedAt: string | null }[];
}

function order(user: CreatedTestUser, cardId: string, side: 'buy' | 'sell', price: number, quantity = 1) {
  return t.app.inject({
    method: 'POST',
    url: '/api/market/orders',
    headers: auth(user),
    payload: { cardId, side, type: 'limit', timeInForce: 'GTC', price, quantity },
  });
}

/** One fill of `quantity` at `price` from `seller` to `buyer`; returns the trade reference. */
async function trade(seller: CreatedTestUser, buyer: CreatedTestUser, cardId: string, price: number) {
  expectStatus(await order(seller, cardId, 'sell', price), 201);
  const bid = expectStatus(await order(buyer, cardId, 'buy', price), 201).json<{ status: string }>();
  expect(bid.status).toBe('filled');
  const r = await db().execute<{ id: string }>(
    sql`SELECT id FROM market_trades WHERE variant_id = ${cardId} ORDER BY ts DESC, id DESC LIMIT 1`,
  );
  return fillReference(r.rows[0]?.id ?? '');
}

function flags(user: CreatedTestUser | null, query = '') {
  return t.app.inject({
    method: 'GET',
    url: `/api/admin/fraud/flags${query}`,
    ...(user ? { headers: auth(user) } : {}),
  });
}

function resolve(user: CreatedTestUser | null, id: string, payload: unknown) {
  return t.app.inject({
    method: 'POST',
    url: `/api/admin/fraud/flags/${id}/resolve`,
    ...(user ? { headers: auth(user) } : {}),
    payload: payload as Record<string, unknown>,
  });
}

async function counts() {
  const r = await db().execute<{ flags: number; open: number; holds: number; released: number; audits: number }>(sql`
    SELECT (SELECT count(*) FROM fraud_flags)::int AS flags,
           (SELECT count(*) FROM fraud_flags WHERE status = 'open')::int AS open,
           (SELECT count(*) FROM fraud_holds)::int AS holds,
           (SELECT count(*) FROM fraud_holds WHERE released_at IS NOT NULL)::int AS released,
           (SELECT count(*) FROM platform_audit_log WHERE action = 'admin.fraud.resolve')::int AS audits`);
  return r.rows[0];
}

const escrowTotal = async (holdId: string, asset: string) => {
  const r = await db().execute<{ total: string }>(sql`
    SELECT coalesce(sum(b.available + b.held), 0)::text AS total
    FROM fraud_holds h JOIN ledger_balances b ON b.account_id = h.escrow_account_id
    WHERE h.id = ${holdId} AND b.asset = ${asset}`);
  return BigInt(r.rows[0]?.total ?? '0');
};

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error' } });
  [admin, moderator, alice, bob, carol, dave] = await Promise.all([
    createTestUser(t, { role: 'admin' }),
    createTestUser(t, { role: 'moderator' }),
    createTestUser(t),
    createTestUser(t),
    createTestUser(t),
    createTestUser(t),
  ]);
  const a = await createVariant(t, admin, 'FRW');
  wash = await giveCards(db(), alice.id, a.cardId, 5n);
  const b = await createVariant(t, admin, 'FRP');
  priced = await giveCards(db(), carol.id, b.cardId, 5n);
  for (const u of [alice, bob, dave]) await grantCoins(db(), u.id, 100_000n);
});

afterAll(async () => {
  await t?.close();
});

describe('fraud screens on the exchange', () => {
  it('flags two users trading the same card back and forth', async () => {
    await trade(alice, bob, wash.variantId, 100);
    await trade(bob, alice, wash.variantId, 100);
    expect((await counts())?.flags).toBe(0);
    const third = await trade(alice, bob, wash.variantId, 100);

    const page = expectStatus(await flags(admin, `?rule=wash_trading&user=${bob.id}`), 200).json<{
      items: FlagJson[];
    }>();
    expect(page.items).toEqual([
      expect.objectContaining({
        rule: 'wash_trading',
        severity: 'low',
        reference: third,
        status: 'open',
        holds: [],
      }),
    ]);
    expect(page.items[0]?.userIds.sort()).toEqual([alice.id, bob.id].sort());
    // Low severity: nothing is held, bob keeps the card he bought last.
    expect(await total(db(), bob.id, wash.asset)).toBe(1n);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('holds what the gaining side received from a fill priced far from the market, then releases it', async () => {
    await trade(carol, dave, priced.variantId, 100);
    const carolCoins = await total(db(), carol.id);
    // Six times the last price: carol's proceeds are held.
    const over = await trade(carol, dave, priced.variantId, 600);
    expect(await total(db(), carol.id)).toBe(carolCoins);
    // One sixth of it: dave's card is held.
    const under = await trade(carol, dave, priced.variantId, 100);
    expect(await total(db(), dave.id, priced.asset)).toBe(2n);

    // Each party sees only their own hold.
    const carols = await holdsFor(db(), [over, under], carol.id);
    const daves = await holdsFor(db(), [over, under], dave.id);
    expect(carols.get(over)).toMatchObject({ userId: carol.id, released: false });
    expect(carols.has(under)).toBe(false);
    expect(daves.get(under)).toMatchObject({ userId: dave.id, released: false });
    expect(daves.has(over)).toBe(false);
    const releaseAt = carols.get(over)?.releaseAt.getTime() ?? 0;
    expect(releaseAt).toBeGreaterThan(Date.now() + 71 * 3_600_000);
    expect(carols.get(over)?.reason).toMatch(/priced far/);

    const page = expectStatus(await flags(moderator, `?rule=price_far_from_reference&user=${carol.id}`), 200).json<{
      items: FlagJson[];
    }>();
    const overFlag = page.items.find((f) => f.reference === over);
    expect(overFlag).toMatchObject({ severity: 'high' });
    const hold = overFlag?.holds[0];
    expect(hold).toMatchObject({ userId: carol.id, amounts: [{ asset: COIN, amount: 600 }], releasedAt: null });
    expect(await escrowTotal(hold?.id ?? '', COIN)).toBe(600n);

    // Dave cannot sell the held card: only the one copy he has free is in his wallet.
    expectProblem(await order(dave, priced.variantId, 'sell', 100, 3), 409, 'insufficient_funds');
    const notes = await db().execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM notifications WHERE user_id = ${dave.id} AND type = 'fraud.hold'`,
    );
    expect(notes.rows[0]?.n).toBe(1);
    expect((await reconcile(db())).ok).toBe(true);

    // Not due yet: nothing moves. Past the release time: both come back.
    expect(await releaseDueHolds(db())).toBe(0);
    expect(await releaseDueHolds(db(), new Date(Date.now() + 73 * 3_600_000))).toBe(2);
    expect(await total(db(), carol.id)).toBe(carolCoins + 700n);
    expect(await total(db(), dave.id, priced.asset)).toBe(3n);
    expect(await escrowTotal(hold?.id ?? '', COIN)).toBe(0n);
    expect((await holdsFor(db(), [over], carol.id)).get(over)?.released).toBe(true);
    expect(await releaseDueHolds(db(), new Date(Date.now() + 73 * 3_600_000))).toBe(0);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('leaves nothing behind when the trade’s transaction rolls back', async () => {
    const before = await counts();
    const carolCoins = await total(db(), carol.id);
    await expect(
      withTransaction(db(), async (tx) => {
        const matches = await screenFill(tx, {
          tradeId: uuidv7(),
          variantId: priced.variantId,
          asset: priced.asset,
          price: 10_000n,
          quantity: 1n,
          buyerId: dave.id,
          sellerId: carol.id,
          sellerProceeds: 100n,
          at: new Date(),
        });
        expect(matches.map((m) => m.severity)).toContain('high');
        expect(await total(tx, carol.id)).toBe(carolCoins - 100n);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await counts()).toEqual(before);
    expect(await total(db(), carol.id)).toBe(carolCoins);
    expect((await reconcile(db())).ok).toBe(true);
  });
});

describe('admin fraud routes', () => {
  it('need a token; moderators and admins read flags, only admins resolve them', async () => {
    expectProblem(await flags(null), 401, 'unauthorized');
    expectProblem(await flags(alice), 403, 'forbidden');
    expectStatus(await flags(moderator), 200);
    expectStatus(await flags(admin), 200);
    const id = uuidv7();
    expectProblem(await resolve(null, id, { outcome: 'dismissed', note: 'ok' }), 401, 'unauthorized');
    expectProblem(await resolve(bob, id, { outcome: 'dismissed', note: 'ok' }), 403, 'forbidden');
    expectProblem(await resolve(moderator, id, { outcome: 'dismissed', note: 'ok' }), 403, 'forbidden');
  });

  it('pages newest first and filters by status', async () => {
    const all = expectStatus(await flags(admin, '?limit=100'), 200).json<{ items: FlagJson[] }>();
    expect(all.items.length).toBeGreaterThanOrEqual(3);
    const ids = all.items.map((f) => f.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    const first = expectStatus(await flags(admin, '?limit=2'), 200).json<{ items: FlagJson[]; nextCursor: string }>();
    expect(first.items.map((f) => f.id)).toEqual(ids.slice(0, 2));
    const second = expectStatus(await flags(admin, `?limit=2&cursor=${first.nextCursor}`), 200).json<{
      items: FlagJson[];
    }>();
    expect(second.items.map((f) => f.id)).toEqual(ids.slice(2, 4));
    expectStatus(await flags(admin, '?status=resolved'), 200);
    expectProblem(await flags(admin, '?cursor=nonsense'), 400, 'validation_failed');
    expectProblem(await flags(admin, '?status=closed'), 400, 'validation_failed');
    expectProblem(await flags(admin, '?user=not-a-uuid'), 400, 'validation_failed');
  });

  it('resolves a flag once, releasing its holds when dismissed, and audits it', async () => {
    // A fresh severe case to dismiss: bob buys from alice far above the market.
    const ref = await trade(alice, bob, wash.variantId, 900);
    const aliceCoins = await total(db(), alice.id);
    const flag = expectStatus(await flags(admin, `?rule=price_far_from_reference&user=${alice.id}`), 200)
      .json<{ items: FlagJson[] }>()
      .items.find((f) => f.reference === ref);
    expect(flag?.holds).toHaveLength(1);
    const id = flag?.id ?? '';

    const before = await counts();
    for (const bad of [
      { outcome: 'maybe', note: 'x' },
      { outcome: 'dismissed' },
      { outcome: 'dismissed', note: 'x', extra: 1 },
    ]) {
      const res = await resolve(admin, id, bad);
      expectProblem(res, 400, 'validation_failed');
    }
    expect(await counts()).toEqual(before);

    expectProblem(await resolve(admin, uuidv7(), { outcome: 'dismissed', note: 'ok' }), 404, 'not_found');
    // A party to the flagged trade never resolves it, whatever their role.
    await expect(
      resolveFlag(db(), { id, outcome: 'dismissed', note: 'mine', actorId: alice.id }),
    ).rejects.toMatchObject({ status: 403 });
    expect(await counts()).toEqual(before);
    const done = expectStatus(await resolve(admin, id, { outcome: 'dismissed', note: 'Known collectors' }), 200);
    expect(done.json()).toMatchObject({ status: 'resolved', outcome: 'dismissed', note: 'Known collectors' });
    expect(done.json<FlagJson>().holds[0]?.releasedAt).not.toBeNull();
    expect(await total(db(), alice.id)).toBe(aliceCoins + 900n);
    const after = await counts();
    expect(after).toMatchObject({ open: (before?.open ?? 0) - 1, audits: (before?.audits ?? 0) + 1 });
    expectProblem(await resolve(admin, id, { outcome: 'confirmed', note: 'again' }), 409, 'flag_resolved');

    // Confirming keeps the holds until their release time: bob then buys far below the market.
    const cheap = await trade(alice, bob, wash.variantId, 100);
    const bobCards = await total(db(), bob.id, wash.asset);
    const second = expectStatus(await flags(admin, `?rule=price_far_from_reference&user=${bob.id}`), 200)
      .json<{ items: FlagJson[] }>()
      .items.find((f) => f.reference === cheap);
    expect(second?.holds).toMatchObject([{ userId: bob.id, amounts: [{ asset: wash.asset, amount: 1 }] }]);
    const kept = expectStatus(
      await resolve(admin, second?.id ?? '', { outcome: 'confirmed', note: 'Value transfer' }),
      200,
    );
    expect(kept.json<FlagJson>()).toMatchObject({ outcome: 'confirmed', holds: [{ releasedAt: null }] });
    expect(await total(db(), bob.id, wash.asset)).toBe(bobCards);
    const resolved = expectStatus(await flags(admin, '?status=resolved'), 200).json<{ items: FlagJson[] }>();
    expect(resolved.items.map((f) => f.id)).toContain(id);
    expect((await reconcile(db())).ok).toBe(true);
  });
});
