import type { Db } from '../../platform/db/tx.ts';
import { CATALOG_PREFIX, cachedJson, type CachedJson } from './cache.ts';
import type { CatalogDeps } from './catalog-service.ts';
import { chiSquare } from './chi-square.ts';
import type { Supply } from './draw.ts';
import { CardNotFoundError, InvalidFieldError } from './errors.ts';
import { circulatingSupply } from './holdings.ts';
import { publishedOdds } from './odds.ts';
import { assetHolders } from './ports.ts';
import { VARIANTS } from './rarity.ts';
import { findCard, variantsOf } from './repo.ts';
import * as repo from './stats-repo.ts';

/** Every opening changes the figures; a short life bounds the work a busy card costs. */
const STATS_TTL_MS = 30_000;

/**
 * Supply of a card per variant (minted by the mint, circulating = held by anyone, burned = back in
 * the mint) and its pulls against the configured odds: per product, the expected count sums each
 * recorded drop table's per-pack expectation (regular or pity pack) over its openings, with print
 * runs treated as open; the p-value tests observed pulls against that expectation.
 * Cached per card for up to 30 s.
 */
export function cardStats(deps: CatalogDeps, cardId: string): Promise<CachedJson> {
  return cachedJson(
    deps.cache,
    `${CATALOG_PREFIX}stats:${cardId}`,
    () => computeCardStats(deps.db, cardId),
    STATS_TTL_MS,
  );
}

async function computeCardStats(db: Db, cardId: string) {
  const card = await findCard(db, cardId);
  if (!card) throw new CardNotFoundError();
  const variants = [];
  for (const v of await variantsOf(db, [cardId])) {
    const circulating = await circulatingSupply(db, v);
    variants.push({
      variant: VARIANTS[v.level] ?? 'base',
      asset: v.asset,
      minted: v.minted,
      circulating,
      burned: v.minted - circulating,
      holders: await assetHolders(db, [v.asset]),
    });
  }
  const observed = await repo.pullsOfCard(db, cardId);
  const byPack = new Map<string, { packId: string; name: string; openings: number; slots: number; expected: number }>();
  for (const g of await repo.openingGroups(db, card)) {
    const entry = byPack.get(g.product_id) ?? {
      packId: g.product_id,
      name: g.name,
      openings: 0,
      slots: 0,
      expected: 0,
    };
    byPack.set(g.product_id, entry);
    entry.openings += g.openings;
    entry.slots += g.openings * g.drop_table.slots.length;
    const open: Supply = {};
    for (const c of g.drop_table.pool) if (c.maxSupply !== null) open[c.cardId] = c.maxSupply;
    const odds = publishedOdds(g.drop_table, open).cards.find((c) => c.cardId === cardId);
    if (odds) entry.expected += g.openings * (g.pity_applied ? odds.perPityPack : odds.perPack);
  }
  const packs = [...byPack.values()]
    .filter((p) => p.expected > 0 || (observed.get(p.packId) ?? 0) > 0)
    .map((p) => ({ ...p, observed: observed.get(p.packId) ?? 0 }));
  const pulled = packs.reduce((s, p) => s + p.observed, 0);
  const expected = packs.reduce((s, p) => s + p.expected, 0);
  const slots = packs.reduce((s, p) => s + p.slots, 0);
  const fit = expected > 0 ? chiSquare([pulled, slots - pulled], [expected, slots - expected]) : undefined;
  return {
    cardId,
    maxSupply: card.maxSupply === null ? null : Number(card.maxSupply),
    minted: variants.reduce((s, v) => s + v.minted, 0n),
    circulating: variants.reduce((s, v) => s + v.circulating, 0n),
    burned: variants.reduce((s, v) => s + v.burned, 0n),
    holders: await assetHolders(
      db,
      variants.map((v) => v.asset),
    ),
    variants,
    pulls: {
      observed: pulled,
      expected,
      pValue: fit ? fit.pValue : null,
      byPack: packs.map(({ packId, name, openings, observed: o, expected: e }) => ({
        packId,
        name,
        openings,
        observed: o,
        expected: e,
      })),
    },
  };
}

const MAX_PERIODS = { day: 366, week: 260, month: 120 } as const;
const PERIOD_MS = { day: 86_400_000, week: 7 * 86_400_000, month: 31 * 86_400_000 } as const;

export async function cardHistory(db: Db, cardId: string, q: { bucket: repo.Bucket; from?: string; to?: string }) {
  if (!(await findCard(db, cardId))) throw new CardNotFoundError();
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * PERIOD_MS[q.bucket]);
  if (from >= to) throw new InvalidFieldError('query.from', 'must be before query.to');
  if ((to.getTime() - from.getTime()) / PERIOD_MS[q.bucket] > MAX_PERIODS[q.bucket] + 1) {
    throw new InvalidFieldError('query.from', `at most ${MAX_PERIODS[q.bucket]} ${q.bucket}s per request`);
  }
  const rows = await repo.cardHistory(db, cardId, q.bucket, from, to);
  return {
    cardId,
    bucket: q.bucket,
    from: from.toISOString(),
    to: to.toISOString(),
    items: rows.map((r) => ({ ...r, period: r.period.toISOString() })),
  };
}
