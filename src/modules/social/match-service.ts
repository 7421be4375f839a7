import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.ts';
import { NotMatchableError } from './errors.ts';
import { compareMatches, matchPair, mirror, rankMatches, type Line, type Match, type Side } from './match.ts';
import * as repo from './match-repo.ts';
import { catalogPrices } from './ports.ts';
import type { MatchRow } from './tables.ts';

/** How many matches are kept per user (best first). */
export const MATCHES_KEPT = 100;

type Prices = Map<string, bigint>;

async function pricesFor(db: Db, sides: Iterable<Side>): Promise<Prices> {
  const ids = new Set<string>();
  for (const s of sides) for (const sp of s.spares) ids.add(sp.variantId);
  return catalogPrices(db, [...ids]);
}

const priceOf = (prices: Prices) => (variantId: string) => prices.get(variantId) ?? 0n;

/**
 * Checks the suggested lines of `matches` against the wallets as they are now and, for every partner
 * whose indexed spares turned out stale, corrects the spares and matches that partner again, so
 * nothing held in escrow or gone is ever suggested. Stale partners are re-indexed.
 */
async function verifyLive(
  db: Db,
  me: string,
  mine: Side,
  partners: Map<string, Side>,
  matches: Match[],
  prices: Prices,
) {
  const pairs = matches.flatMap((m) => [
    ...m.get.map((l) => ({ userId: m.partnerId, variantId: l.variantId })),
    ...m.give.map((l) => ({ userId: me, variantId: l.variantId })),
  ]);
  const live = await repo.liveAvailable(db, pairs);
  const stale = new Set<string>();
  for (const p of pairs) {
    const side = p.userId === me ? mine : partners.get(p.userId);
    const indexed = side?.spares.find((s) => s.variantId === p.variantId)?.spare ?? 0n;
    const now = (live.get(`${p.userId}:${p.variantId}`) ?? 0n) - 1n;
    if (now !== indexed) stale.add(p.userId);
  }
  if (stale.size === 0) return matches;
  await repo.refreshSpares(db, [...stale]);
  const fresh = await repo.sidesOf(db, [...stale]);
  const meFresh = fresh.get(me) ?? mine;
  const out: Match[] = [];
  for (const m of matches) {
    if (!stale.has(m.partnerId) && !stale.has(me)) {
      out.push(m);
      continue;
    }
    const partner = fresh.get(m.partnerId) ?? partners.get(m.partnerId);
    if (!partner) continue;
    const again = matchPair(meFresh, m.partnerId, partner, priceOf(prices));
    if (again) out.push(again);
  }
  return out.sort(compareMatches);
}

/** The matches of `me` computed from the index (mine re-read from my wallet first), best first. */
async function computeMatches(
  db: Db,
  me: string,
  limit: number,
  opts: { scope?: repo.MatchScope; indexed?: boolean } = {},
): Promise<Match[]> {
  if (!opts.indexed) await repo.refreshSpares(db, [me]);
  const mine = (await repo.sidesOf(db, [me])).get(me) ?? { spares: [], wishes: [] };
  // A scope narrows what I get; what I may give stays my whole set of spares.
  const partners = await repo.partnerSides(db, me, limit, opts.scope);
  const prices = await pricesFor(db, [mine, ...partners.values()]);
  const ranked = rankMatches(mine, partners, priceOf(prices), limit);
  return verifyLive(db, me, mine, partners, ranked, prices);
}

export interface MatchQuery {
  cardIds?: string[];
  setIds?: string[];
}

/**
 * `POST /api/social/match`: my matches now. Unscoped, they also replace my stored matches; a scoped
 * request (some cards or sets I want) only answers.
 */
