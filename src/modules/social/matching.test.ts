import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardHoldings } from '../cards/index.ts';
import { partnerSides } from './match-repo.ts';
import {
  auth,
  block,
  createCards,
  createTestUser,
  expectStatus,
  give,
  settleMatches,
  startSocialApp,
  wish,
  type Catalogue,
  type CreatedTestUser,
  type TestApp,
} from '../../../test/support/social.ts';

let t: TestApp;
let admin: CreatedTestUser;

beforeAll(async () => {
  t = await startSocialApp();
  admin = await createTestUser(t, { role: 'admin' });
});
afterAll(() => t.close());

interface Line {
  variantId: string;
  quantity: number;
}
interface Shown {
  partner: string;
  give: Line[];
  get: Line[];
}
interface MatchJson {
  partner: { id: string; username: string };
  mutual: number;
  coverage: number;
  value: number;
  give: (Line & { cardId: string; price: number })[];
  get: (Line & { cardId: string; price: number })[];
  offer: { to: string; offered: { cards: Line[]; coins: number }; requested: { cards: Line[]; coins: number } };
}

const shown = (items: MatchJson[]): Shown[] =>
  items.map((m) => ({
    partner: m.partner.id,
    give: m.give.map((l) => ({ variantId: l.variantId, quantity: l.quantity })),
    get: m.get.map((l) => ({ variantId: l.variantId, quantity: l.quantity })),
  }));

async function matchNow(u: CreatedTestUser, body: Record<string, unknown> = {}) {
  return t.app.inject({ method: 'POST', url: '/api/social/match', headers: auth(u), payload: body });
}

async function stored(u: CreatedTestUser) {
  const res = expectStatus(
    await t.app.inject({ method: 'GET', url: '/api/social/matches?limit=100', headers: auth(u) }),
    200,
  );
  return res.json<{ items: MatchJson[] }>().items;
}

// --- the brute force: nested loops over what the ledger says each user holds ---

interface Person {
  id: string;
  private: boolean;
  holdings: { variantId: string; cardId: string; level: number; quantity: number }[];
  wishes: { cardId: string; level: number | null }[];
}

function bruteForce(me: Person, people: Person[], blocked: Set<string>, price: (cardId: string) => number): Shown[] {
  if (me.private) return [];
  const cover = (has: Person, wants: Person) => {
    const lines: { variantId: string; price: number }[] = [];
    for (const w of [...wants.wishes].sort((a, b) => (a.cardId < b.cardId ? -1 : 1))) {
      const options = has.holdings.filter(
        (h) => h.cardId === w.cardId && h.quantity >= 2 && (w.level === null || h.level === w.level),
      );
      options.sort(
        (a, b) => price(b.cardId) - price(a.cardId) || b.level - a.level || (a.variantId < b.variantId ? -1 : 1),
      );
      const best = options[0];
      if (best) lines.push({ variantId: best.variantId, price: price(best.cardId) });
    }
    return lines;
  };
  const found = [];
  for (const other of people) {
    if (other.id === me.id || other.private) continue;
    if (blocked.has(`${me.id}:${other.id}`) || blocked.has(`${other.id}:${me.id}`)) continue;
    const get = cover(other, me);
    const giveLines = cover(me, other);
    if (get.length === 0 || giveLines.length === 0) continue;
    const value = [...get, ...giveLines].reduce((a, l) => a + l.price, 0);
    found.push({
      partner: other.id,
      mutual: Math.min(get.length, giveLines.length),
      coverage: get.length + giveLines.length,
      value,
      give: giveLines.map((l) => ({ variantId: l.variantId, quantity: 1 })),
      get: get.map((l) => ({ variantId: l.variantId, quantity: 1 })),
    });
  }
  found.sort(
    (a, b) => b.mutual - a.mutual || b.coverage - a.coverage || b.value - a.value || (a.partner > b.partner ? -1 : 1),
  );
  return found.map(({ partner, give: g, get }) => ({ partner, give: g, get }));
}

const world = fc.record({
  users: fc.array(
    fc.record({
      holdings: fc.array(fc.record({ card: fc.nat(3), level: fc.nat(1), quantity: fc.integer({ min: 1, max: 3 }) }), {
        maxLength: 6,
      }),
      wishes: fc.uniqueArray(fc.record({ card: fc.nat(3), level: fc.constantFrom(null, 0, 1) }), {
        maxLength: 3,
        selector: (w) => w.card,
      }),
      private: fc.nat(4).map((n) => n === 0),
    }),
    { minLength: 3, maxLength: 5 },
  ),
  blocks: fc.array(fc.tuple(fc.nat(4), fc.nat(4)), { maxLength: 2 }),
});

