import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../../test/helpers/db.ts';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { WISHLIST_LIMIT } from './collection-service.ts';
import { baseVariants } from './pack-repo.ts';
import { reconcile, systemBalance } from './ports.ts';
import { findSet, insertCards, variantsOf } from './repo.ts';
import { wishlist } from './tables.ts';
import {
  auth,
  balanceOf,
  createCatalog,
  createPack,
  createTestUser,
  expectStatus,
  grantCard,
  grantCoins,
  startCardsApp,
  type CreatedTestUser,
  type TestApp,
} from '../../../test/support/cards.ts';

/**
 * Print runs under real concurrency: many openings racing for the last copies must never mint
 * more than the run, and what the catalogue counts must equal what the ledger holds.
 */
describe.skipIf(!onPostgres)('racing for the last copies of a print run', () => {
  let t: TestApp;
  let admin: CreatedTestUser;
  let users: CreatedTestUser[];

  beforeAll(async () => {
    t = await startCardsApp();
    admin = await createTestUser(t, { role: 'admin' });
    users = await Promise.all([createTestUser(t), createTestUser(t), createTestUser(t)]);
    for (const u of users) await grantCoins(t.runtime.ctx.db, u.id, 100_000n);
  });
  afterAll(() => t?.close());

  async function race(setCode: string, maxSupply: number, slots: number, packsEach: number) {
    const { setId, ids } = await createCatalog(t, admin, { code: setCode, name: setCode }, [
      { name: `${setCode} Relic`, rarity: 'mythic', maxSupply },
    ]);
    const product = await createPack(t, admin, {
      name: `${setCode} pack`,
      price: 100,
      setIds: [setId],
      slots: Array.from({ length: slots }, () => ({ weights: { mythic: 1 } })),
    });
    for (const u of users) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/packs/${product.id}/purchase`,
        headers: auth(u),
        payload: { quantity: packsEach },
      });
      expectStatus(res, 201);
    }
    const attempts = users.flatMap((u) => Array.from({ length: packsEach }, () => u));
    const results = await Promise.all(
      attempts.map((u) =>
        t.app.inject({ method: 'POST', url: '/api/packs/open', headers: auth(u), payload: { packId: product.id } }),
      ),
    );
    const cardId = ids.get(`${setCode} Relic`) ?? '';
    const [base] = (await variantsOf(t.runtime.ctx.db, [cardId])).filter((v) => v.level === 0);
    if (!base) throw new Error('base variant missing');
    return { results, product, base };
  }

  it('two or more users never over-mint a print run, and supply matches the ledger', async () => {
    const { results, product, base } = await race('RACE', 4, 1, 3);
    const db = t.runtime.ctx.db;
    const codes = results.map((r) => (r.statusCode === 201 ? 'ok' : r.json<{ code: string }>().code));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(4);
    expect(codes.filter((c) => c !== 'ok')).toEqual([
      'pack_sold_out',
      'pack_sold_out',
      'pack_sold_out',
      'pack_sold_out',
      'pack_sold_out',
    ]);

    const held = await Promise.all(users.map((u) => balanceOf(db, u.id, base.asset)));
    const mint = { total: await systemBalance(db, 'mint', base.asset) };
    const [fresh] = (await variantsOf(db, [base.cardId])).filter((v) => v.level === 0);
    expect(held.reduce((a, b) => a + b, 0n)).toBe(4n);
    expect(mint?.total).toBe(-4n);
    expect(fresh?.minted).toBe(4n);
    // Failed openings kept their packs: every pack is either opened or still held.
    const packsLeft = await Promise.all(users.map((u) => balanceOf(db, u.id, product.asset)));
    expect(packsLeft.reduce((a, b) => a + b, 0n)).toBe(5n);
    expect((await reconcile(db)).ok).toBe(true);
  });

  it('packs that take several copies stop before the run is exceeded, never half-open', async () => {
    const { results, base } = await race('PAIR', 5, 2, 2);
    const db = t.runtime.ctx.db;
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(2);
    const held = await Promise.all(users.map((u) => balanceOf(db, u.id, base.asset)));
    expect(held.reduce((a, b) => a + b, 0n)).toBe(4n);
    const [fresh] = (await variantsOf(db, [base.cardId])).filter((v) => v.level === 0);
    expect(fresh?.minted).toBe(4n);
    expect((await reconcile(db)).ok).toBe(true);
  });
});

/** Resolves once another session of this database waits on a lock, or when `done()` turns true. */
async function someoneWaitsForALock(db: Db, done: () => boolean): Promise<void> {
  while (!done()) {
    const r = await db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    if ((r.rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.skipIf(!onPostgres)('catalogue and wishlist changes racing other writers', () => {
  let t: TestApp;
  let admin: CreatedTestUser;
  let user: CreatedTestUser;

  beforeAll(async () => {
    t = await startCardsApp();
    admin = await createTestUser(t, { role: 'admin' });
    user = await createTestUser(t);
  });
  afterAll(() => t?.close());

  it('a smaller print run waits for an opening in flight and is refused below what it minted', async () => {
    const { ids } = await createCatalog(t, admin, { code: 'CAP', name: 'Cap' }, [
      { name: 'Cap Relic', rarity: 'mythic', maxSupply: 10 },
    ]);
    const cardId = ids.get('Cap Relic') ?? '';
    const db = t.runtime.ctx.db;
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let minted = () => {};
    const mintedUnderLock = new Promise<void>((resolve) => (minted = resolve));
    // An opening's critical section: the print-run lock held while three copies are issued.
    const opening = withTransaction(db, async (tx) => {
      await baseVariants(tx, [cardId], true);
      await grantCard(tx, user.id, cardId, 3n);
      minted();
      await held;
    });
    await mintedUnderLock;
    let settled = false;
    const put = (async () => {
      try {
        return await t.app.inject({
          method: 'PUT',
          url: `/api/cards/${cardId}`,
          headers: auth(admin),
          payload: { maxSupply: 2 },
        });
      } finally {
        settled = true;
      }
    })();
    await someoneWaitsForALock(db, () => settled);
    release();
    await opening;
    expect(expectStatus(await put, 409).json()).toMatchObject({ code: 'max_supply_below_minted', minted: '3' });
    const [base] = await baseVariants(db, [cardId], false);
    expect(base).toMatchObject({ minted: 3n, maxSupply: 10n });
  });

  it('a wishlist never grows past its cap when additions race', async () => {
    const db = t.runtime.ctx.db;
    const { setId } = await createCatalog(t, admin, { code: 'WISH', name: 'Wishes' }, []);
    const set = await findSet(db, setId);
    if (!set) throw new Error('set missing');
    const rows = Array.from({ length: WISHLIST_LIMIT + 5 }, (_, i) => ({
      id: uuidv7(),
      setId,
      number: i + 1,
      name: `Wish ${i}`,
      rarity: 'common' as const,
      element: 'fire',
      price: 1n,
    }));
    await insertCards(db, rows, set);
    const full = rows.slice(0, WISHLIST_LIMIT - 1);
    await db.insert(wishlist).values(full.map((c) => ({ userId: user.id, cardId: c.id })));
    const results = await Promise.all(
      rows.slice(WISHLIST_LIMIT - 1).map((c) =>
        t.app.inject({
          method: 'PUT',
          url: '/api/collection/wishlist',
          headers: auth(user),
          payload: { cardId: c.id },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 400, 400, 400, 400, 400]);
    const count = await db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM ${wishlist} WHERE user_id = ${user.id}`,
    );
    expect(count.rows[0]?.n).toBe(WISHLIST_LIMIT);
  });
});
