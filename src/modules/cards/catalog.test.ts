import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../../test/helpers/expect.ts';
import { listCards } from './catalog-service.ts';
import {
  auth,
  createCatalog,
  createTestUser,
  expectStatus,
  grantCard,
  startCardsApp,
  type CreatedTestUser,
  type TestApp,
} from '../../../test/support/cards.ts';

let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let ids: Map<string, string>;
let setId: string;

const CARDS = [
  { name: 'Ember Drake', rarity: 'rare', element: 'fire', price: 900, text: 'Breathes fire over the battlefield' },
  { name: 'Drakeling', rarity: 'common', element: 'fire', price: 50, text: 'A young drake' },
  { name: 'Frost Wyrm', rarity: 'epic', element: 'ice', price: 3000, text: 'A dragon of the frozen north' },
  { name: 'Tidal Serpent', rarity: 'common', element: 'water', price: 40, text: 'Coils beneath the waves' },
  { name: 'Storm Herald', rarity: 'uncommon', element: 'lightning', price: 200, maxLevel: 1 },
  { name: 'Umbral Seer', rarity: 'legendary', element: 'shadow', price: 9000, maxSupply: 10 },
  { name: 'Moss Golem', rarity: 'common', element: 'nature', price: 60 },
  { name: 'Radiant Phoenix', rarity: 'mythic', element: 'light', price: 50_000, maxSupply: 3 },
] as const;

type Page = { items: { id: string; name: string; rarity: string; price: number }[]; nextCursor: string | null };

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

async function allPages(url: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = expectStatus(
      await get(`${url}${url.includes('?') ? '&' : '?'}limit=3${cursor ? `&cursor=${cursor}` : ''}`),
      200,
    ).json();
    names.push(...page.items.map((i) => i.name));
    cursor = page.nextCursor;
  } while (cursor);
  return names;
}

beforeAll(async () => {
  t = await startCardsApp();
  [admin, alice] = await Promise.all([createTestUser(t, { role: 'admin' }), createTestUser(t)]);
  ({ ids, setId } = await createCatalog(t, admin, { code: 'EMB', name: 'Ember Age' }, [...CARDS]));
  await createCatalog(t, admin, { code: 'TID', name: 'Tidecallers' }, [
    { name: 'Coral Titan', rarity: 'rare', element: 'water', price: 700 },
  ]);
});
afterAll(() => t?.close());

const id = (name: string) => ids.get(name) ?? '';

