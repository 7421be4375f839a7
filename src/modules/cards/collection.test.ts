import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COIN } from './ports.ts';
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

let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let ids: Map<string, string>;
let betaSetId: string;
const id = (name: string) => ids.get(name) ?? '';

const get = (url: string, user?: CreatedTestUser) =>
  t.app.inject({ method: 'GET', url, headers: user ? auth(user) : {} });
const upgrade = (user: CreatedTestUser, cardId: string, from: string) =>
  t.app.inject({ method: 'POST', url: `/api/cards/${cardId}/upgrade`, headers: auth(user), payload: { from } });

beforeAll(async () => {
  t = await startCardsApp();
  [admin, alice, bob] = await Promise.all([createTestUser(t, { role: 'admin' }), createTestUser(t), createTestUser(t)]);
  ({ ids } = await createCatalog(t, admin, { code: 'AAA', name: 'Alpha' }, [
    { name: 'Ant', rarity: 'common' },
    { name: 'Bee', rarity: 'common' },
    { name: 'Cat', rarity: 'rare', maxLevel: 1 },
  ]));
  const beta = await createCatalog(t, admin, { code: 'BBB', name: 'Beta' }, [
    { name: 'Dog', rarity: 'epic' },
    { name: 'Eel', rarity: 'common' },
  ]);
  ids = new Map([...ids, ...beta.ids]);
  betaSetId = beta.setId;
  const db = t.runtime.ctx.db;
  await grantCoins(db, alice.id, 10_000n);
  await grantCard(db, alice.id, id('Ant'), 7n);
  await grantCard(db, alice.id, id('Cat'), 3n);
  await grantCard(db, alice.id, id('Dog'), 1n);
  await grantCard(db, bob.id, id('Ant'), 1n);
});
afterAll(() => t?.close());

describe('upgrades', () => {
  it('publish recipes and odds per card', async () => {
    const info = expectStatus(await get(`/api/cards/${id('Ant')}/upgrade`), 200).json();
    expect(info.recipes.map((r: { from: string; to: string }) => `${r.from}>${r.to}`)).toEqual([
      'base>foil',
      'foil>holo',
      'holo>gold',
    ]);
    expect(info.recipes[0]).toMatchObject({ copies: 3, fee: 100, successBps: 10_000, successChance: 1 });
    const cat = expectStatus(await get(`/api/cards/${id('Cat')}/upgrade`), 200).json();
    expect(cat.recipes).toHaveLength(1);
    expectStatus(await get(`/api/cards/${uuidv7()}/upgrade`), 404);
  });

  it('burns copies and the fee and mints the next level, through the ledger', async () => {
    const db = t.runtime.ctx.db;
    const res = expectStatus(await upgrade(alice, id('Ant'), 'base'), 201).json();
    expect(res).toMatchObject({ from: 'base', to: 'foil', success: true, copiesBurned: 3, fee: 100 });
    expect(res.roll).toBeLessThan(10_000);
    expect(res.proof.commitment).toMatch(/^[0-9a-f]{64}$/);
    const card = expectStatus(await get(`/api/cards/${id('Ant')}`), 200).json();
    const asset = (v: string) => card.variants.find((x: { variant: string }) => x.variant === v).asset;
    expect(await balanceOf(db, alice.id, asset('base'))).toBe(4n);
    expect(await balanceOf(db, alice.id, asset('foil'))).toBe(1n);
    expect(await balanceOf(db, alice.id, COIN)).toBe(9_900n);
  });

  it('changes nothing when copies are missing or the level is the last one', async () => {
    const short = expectStatus(await upgrade(bob, id('Ant'), 'base'), 409).json();
    expect(short).toMatchObject({ code: 'not_enough_copies', needed: '3', owned: '1' });
    expect(expectStatus(await upgrade(alice, id('Cat'), 'foil'), 409).json().code).toBe('upgrade_unavailable');
    expectStatus(await upgrade(alice, id('Ant'), 'chrome'), 400);
    expectStatus(await upgrade(alice, uuidv7(), 'base'), 404);
    const commitment = expectStatus(await get('/api/fairness/commitment', bob), 200).json();
    expect(commitment.nonce).toBe(0);
  });

  it('verifies an upgrade roll after rotation', async () => {
    const res = expectStatus(await upgrade(alice, id('Cat'), 'base'), 201).json();
    expectStatus(await t.app.inject({ method: 'POST', url: '/api/fairness/rotate', headers: auth(alice) }), 200);
    const verified = expectStatus(await get(`/api/fairness/verify/${res.id}`, alice), 200).json();
    expect(verified).toMatchObject({ kind: 'upgrade', valid: true, upgrade: { roll: res.roll, success: res.success } });
  });
});