export async function matchNow(db: Db, me: string, q: MatchQuery) {
  if (!(await repo.isMatchable(db, me))) throw new NotMatchableError();
  const scoped = Boolean(q.cardIds?.length || q.setIds?.length);
  await indexPending(db);
  const matches = await withTransaction(db, async (tx) => {
    const found = await computeMatches(tx, me, MATCHES_KEPT, scoped ? { scope: q } : {});
    if (!scoped) await storeWithMirrors(tx, me, found);
    return found;
  });
  const names = await usernames(
    db,
    matches.map((m) => m.partnerId),
  );
  return {
    items: matches.flatMap((m) => {
      const username = names.get(m.partnerId);
      return username ? [matchView(m, username)] : [];
    }),
    computedAt: new Date().toISOString(),
  };
}

const usernames = repo.usernamesOf;

const lineView = (l: Line) => ({
  variantId: l.variantId,
  cardId: l.cardId,
  quantity: l.quantity,
  price: Number(l.price),
});

/** A match as the API shows it, with the trade offer the client can post to `POST /api/trades` as is. */
export function matchView(m: Match, username: string, computedAt?: string) {
  const cardsOf = (lines: Line[]) => lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity }));
  return {
    partner: { id: m.partnerId, username },
    mutual: m.mutual,
    coverage: m.coverage,
    value: Number(m.value),
    give: m.give.map(lineView),
    get: m.get.map(lineView),
    offer: {
      to: username,
      offered: { cards: cardsOf(m.give), coins: 0 },
      requested: { cards: cardsOf(m.get), coins: 0 },
    },
    ...(computedAt ? { computedAt } : {}),
  };
}

const fromStored = (lines: MatchRow['give']): Line[] =>
  lines.map((l) => ({ variantId: l.variantId, cardId: l.cardId, quantity: l.quantity, price: BigInt(l.price) }));

function readRankKey(raw: unknown): repo.RankKey | undefined {
  if (!Array.isArray(raw) || raw.length !== 4) return undefined;
  const [mutual, coverage, value, partnerId] = raw as unknown[];
  if (!Number.isInteger(mutual) || !Number.isInteger(coverage)) return undefined;
  if (typeof value !== 'string' || !/^\d{1,19}$/.test(value)) return undefined;
  if (typeof partnerId !== 'string' || !/^[0-9a-f-]{36}$/.test(partnerId)) return undefined;
  return { mutual: mutual as number, coverage: coverage as number, value, partnerId };
}

/**
 * `GET /api/social/matches`: my stored matches, best first. Partners who went private, were blocked
 * or left are skipped; every suggested line is checked against the wallets now, and a match whose
 * cards moved is shown without them (or not at all) and both sides are queued for recomputation.
 */
export async function listMatches(db: Db, me: string, q: { limit: number; cursor?: string }) {
  const after = decodeCursor(q.cursor, readRankKey);
  const rows = await repo.storedMatches(db, me, q.limit + 1, after);
  const page = rows.slice(0, q.limit);
  const pairs = page.flatMap((r) => [
    ...r.get.map((l) => ({ userId: r.partner_id, variantId: l.variantId })),
    ...r.give.map((l) => ({ userId: me, variantId: l.variantId })),
  ]);
  const live = await repo.liveAvailable(db, pairs);
  const spareNow = (userId: string, variantId: string) => (live.get(`${userId}:${variantId}`) ?? 0n) - 1n;
  const stale = new Set<string>();
  const items = [];
  for (const r of page) {
    const keep = (userId: string, lines: Line[]) =>
      lines.filter((l) => {
        const ok = spareNow(userId, l.variantId) >= BigInt(l.quantity);
        if (!ok) stale.add(userId);
        return ok;
      });
    const give = keep(me, fromStored(r.give));
    const get = keep(r.partner_id, fromStored(r.get));
    if (give.length === 0 || get.length === 0) continue;
    const total = (ls: Line[]) => ls.reduce((a, l) => a + l.price * BigInt(l.quantity), 0n);
    const m: Match = {
      partnerId: r.partner_id,
      give,
      get,
      mutual: Math.min(give.length, get.length),
      coverage: give.length + get.length,
      value: total(give) + total(get),
    };
    items.push(matchView(m, r.username, new Date(r.computed_at).toISOString()));
  }
  if (stale.size > 0) await repo.markDirty(db, [...stale]);
  const last = page.at(-1);
  return {
    items,
    nextCursor:
      rows.length > q.limit && last ? encodeCursor([last.mutual, last.coverage, last.value, last.partner_id]) : null,
  };
}