describe('GET /api/cards', () => {
  it('sorts by name, rarity, newest and price, and pages through every card exactly once', async () => {
    const byName = [...CARDS.map((c) => c.name), 'Coral Titan'].sort((a, b) => (a < b ? -1 : 1));
    expect(await allPages('/api/cards?sort=name')).toEqual(byName);
    expect(await allPages('/api/cards?sort=name&order=desc')).toEqual([...byName].reverse());
    const byPrice = await allPages('/api/cards?sort=price');
    expect(byPrice[0]).toBe('Tidal Serpent');
    expect(byPrice.at(-1)).toBe('Radiant Phoenix');
    const byRarity = await allPages('/api/cards?sort=rarity');
    expect(byRarity.slice(0, 2)).toEqual(['Radiant Phoenix', 'Umbral Seer']);
    expect(await allPages('/api/cards?sort=newest')).toEqual(['Coral Titan', ...CARDS.map((c) => c.name).reverse()]);
  });

  it('filters by set, rarity, element, name, variant and price', async () => {
    const names = async (query: string) => (await allPages(`/api/cards?${query}`)).sort();
    expect(await names('set=TID')).toEqual(['Coral Titan']);
    expect(await names(`set=${setId}&rarity=common`)).toEqual(['Drakeling', 'Moss Golem', 'Tidal Serpent']);
    expect(await names('rarity=epic&rarity=mythic')).toEqual(['Frost Wyrm', 'Radiant Phoenix']);
    expect(await names('element=FIRE')).toEqual(['Drakeling', 'Ember Drake']);
    expect(await names('name=drake')).toEqual(['Drakeling', 'Ember Drake']);
    expect(await names('name=100%25')).toEqual([]);
    expect(await names('variant=holo&rarity=uncommon')).toEqual([]);
    expect(await names('variant=foil&rarity=uncommon')).toEqual(['Storm Herald']);
    expect(await names('priceMin=100&priceMax=900')).toEqual(['Coral Titan', 'Ember Drake', 'Storm Herald']);
    expect(await names('set=NOPE')).toEqual([]);
  });

  it('filters by what the caller owns, and only for a signed-in caller', async () => {
    expectProblem(await get('/api/cards?owned=true'), 401, 'unauthorized');
    expectProblem(await get('/api/cards?owned=false'), 401, 'unauthorized');
    // The rule is the service's, not only the route's: no caller gets everyone's catalogue back.
    const deps = { db: t.runtime.ctx.db, cache: t.runtime.ctx.cache };
    const query = { sort: 'name', includeRetired: false, limit: 20, owned: true } as const;
    await expect(listCards(deps, query, undefined)).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    await grantCard(t.runtime.ctx.db, alice.id, id('Moss Golem'), 2n);
    await grantCard(t.runtime.ctx.db, alice.id, id('Frost Wyrm'), 1n, 1);
    const owned = expectStatus(await get('/api/cards?owned=true', auth(alice)), 200);
    expect(owned.json<Page>().items.map((i) => i.name)).toEqual(['Frost Wyrm', 'Moss Golem']);
    expect(owned.headers['cache-control']).toBe('private, no-cache');
    const foil = await get('/api/cards?owned=true&variant=foil', auth(alice));
    expect(foil.json<Page>().items.map((i) => i.name)).toEqual(['Frost Wyrm']);
    const notOwned = await get('/api/cards?owned=false&limit=100', auth(alice));
    expect(notOwned.json<Page>().items).toHaveLength(CARDS.length + 1 - 2);
  });

  it('names the bad parameter in a 400', async () => {
    const cases: [string, string][] = [
      ['sort=popularity', 'query.sort'],
      ['order=sideways', 'query.order'],
      ['rarity=shiny', 'query.rarity.0'],
      ['variant=chrome', 'query.variant'],
      ['limit=0', 'query.limit'],
      ['priceMin=-1', 'query.priceMin'],
      ['priceMin=500&priceMax=100', 'query.priceMin'],
      ['cursor=not-a-cursor', 'query.cursor'],
      ['colour=red', 'query.colour'],
    ];
    for (const [query, field] of cases) {
      const res = expectStatus(await get(`/api/cards?${query}`), 400);
      expect(
        res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field),
        query,
      ).toContain(field);
    }
    const page = (await get('/api/cards?sort=price&limit=2')).json<Page>();
    const res = expectStatus(await get(`/api/cards?sort=name&cursor=${page.nextCursor}`), 400);
    expect(res.json<{ errors: { field: string }[] }>().errors[0]?.field).toBe('query.cursor');
  });
});