describe('collection', () => {
  it('lists holdings with quantities per variant, with the catalogue filters', async () => {
    const page = expectStatus(await get('/api/collection?sort=name', alice), 200).json();
    const byName = Object.fromEntries(
      page.items.map((i: { card: { name: string }; quantity: number; holdings: unknown[] }) => [i.card.name, i]),
    );
    expect(Object.keys(byName)).toEqual(['Ant', 'Cat', 'Dog']);
    expect(byName.Ant.quantity).toBe(5);
    expect(byName.Ant.holdings.map((h: { variant: string; quantity: number }) => [h.variant, h.quantity])).toEqual([
      ['base', 4],
      ['foil', 1],
    ]);
    // Each holding names its variant id, the one the card itself lists for that level.
    for (const item of page.items as {
      card: { variants: { id: string; variant: string }[] };
      holdings: { variantId: string; variant: string }[];
    }[]) {
      for (const h of item.holdings) {
        expect(item.card.variants.find((v) => v.variant === h.variant)?.id).toBe(h.variantId);
      }
    }
    expect(page.totals).toEqual({ distinctCards: 3, copies: byName.Ant.quantity + byName.Cat.quantity + 1 });
    // Both were upgraded above: every Cat copy became one foil.
    expect(byName.Cat.holdings.map((h: { variant: string; quantity: number }) => [h.variant, h.quantity])).toEqual([
      ['foil', 1],
    ]);
    const foil = expectStatus(await get('/api/collection?variant=foil', alice), 200).json();
    expect(foil.items.map((i: { card: { name: string } }) => i.card.name)).toEqual(['Ant', 'Cat']);
    const base = expectStatus(await get('/api/collection?variant=base', alice), 200).json();
    expect(base.items.map((i: { card: { name: string } }) => i.card.name)).toEqual(['Ant', 'Dog']);
    const epic = expectStatus(await get('/api/collection?rarity=epic', alice), 200).json();
    expect(epic.items.map((i: { card: { name: string } }) => i.card.name)).toEqual(['Dog']);
    expectStatus(await get('/api/collection?owned=true', alice), 400);
    expectStatus(await get('/api/collection'), 401);
  });

  it('counts set completion from distinct cards owned', async () => {
    const sets = expectStatus(await get('/api/collection/sets', alice), 200).json();
    const byCode = Object.fromEntries(sets.items.map((s: { set: { code: string } }) => [s.set.code, s]));
    expect(byCode.AAA).toMatchObject({ ownedCards: 2, totalCards: 3, complete: false });
    expect(byCode.AAA.completion).toBeCloseTo(2 / 3, 12);
    expect(byCode.BBB).toMatchObject({ ownedCards: 1, totalCards: 2 });
  });

  it('keeps a wishlist per user', async () => {
    const put = (user: CreatedTestUser, payload: object) =>
      t.app.inject({ method: 'PUT', url: '/api/collection/wishlist', headers: auth(user), payload });
    expectStatus(await put(alice, { cardId: id('Eel'), note: 'for the set' }), 200);
    const list = expectStatus(await put(alice, { cardId: id('Dog'), variant: 'gold' }), 200).json();
    expect(list.items.map((i: { card: { name: string } }) => i.card.name)).toEqual(['Eel', 'Dog']);
    expect(list.items[1]).toMatchObject({ variant: 'gold', owned: 1 });
    expectStatus(await put(alice, { cardId: id('Eel'), note: 'soon' }), 200);
    expect(expectStatus(await get('/api/collection/wishlist', bob), 200).json().items).toEqual([]);
    expectStatus(await put(alice, { cardId: uuidv7() }), 404);
    const del = (cardId: string) =>
      t.app.inject({ method: 'DELETE', url: `/api/collection/wishlist?cardId=${cardId}`, headers: auth(alice) });
    const after = expectStatus(await del(id('Eel')), 200).json();
    expect(after.items.map((i: { card: { name: string } }) => i.card.name)).toEqual(['Dog']);
    expectStatus(await del(id('Eel')), 404);
    expectStatus(await t.app.inject({ method: 'DELETE', url: '/api/collection/wishlist', headers: auth(alice) }), 400);
  });

  it('shows a collection to others only when its owner made it public', async () => {
    expectStatus(await get(`/api/users/nobody_here/collection`), 404);
    const profile = await t.app.inject({
      method: 'PUT',
      url: '/api/users/profile',
      headers: auth(alice),
      payload: { collectionVisibility: 'public' },
    });
    expectStatus(profile, 200);
    const shown = expectStatus(await get(`/api/users/${alice.username}/collection`), 200).json();
    expect(shown.items.map((i: { card: { name: string } }) => i.card.name).sort()).toEqual(['Ant', 'Cat', 'Dog']);
    await t.app.inject({
      method: 'PUT',
      url: '/api/users/profile',
      headers: auth(alice),
      payload: { collectionVisibility: 'private' },
    });
    expect(expectStatus(await get(`/api/users/${alice.username}/collection`), 403).json().code).toBe(
      'collection_private',
    );
  });
});

