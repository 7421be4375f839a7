// Shared by the social module's tests: an app, a small catalogue with every variant level, cards
// granted straight from the mint and wishlists written through the cards API.
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { expectStatus } from '../helpers/expect.ts';
import { QUIET_ENV, bearer } from '../helpers/http.ts';
import { drainOutbox } from '../helpers/outbox.ts';
import { createTestUser, type CreatedTestUser } from '../helpers/users.ts';
import { createCatalog, grantCard } from './cards.ts';
import { VARIANTS } from '../../src/modules/cards/index.ts';
import { refreshMatches } from '../../src/modules/social/match-service.ts';

export const auth = (u: CreatedTestUser) => bearer(u.token);

export function startSocialApp(env: Record<string, string> = {}): Promise<TestApp> {
  return createTestApp({ env: { ...QUIET_ENV, ...env } });
}

export interface Catalogue {
  setId: string;
  /** Card ids in creation order. */
  cards: string[];
  /** The variant id of (card, level). */
  variant(cardId: string, level: number): string;
  price(cardId: string): number;
}

let sets = 0;

/** A fresh set of `n` cards with distinct prices (100, 200, …) and two variant levels each. */
export async function createCards(t: TestApp, admin: CreatedTestUser, n: number): Promise<Catalogue> {
  sets += 1;
  const code = `S${sets}${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
  const specs = Array.from({ length: n }, (_, i) => ({
    name: `Card ${code} ${i}`,
    rarity: 'common' as const,
    price: 100 * (i + 1),
    maxLevel: 1,
  }));
  const { setId, ids } = await createCatalog(t, admin, { code, name: `Set ${code}` }, specs);
  const cards = specs.map((s) => ids.get(s.name) ?? '');
  const variants = new Map<string, string>();
  const prices = new Map<string, number>();
  for (const [i, cardId] of cards.entries()) {
    prices.set(cardId, specs[i]?.price ?? 0);
    const res = expectStatus(await t.app.inject({ method: 'GET', url: `/api/cards/${cardId}` }), 200);
    for (const v of res.json<{ variants: { id: string; level?: number; variant?: string }[] }>().variants) {
      const level = v.level ?? VARIANTS.indexOf((v.variant ?? 'base') as (typeof VARIANTS)[number]);
      variants.set(`${cardId}:${level}`, v.id);
    }
  }
  return {
    setId,
    cards,
    variant: (cardId, level) => {
      const id = variants.get(`${cardId}:${level}`);
      if (!id) throw new Error(`no variant ${level} of ${cardId}`);
      return id;
    },
    price: (cardId) => prices.get(cardId) ?? 0,
  };
}

/** Mints `copies` of a card's variant to the user. */
export async function give(t: TestApp, user: CreatedTestUser, cardId: string, copies: number, level = 0) {
  await grantCard(t.runtime.ctx.db, user.id, cardId, BigInt(copies), level);
}

/** Puts a card on the user's wishlist (any variant unless a level is named). */
export async function wish(t: TestApp, user: CreatedTestUser, cardId: string, level: number | null = null) {
  expectStatus(
    await t.app.inject({
      method: 'PUT',
      url: '/api/collection/wishlist',
      headers: auth(user),
      payload: { cardId, ...(level === null ? {} : { variant: VARIANTS[level] }) },
    }),
    200,
  );
}

export async function block(t: TestApp, blocker: CreatedTestUser, blocked: CreatedTestUser) {
  const res = await t.app.inject({
    method: 'PUT',
    url: `/api/users/blocks/${blocked.username}`,
    headers: auth(blocker),
  });
  if (res.statusCode >= 300) throw new Error(`block failed: ${res.statusCode} ${res.body}`);
}

/** Delivers pending events and runs the incremental recomputation until nothing is dirty. */
export async function settleMatches(t: TestApp): Promise<void> {
  await drainOutbox(t);
  for (let i = 0; i < 50; i++) {
    // Every committed entry counts at once here (no wait for late commits).
    const { refreshed } = await refreshMatches(t.runtime.ctx.db, { settleSeconds: 0 });
    if (refreshed === 0) return;
  }
}

export { createTestUser, expectStatus, type CreatedTestUser, type TestApp };