describe('GET /api/cards/:id and /api/cards/search', () => {
  it('returns one card with its variants, 404 for an unknown id and 400 for a malformed one', async () => {
    const card = expectStatus(await get(`/api/cards/${id('Storm Herald')}`), 200).json();
    expect(card).toMatchObject({ name: 'Storm Herald', set: { code: 'EMB' }, maxLevel: 1, maxSupply: null });
    expect(card.variants.map((v: { variant: string }) => v.variant)).toEqual(['base', 'foil']);
    expect(card.variants[0].asset).toMatch(/^CARD:/);
    // The variant id is what the exchange names a book by; every card shows its own.
    const ids = await t.runtime.ctx.db.execute<{ id: string; level: number }>(
      sql`SELECT id, level FROM cards_variants WHERE card_id = ${card.id} ORDER BY level`,
    );
    expect(card.variants.map((v: { id: string; level: number }) => [v.id, v.level])).toEqual(
      ids.rows.filter((r) => r.level <= 1).map((r) => [r.id, r.level]),
    );
    expect(expectStatus(await get(`/api/cards/${uuidv7()}`), 404).json().code).toBe('not_found');
    expectStatus(await get('/api/cards/42'), 400);
    expectStatus(await get(`/api/sets/${uuidv7()}`), 404);
  });

  it('ranks matches and tolerates typos', async () => {
    const search = async (q: string) =>
      expectStatus(await get(`/api/cards/search?q=${encodeURIComponent(q)}`), 200)
        .json<{ items: { name: string; score: number }[] }>()
        .items.map((i) => i.name);
    expect((await search('ember drake'))[0]).toBe('Ember Drake');
    expect((await search('embr drak'))[0]).toBe('Ember Drake');
    expect(await search('serpnt')).toContain('Tidal Serpent');
    expect(await search('dragon')).toEqual(['Frost Wyrm']);
    expect(await search('tidecallers')).toEqual(['Coral Titan']);
    expect(await search('legendary shadow')).toEqual(['Umbral Seer']);
    // One typo of each kind in a word of 5+ letters, and a prefix as the user types.
    expect((await search('tidla serpent'))[0]).toBe('Tidal Serpent'); // swapped letters
    expect((await search('umbarl'))[0]).toBe('Umbral Seer'); // swapped letters, alone
    expect((await search('embber drake'))[0]).toBe('Ember Drake'); // a letter too many
    expect((await search('frast wyrm'))[0]).toBe('Frost Wyrm'); // a letter wrong
    expect((await search('storm heral'))[0]).toBe('Storm Herald'); // a letter missing
    expect((await search('coral tit'))[0]).toBe('Coral Titan'); // prefix of the last word
    expect(await search('zzzzqqq')).toEqual([]);
    expectStatus(await get('/api/cards/search'), 400);
  });
});

describe('caching and ETags', () => {
  it('answers 304 to a matching If-None-Match and changes the tag when an admin edits the card', async () => {
    const url = `/api/cards/${id('Drakeling')}`;
    const first = expectStatus(await get(url), 200);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = expectStatus(await get(url, { 'if-none-match': etag }), 304);
    expect(again.body).toBe('');
    expectStatus(await get('/api/cards?sort=name', { 'if-none-match': etag }), 200);

    const list = await get('/api/cards?sort=price&limit=2');
    expectStatus(
      await t.app.inject({ method: 'PUT', url, headers: auth(admin), payload: { name: 'Drakeling Hatchling' } }),
      200,
    );
    const changed = expectStatus(await get(url, { 'if-none-match': etag }), 200);
    expect(changed.json().name).toBe('Drakeling Hatchling');
    expect(changed.headers.etag).not.toBe(etag);
    const listAfter = await get('/api/cards?sort=price&limit=2');
    expect(listAfter.headers.etag).not.toBe(list.headers.etag);
    expect(listAfter.json<Page>().items.map((i) => i.name)).toContain('Drakeling Hatchling');
  });
});