async function setUp(spec: {
  users: {
    holdings: { card: number; level: number; quantity: number }[];
    wishes: { card: number; level: number | null }[];
    private: boolean;
  }[];
  blocks: [number, number][];
}) {
  const cat: Catalogue = await createCards(t, admin, 4);
  const users = await Promise.all(spec.users.map(() => createTestUser(t)));
  for (const [i, u] of spec.users.entries()) {
    const user = users[i] as CreatedTestUser;
    for (const h of u.holdings) await give(t, user, cat.cards[h.card] as string, h.quantity, h.level);
    for (const w of u.wishes) await wish(t, user, cat.cards[w.card] as string, w.level);
    if (u.private) {
      expectStatus(
        await t.app.inject({
          method: 'PUT',
          url: '/api/social/profile',
          headers: auth(user),
          payload: { visibility: 'private' },
        }),
        200,
      );
    }
  }
  const blocked = new Set<string>();
  for (const [a, b] of spec.blocks) {
    const ua = users[a % users.length] as CreatedTestUser;
    const ub = users[b % users.length] as CreatedTestUser;
    if (ua.id === ub.id) continue;
    await block(t, ua, ub);
    blocked.add(`${ua.id}:${ub.id}`);
  }
  await settleMatches(t);
  // What each user holds, as the ledger says (through the cards module), and wants.
  const people: Person[] = [];
  for (const [i, u] of users.entries()) {
    const held = await cardHoldings(t.runtime.ctx.db, u.id);
    const wishes = (spec.users[i]?.wishes ?? []).map((w) => ({ cardId: cat.cards[w.card] as string, level: w.level }));
    people.push({
      id: u.id,
      private: spec.users[i]?.private ?? false,
      holdings: held.map((h) => ({
        variantId: h.variantId,
        cardId: h.cardId,
        level: h.level,
        quantity: Number(h.quantity),
      })),
      wishes,
    });
  }
  return { cat, users, people, blocked };
}