describe('card stats and history', () => {
  it('reports minted and circulating supply from the ledger, and pulls against the odds', async () => {
    const product = await createPack(t, admin, {
      name: 'Only ants',
      price: 100,
      slots: [{ weights: { common: 1 } }],
      setIds: [],
    });
    expectStatus(
      await t.app.inject({
        method: 'POST',
        url: `/api/packs/${product.id}/purchase`,
        headers: auth(alice),
        payload: { quantity: 4 },
      }),
      201,
    );
    let antPulls = 0;
    for (let i = 0; i < 4; i++) {
      const o = expectStatus(
        await t.app.inject({
          method: 'POST',
          url: '/api/packs/open',
          headers: auth(alice),
          payload: { packId: product.id },
        }),
        201,
      ).json();
      antPulls += o.cards.filter((c: { card: { id: string } }) => c.card.id === id('Ant')).length;
    }
    const stats = expectStatus(await get(`/api/cards/${id('Ant')}/stats`), 200).json();
    const base = stats.variants.find((v: { variant: string }) => v.variant === 'base');
    expect(base).toEqual(expect.objectContaining({ minted: 8 + antPulls, circulating: 5 + antPulls, burned: 3 }));
    expect(stats.variants.find((v: { variant: string }) => v.variant === 'foil')).toMatchObject({
      minted: 1,
      circulating: 1,
    });
    expect(stats.holders).toBe(2);
    expect(base.holders).toBe(2);
    expect(stats.pulls.observed).toBe(antPulls);
    // Three commons share one slot: a third of a pull per opening.
    expect(stats.pulls.expected).toBeCloseTo(4 / 3, 12);
    expect(stats.pulls.byPack).toEqual([
      { packId: product.id, name: 'Only ants', openings: 4, observed: antPulls, expected: stats.pulls.expected },
    ]);
    expect(stats.pulls.pValue).toBeGreaterThan(0);
    expectStatus(await get(`/api/cards/${uuidv7()}/stats`), 404);

    const history = expectStatus(await get(`/api/cards/${id('Ant')}/history`), 200).json();
    const totals = history.items.reduce(
      (s: { pulled: number; burned: number }, r: { pulled: number; burned: number }) => ({
        pulled: s.pulled + r.pulled,
        burned: s.burned + r.burned,
      }),
      { pulled: 0, burned: 0 },
    );
    expect(totals).toEqual({ pulled: antPulls, burned: 3 });
    expect(JSON.stringify(history)).not.toContain(alice.id);
    expectStatus(await get(`/api/cards/${id('Ant')}/history?bucket=year`), 400);
    const backwards = await get(`/api/cards/${id('Ant')}/history?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z`);
    expect(expectStatus(backwards, 400).json().errors[0].field).toBe('query.from');
  });

  it('serves stats from a short-lived cache that catalogue changes drop', async () => {
    const product = await createPack(t, admin, {
      name: 'Beta epics',
      price: 100,
      slots: [{ weights: { epic: 1 } }],
      setIds: [betaSetId],
    });
    const buy = { method: 'POST', url: `/api/packs/${product.id}/purchase`, headers: auth(alice) } as const;
    expectStatus(await t.app.inject({ ...buy, payload: { quantity: 1 } }), 201);
    const open = { method: 'POST', url: '/api/packs/open', headers: auth(alice) } as const;
    expectStatus(await t.app.inject({ ...open, payload: { packId: product.id } }), 201);

    const first = expectStatus(await get(`/api/cards/${id('Dog')}/stats`), 200);
    const stats = first.json();
    expect(stats.pulls.byPack).toEqual([
      { packId: product.id, name: 'Beta epics', openings: 1, observed: 1, expected: 1 },
    ]);
    await grantCard(t.runtime.ctx.db, bob.id, id('Dog'), 2n);
    const again = expectStatus(await get(`/api/cards/${id('Dog')}/stats`), 200);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.json().minted).toBe(stats.minted);

    const edit = { method: 'PUT', url: `/api/cards/${id('Dog')}`, headers: auth(admin) } as const;
    expectStatus(await t.app.inject({ ...edit, payload: { text: 'Loyal to the end' } }), 200);
    expect(expectStatus(await get(`/api/cards/${id('Dog')}/stats`), 200).json().minted).toBe(stats.minted + 2);
  });
});