describe('administration', () => {
  it('refuses callers without catalog.manage', async () => {
    const moderator = await createTestUser(t, { role: 'moderator' });
    const body = { setId, number: 99, name: 'Nope', rarity: 'common', element: 'fire', price: 1 };
    expectStatus(await t.app.inject({ method: 'POST', url: '/api/cards', payload: body }), 401);
    expectStatus(await t.app.inject({ method: 'POST', url: '/api/cards', headers: auth(alice), payload: body }), 403);
    expectStatus(
      await t.app.inject({ method: 'POST', url: '/api/cards', headers: auth(moderator), payload: body }),
      403,
    );
    const del = await t.app.inject({ method: 'DELETE', url: `/api/sets/${setId}`, headers: auth(alice) });
    expectStatus(del, 403);
  });

  it('validates cards and sets and reports duplicates as 409', async () => {
    const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, headers: auth(admin), payload });
    const card = { setId, number: 1, name: 'Dup', rarity: 'common', element: 'fire', price: 1 };
    expect(expectStatus(await post('/api/cards', card), 409).json().code).toBe('card_number_taken');
    const unknownSet = expectStatus(await post('/api/cards', { ...card, setId: uuidv7(), number: 50 }), 400);
    expect(unknownSet.json().errors[0].field).toBe('body.setId');
    const bad = expectStatus(await post('/api/cards', { ...card, number: 51, rarity: 'shiny', extra: 1 }), 400);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['body.rarity', 'body.extra']),
    );
    const set = { code: 'EMB', name: 'Again', releaseDate: '2025-01-01' };
    expect(expectStatus(await post('/api/sets', set), 409).json().code).toBe('set_code_taken');
    expectStatus(await post('/api/sets', { ...set, code: 'lower' }), 400);
  });

  it('deletes a card nobody owns, refuses one that is owned (409) and retires it instead', async () => {
    const del = (cardId: string) =>
      t.app.inject({ method: 'DELETE', url: `/api/cards/${cardId}`, headers: auth(admin) });
    expectStatus(await del(id('Tidal Serpent')), 204);
    expectStatus(await get(`/api/cards/${id('Tidal Serpent')}`), 404);
    expectStatus(await del(uuidv7()), 404);

    const owned = expectStatus(await del(id('Moss Golem')), 409);
    expect(owned.json()).toMatchObject({ code: 'card_owned', circulating: '2' });
    const retire = await t.app.inject({
      method: 'PUT',
      url: `/api/cards/${id('Moss Golem')}`,
      headers: auth(admin),
      payload: { retired: true },
    });
    expect(expectStatus(retire, 200).json().retired).toBe(true);
    expect(await allPages('/api/cards?rarity=common')).not.toContain('Moss Golem');
    expect(await allPages('/api/cards?rarity=common&includeRetired=true')).toContain('Moss Golem');
    const mine = (await get('/api/collection', auth(alice))).json<{ items: { card: { name: string } }[] }>();
    expect(mine.items.map((i) => i.card.name)).toContain('Moss Golem');

    const setDel = await t.app.inject({ method: 'DELETE', url: `/api/sets/${setId}`, headers: auth(admin) });
    expect(expectStatus(setDel, 409).json().code).toBe('set_not_empty');
  });

  it('keeps the print run above what was minted', async () => {
    await grantCard(t.runtime.ctx.db, alice.id, id('Umbral Seer'), 4n);
    const put = (maxSupply: number) =>
      t.app.inject({
        method: 'PUT',
        url: `/api/cards/${id('Umbral Seer')}`,
        headers: auth(admin),
        payload: { maxSupply },
      });
    expect(expectStatus(await put(3), 409).json().code).toBe('max_supply_below_minted');
    expect(expectStatus(await put(4), 200).json().maxSupply).toBe(4);
  });

  it('renames a set everywhere its cards are shown and searched', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/sets/${setId}`,
      headers: auth(admin),
      payload: { name: 'Ember Dawn' },
    });
    expect(expectStatus(res, 200).json()).toMatchObject({ name: 'Ember Dawn', code: 'EMB' });
    expect((await get(`/api/cards/${id('Ember Drake')}`)).json().set.name).toBe('Ember Dawn');
    const hits = (await get('/api/cards/search?q=dawn')).json<{ items: unknown[] }>().items;
    expect(hits.length).toBeGreaterThan(0);
    const sets = expectStatus(await get('/api/sets'), 200).json<{ items: { code: string; cardCount: number }[] }>();
    expect(sets.items.find((s) => s.code === 'EMB')?.cardCount).toBe(CARDS.length - 1);
    expect(expectStatus(await get('/api/sets/EMB'), 200).json().name).toBe('Ember Dawn');
  });
});