describe('trade-partner matching', () => {
  it('equals a brute-force computation over random collections, wishlists, privacy and blocks', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (spec) => {
        const { cat, users, people, blocked } = await setUp(spec);
        for (const [i, u] of users.entries()) {
          const me = people[i] as Person;
          const expected = bruteForce(me, people, blocked, cat.price);
          const res = await matchNow(u);
          if (me.private) {
            expect(res.statusCode).toBe(409);
            expect(res.json<{ code: string }>().code).toBe('collection_private');
            continue;
          }
          expect(res.statusCode, res.body).toBe(200);
          expect(shown(res.json<{ items: MatchJson[] }>().items)).toEqual(expected);
          // The incrementally maintained store says the same.
          expect(shown(await stored(u))).toEqual(expected);
        }
      }),
      { numRuns: 6 },
    );
  }, 120_000);

  it('suggests an offer the trades API accepts unchanged', async () => {
    const cat = await createCards(t, admin, 2);
    const [ann, ben] = await Promise.all([createTestUser(t), createTestUser(t)]);
    const [a, b] = cat.cards as [string, string];
    await give(t, ann, a, 3);
    await give(t, ben, b, 2);
    await wish(t, ann, b);
    await wish(t, ben, a);
    const res = expectStatus(await matchNow(ann), 200);
    const [match] = res.json<{ items: MatchJson[] }>().items;
    expect(match?.partner.username).toBe(ben.username);
    expect(match?.offer).toEqual({
      to: ben.username,
      offered: { cards: [{ variantId: cat.variant(a, 0), quantity: 1 }], coins: 0 },
      requested: { cards: [{ variantId: cat.variant(b, 0), quantity: 1 }], coins: 0 },
    });
    const offer = await t.app.inject({ method: 'POST', url: '/api/trades', headers: auth(ann), payload: match?.offer });
    expect(offer.statusCode, offer.body).toBe(201);
  });

  it('never suggests copies held in escrow, even from stored matches', async () => {
    const cat = await createCards(t, admin, 2);
    const [ann, ben, cid] = await Promise.all([createTestUser(t), createTestUser(t), createTestUser(t)]);
    const [a, b] = cat.cards as [string, string];
    await give(t, ann, a, 2);
    await give(t, ben, b, 2);
    await wish(t, ann, b);
    await wish(t, ben, a);
    await settleMatches(t);
    expect(shown(await stored(ben)).map((m) => m.partner)).toEqual([ann.id]);
    // Ann offers her spare copy of `a` to someone else: it waits in the offer's escrow.
    const offer = await t.app.inject({
      method: 'POST',
      url: '/api/trades',
      headers: auth(ann),
      payload: {
        to: cid.username,
        offered: { cards: [{ variantId: cat.variant(a, 0), quantity: 1 }], coins: 0 },
        requested: { cards: [], coins: 0 },
      },
    });
    expect(offer.statusCode, offer.body).toBe(201);
    // Before any recomputation, the stored match is checked against the wallets and hidden.
    expect(await stored(ben)).toEqual([]);
    expect(expectStatus(await matchNow(ben), 200).json<{ items: MatchJson[] }>().items).toEqual([]);
    await settleMatches(t);
    expect(await stored(ben)).toEqual([]);
    expect(await stored(ann)).toEqual([]);
  });

  it('recomputes incrementally when a wishlist or a collection changes', async () => {
    const cat = await createCards(t, admin, 3);
    const [ann, ben] = await Promise.all([createTestUser(t), createTestUser(t)]);
    const [a, b, c] = cat.cards as [string, string, string];
    await give(t, ann, a, 2);
    await give(t, ben, b, 2);
    await wish(t, ann, b);
    await settleMatches(t);
    expect(await stored(ann)).toEqual([]);
    await wish(t, ben, a); // only a wishlist event
    await settleMatches(t);
    expect(shown(await stored(ann)).map((m) => m.partner)).toEqual([ben.id]);
    expect(shown(await stored(ben)).map((m) => m.partner)).toEqual([ann.id]);
    // A new spare copy of a wished card (a ledger movement) joins the stored swap.
    await wish(t, ben, c);
    await give(t, ann, c, 2);
    await settleMatches(t);
    const [m] = shown(await stored(ben));
    expect(m?.get.map((l) => l.variantId).sort()).toEqual([cat.variant(a, 0), cat.variant(c, 0)].sort());
  });

  it('can be narrowed to some cards or sets and leaves the stored matches alone', async () => {
    const cat = await createCards(t, admin, 3);
    const [ann, ben, cid] = await Promise.all([createTestUser(t), createTestUser(t), createTestUser(t)]);
    const [a, b, c] = cat.cards as [string, string, string];
    await give(t, ann, a, 3);
    await give(t, ben, b, 2);
    await give(t, cid, c, 2);
    await wish(t, ann, b);
    await wish(t, ann, c);
    await wish(t, ben, a);
    await wish(t, cid, a);
    await settleMatches(t);
    const narrowed = expectStatus(await matchNow(ann, { cardIds: [c] }), 200).json<{ items: MatchJson[] }>().items;
    expect(narrowed.map((m) => m.partner.id)).toEqual([cid.id]);
    const bySet = expectStatus(await matchNow(ann, { setIds: [cat.setId] }), 200).json<{ items: MatchJson[] }>();
    expect(bySet.items).toHaveLength(2);
    expect((await stored(ann)).map((m) => m.partner.id).sort()).toEqual([ben.id, cid.id].sort());
  });

  it('keeps only the best partners by mutual coverage, then coverage, ties at the cut included', async () => {
    const cat = await createCards(t, admin, 6);
    const [w1, w2, w3, s1, s2, s3] = cat.cards as [string, string, string, string, string, string];
    const [me, best, tieA, tieB, below, last] = (await Promise.all(
      Array.from({ length: 6 }, () => createTestUser(t)),
    )) as [CreatedTestUser, CreatedTestUser, CreatedTestUser, CreatedTestUser, CreatedTestUser, CreatedTestUser];
    // Me: wishes w1..w3, two copies (one spare) each of s1..s3.
    for (const c of [w1, w2, w3]) await wish(t, me, c);
    for (const c of [s1, s2, s3]) await give(t, me, c, 2);
    // Each partner: the wishes of mine they cover (spares they hold), and my spares they want.
    // (mutual, coverage): best (3, 6); tieA and tieB (2, 5); below (2, 4); last (1, 2).
    const partners: [CreatedTestUser, string[], string[]][] = [
      [best, [w1, w2, w3], [s1, s2, s3]],
      [tieA, [w1, w2], [s1, s2, s3]],
      [tieB, [w1, w2, w3], [s2, s3]],
      [below, [w2, w3], [s1, s3]],
      [last, [w3], [s1]],
    ];
    for (const [user, covers, wants] of partners) {
      for (const c of covers) await give(t, user, c, 2);
      for (const c of wants) await wish(t, user, c);
    }
    await settleMatches(t);

    const top = async (limit: number) => [...(await partnerSides(t.runtime.ctx.db, me.id, limit)).keys()].sort();
    expect(await top(1)).toEqual([best.id]);
    expect(await top(2)).toEqual([best.id, tieA.id, tieB.id].sort());
    expect(await top(3)).toEqual([best.id, tieA.id, tieB.id].sort());
    expect(await top(4)).toEqual([best.id, tieA.id, tieB.id, below.id].sort());
    expect(await top(100)).toEqual([best.id, tieA.id, tieB.id, below.id, last.id].sort());
  });
});