/** Stores my matches and, matching being symmetric, each partner's match with me (their lists trimmed). */
async function storeWithMirrors(db: Db, me: string, matches: Match[]): Promise<void> {
  await repo.storeMatches(db, me, matches);
  await repo.upsertPairs(
    db,
    matches.map((m) => ({ userId: m.partnerId, match: mirror(m, me) })),
  );
  await repo.trimMatches(
    db,
    matches.map((m) => m.partnerId),
    MATCHES_KEPT,
  );
}

/**
 * Brings the spares index up to date for everyone whose cards moved (their matches stay queued), so
 * a computation now sees every wallet as it is.
 */
async function indexPending(db: Db): Promise<void> {
  await scanAll(db);
  await repo.refreshSpares(db, await repo.dirtyUsers(db, 2000));
}

async function scanAll(db: Db, settleSeconds?: number): Promise<number> {
  let marked = 0;
  for (let i = 0; i < 20; i++) {
    const scan = await repo.scanLedger(db, 10_000, settleSeconds);
    marked += scan.marked;
    if (!scan.more) break;
  }
  return marked;
}

/**
 * The incremental step: indexes the wallets of users whose holdings or wishlist changed, recomputes
 * their matches, and re-evaluates the stored matches other users have with them. Returns how many
 * dirty users were processed.
 */
export async function refreshDirty(db: Db, batch = 200): Promise<number> {
  const taken = await repo.takeDirty(db, batch);
  if (taken.length === 0) return 0;
  const ids = taken.map((t) => t.userId);
  const mirrored = new Set<string>();
  await repo.refreshSpares(db, ids);
  for (const id of ids) {
    await withTransaction(db, async (tx) => {
      if (!(await repo.isMatchable(tx, id))) {
        await repo.storeMatches(tx, id, []);
        return;
      }
      const found = await computeMatches(tx, id, MATCHES_KEPT, { indexed: true });
      await storeWithMirrors(tx, id, found);
      for (const m of found) mirrored.add(`${m.partnerId}:${id}`);
    });
  }
  // Others' stored matches with a changed user that were not just rewritten: recompute that pair.
  const dirty = new Set(ids);
  const pairs = (await repo.pairsNaming(db, ids)).filter(
    (p) => !dirty.has(p.userId) && !mirrored.has(`${p.userId}:${p.partnerId}`),
  );
  if (pairs.length > 0) {
    const sides = await repo.sidesOf(db, [...new Set(pairs.flatMap((p) => [p.userId, p.partnerId]))]);
    const prices = await pricesFor(db, sides.values());
    const updates: { userId: string; match: Match }[] = [];
    const gone: typeof pairs = [];
    for (const p of pairs) {
      const me = sides.get(p.userId);
      const partner = sides.get(p.partnerId);
      const m = me && partner ? matchPair(me, p.partnerId, partner, priceOf(prices)) : null;
      if (m) updates.push({ userId: p.userId, match: m });
      else gone.push(p);
    }
    await repo.upsertPairs(db, updates);
    await repo.deletePairs(db, gone);
  }
  await repo.clearDirty(db, taken);
  return taken.length;
}

/** Follows the ledger's entries and marks users whose cards moved; then recomputes the dirty. */
export async function refreshMatches(
  db: Db,
  opts: { batch?: number; settleSeconds?: number } = {},
): Promise<{ marked: number; refreshed: number }> {
  const marked = await scanAll(db, opts.settleSeconds);
  const batch = opts.batch ?? 200;
  return { marked, refreshed: await refreshDirty(db, batch) };
}

export const markDirty = repo.markDirty;
