import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../../test/helpers/db.ts';
import { SYSTEM_ACCOUNTS, balances, reconcile } from './ports.ts';
import { variantsOf } from './repo.ts';
import {
  auth,
  balanceOf,
  createCatalog,
  createPack,
  createTestUser,
  expectStatus,
  grantCoins,
  startCardsApp,
  type CreatedTestUser,
  type TestApp,
} from './test-support.ts';

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
    const [mint] = await balances(db, SYSTEM_ACCOUNTS.mint, base.asset);
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
