import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import type { Match, Side, Spare, Wish } from './match.ts';
import {
  cardVariants,
  cards,
  cardsWishlist,
  identityBlocks,
  identityUsers,
  ledgerBalances,
  ledgerEntries,
} from './ports.ts';
import { socialCursors, socialDirty, socialMatches, socialSpares, type MatchRow } from './tables.ts';

/*
 * The matcher's SQL. Holdings come from the ledger's balances (wallet account id = user id; only the
 * `available` part: copies in an escrow or reserved by a pending transfer are not the user's to
 * trade), wishes from the cards module's wishlist, both read-only.
 */

const uuids = (ids: readonly string[]) => sql`${`{${ids.join(',')}}`}::uuid[]`;

/** `u` (an identity_users alias) may be shown to `me`: active, collection public, no block either way. */
const eligible = (me: string): SQL => sql`u.status = 'active' AND u.collection_visibility = 'public'
  AND NOT EXISTS (SELECT 1 FROM ${identityBlocks} bl
    WHERE (bl.blocker_id = ${me} AND bl.blocked_id = u.id) OR (bl.blocker_id = u.id AND bl.blocked_id = ${me}))`;

/** Rebuilds the spares index of these users from their wallets as they are now. */
export async function refreshSpares(db: Db, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db.execute(sql`DELETE FROM ${socialSpares} WHERE user_id = ANY(${uuids(userIds)})`);
  await db.execute(sql`
    INSERT INTO ${socialSpares} (user_id, variant_id, card_id, level, spare)
    SELECT b.account_id, v.id, v.card_id, v.level, b.available - 1
      FROM ${ledgerBalances} b JOIN ${cardVariants} v ON v.asset = b.asset
     WHERE b.account_id = ANY(${uuids(userIds)}) AND b.asset LIKE 'CARD:%' AND b.available >= 2`);
}

interface SpareRow extends Record<string, unknown> {
  user_id: string;
  variant_id: string;
  card_id: string;
  level: number;
  spare: string;
}
interface WishRow extends Record<string, unknown> {
  user_id: string;
  card_id: string;
  level: number | null;
}

const toSpare = (r: SpareRow): Spare => ({
  variantId: r.variant_id,
  cardId: r.card_id,
  level: Number(r.level),
  spare: BigInt(r.spare),
});
const toWish = (r: WishRow): Wish => ({ cardId: r.card_id, level: r.level === null ? null : Number(r.level) });

function sidesFrom(ids: readonly string[], spares: SpareRow[], wishes: WishRow[]): Map<string, Side> {
  const out = new Map<string, { spares: Spare[]; wishes: Wish[] }>();
  for (const id of ids) out.set(id, { spares: [], wishes: [] });
  const side = (id: string) => {
    let s = out.get(id);
    if (!s) out.set(id, (s = { spares: [], wishes: [] }));
    return s;
  };
  for (const r of spares) side(r.user_id).spares.push(toSpare(r));
  for (const r of wishes) side(r.user_id).wishes.push(toWish(r));
  return out;
}

/** Full spares (from the index) and wishes of these users. */
export async function sidesOf(db: Db, userIds: readonly string[]): Promise<Map<string, Side>> {
  if (userIds.length === 0) return new Map();
  const spares = await db.execute<SpareRow>(sql`
    SELECT user_id, variant_id, card_id, level, spare::text AS spare FROM ${socialSpares}
     WHERE user_id = ANY(${uuids(userIds)})`);
  const wishes = await db.execute<WishRow>(sql`
    SELECT user_id, card_id, variant_level AS level FROM ${cardsWishlist} WHERE user_id = ANY(${uuids(userIds)})`);
  return sidesFrom(userIds, spares.rows, wishes.rows);
}

/** Which cards a scoped match may get: the given cards and every card of the given sets. */
export interface MatchScope {
  cardIds?: string[];
  setIds?: string[];
}

function scopeFilter(scope: MatchScope | undefined): SQL {
  if (!scope || (!scope.cardIds?.length && !scope.setIds?.length)) return sql``;
  const parts: SQL[] = [];
  if (scope.cardIds?.length) parts.push(sql`w.card_id = ANY(${uuids(scope.cardIds)})`);
  if (scope.setIds?.length) {
    parts.push(sql`w.card_id IN (SELECT c.id FROM ${cards} c WHERE c.set_id = ANY(${uuids(scope.setIds)}))`);
  }
  return sql` AND (${sql.join(parts, sql` OR `)})`;
}

/**
 * The partners `me` may match, each with the part of their side that matters: their spares that
 * cover one of my wishes (in `scope`) and their wishes that one of my spares covers. Only users who
 * are on both lists and eligible are returned, and of those only the best `limit` by (mutual
 * coverage, coverage), ties at the boundary included: the counts are exact in SQL, so nobody left
 * out could rank in the top `limit` on value.
 *
 * Set-based and index-only: my wishes and spares are read first (a few dozen rows), then each
 * side is one range scan per card on the covering indexes (`social_spares_card_idx`,
 * `cards_wishlist_card_idx`), never a scan of everyone's spares or wishes.
 */
export async function partnerSides(db: Db, me: string, limit: number, scope?: MatchScope): Promise<Map<string, Side>> {
  const gets = await db.execute<SpareRow>(sql`
    WITH wants AS MATERIALIZED (
      SELECT w.card_id, w.variant_level FROM ${cardsWishlist} w WHERE w.user_id = ${me}${scopeFilter(scope)}
    ), mine AS MATERIALIZED (
      SELECT DISTINCT card_id, level FROM ${socialSpares} WHERE user_id = ${me}
    ), gets AS MATERIALIZED (
      SELECT s.user_id, s.variant_id, s.card_id, s.level, s.spare
        FROM wants w
        JOIN ${socialSpares} s ON s.card_id = w.card_id AND (w.variant_level IS NULL OR s.level = w.variant_level)
       WHERE s.user_id <> ${me}
    ), gives AS MATERIALIZED (
      -- A wish may be covered by several of my variants (any level): one row per wish.
      SELECT w.user_id, w.card_id, w.variant_level AS level
        FROM ${cardsWishlist} w
       WHERE w.card_id IN (SELECT card_id FROM mine) AND w.user_id <> ${me}
         AND EXISTS (SELECT 1 FROM mine m WHERE m.card_id = w.card_id AND (w.variant_level IS NULL OR m.level = w.variant_level))
    ), counted AS (
      SELECT g.user_id, least(g.n, v.n) AS mutual, g.n + v.n AS coverage
        FROM (SELECT user_id, count(DISTINCT card_id) AS n FROM gets GROUP BY user_id) g
        JOIN (SELECT user_id, count(*) AS n FROM gives GROUP BY user_id) v USING (user_id)
        JOIN ${identityUsers} u ON u.id = g.user_id
       WHERE ${eligible(me)}
    ), partners AS (
      SELECT user_id FROM (SELECT user_id, rank() OVER (ORDER BY mutual DESC, coverage DESC) AS r FROM counted) x
       WHERE r <= ${limit}
    )
    SELECT 'get' AS kind, g.user_id, g.variant_id, g.card_id, g.level, g.spare::text AS spare
      FROM gets g JOIN partners USING (user_id)
    UNION ALL
    SELECT 'give', v.user_id, NULL, v.card_id, v.level, NULL FROM gives v JOIN partners USING (user_id)`);
  const spares: SpareRow[] = [];
  const wishes: WishRow[] = [];
  for (const r of gets.rows) {
    if (r.kind === 'get') spares.push(r);
    else wishes.push({ user_id: r.user_id, card_id: r.card_id, level: r.level });
  }
  return sidesFrom([], spares, wishes);
}

/** Whether `me` may be matched at all (active, collection public). */
export async function isMatchable(db: Db, userId: string): Promise<boolean> {
  const r = await db.execute(sql`
    SELECT 1 FROM ${identityUsers} u WHERE u.id = ${userId} AND u.status = 'active' AND u.collection_visibility = 'public'`);
  return r.rows.length > 0;
}

const lineJson = (m: Match, which: 'give' | 'get') =>
  JSON.stringify(
    m[which].map((l) => ({ variantId: l.variantId, cardId: l.cardId, quantity: l.quantity, price: String(l.price) })),
  );

/** Replaces the stored matches of `me` with `matches`. */
export async function storeMatches(db: Db, me: string, matches: readonly Match[]): Promise<void> {
  await db.delete(socialMatches).where(sql`${socialMatches.userId} = ${me}`);
  await upsertPairs(
    db,
    matches.map((m) => ({ userId: me, match: m })),
  );
}

/** Keeps only the best `keep` stored matches of each of these users. */
export async function trimMatches(db: Db, userIds: readonly string[], keep: number): Promise<void> {
  if (userIds.length === 0) return;
  await db.execute(sql`
    DELETE FROM ${socialMatches} m USING (
      SELECT user_id, partner_id, row_number() OVER (
               PARTITION BY user_id ORDER BY mutual DESC, coverage DESC, value DESC, partner_id DESC) AS rank
        FROM ${socialMatches} WHERE user_id = ANY(${uuids([...new Set(userIds)])})
    ) r
    WHERE m.user_id = r.user_id AND m.partner_id = r.partner_id AND r.rank > ${keep}`);
}

/** Writes (or overwrites) stored pairs. */
export async function upsertPairs(db: Db, rows: readonly { userId: string; match: Match }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await db
      .insert(socialMatches)
      .values(
        chunk.map(({ userId, match }) => ({
          userId,
          partnerId: match.partnerId,
          mutual: match.mutual,
          coverage: match.coverage,
          value: match.value,
          give: JSON.parse(lineJson(match, 'give')) as MatchRow['give'],
          get: JSON.parse(lineJson(match, 'get')) as MatchRow['get'],
        })),
      )
      .onConflictDoUpdate({
        target: [socialMatches.userId, socialMatches.partnerId],
        set: {
          mutual: sql`excluded.mutual`,
          coverage: sql`excluded.coverage`,
          value: sql`excluded.value`,
          give: sql`excluded.give`,
          get: sql`excluded.get`,
          computedAt: sql`now()`,
        },
      });
  }
}

export async function deletePairs(db: Db, pairs: readonly { userId: string; partnerId: string }[]): Promise<void> {
  if (pairs.length === 0) return;
  await db.execute(sql`
    DELETE FROM ${socialMatches} m USING unnest(${uuids(pairs.map((p) => p.userId))}, ${uuids(pairs.map((p) => p.partnerId))}) x(u, p)
     WHERE m.user_id = x.u AND m.partner_id = x.p`);
}

/** Stored pairs naming any of these users as the partner. */
export async function pairsNaming(db: Db, partnerIds: readonly string[]) {
  if (partnerIds.length === 0) return [];
  const r = await db.execute<{ user_id: string; partner_id: string }>(sql`
    SELECT user_id, partner_id FROM ${socialMatches} WHERE partner_id = ANY(${uuids(partnerIds)})`);
  return r.rows.map((x) => ({ userId: x.user_id, partnerId: x.partner_id }));
}

export interface RankKey {
  mutual: number;
  coverage: number;
  value: string;
  partnerId: string;
}

/** A page of `me`'s stored matches with eligible partners, best first, after `after`. */
export async function storedMatches(db: Db, me: string, limit: number, after?: RankKey) {
  const afterCond = after
    ? sql` AND (m.mutual, m.coverage, m.value, m.partner_id) < (${after.mutual}, ${after.coverage}, ${after.value}::bigint, ${after.partnerId}::uuid)`
    : sql``;
  // Descending on every key, the partner id included, so one row-value comparison pages it.
  const r = await db.execute<{
    partner_id: string;
    username: string;
    mutual: number;
    coverage: number;
    value: string;
    give: MatchRow['give'];
    get: MatchRow['get'];
    computed_at: string | Date;
  }>(sql`
    SELECT m.partner_id, u.username, m.mutual, m.coverage, m.value::text AS value, m.give, m.get, m.computed_at
      FROM ${socialMatches} m JOIN ${identityUsers} u ON u.id = m.partner_id
     WHERE m.user_id = ${me} AND ${eligible(me)}${afterCond}
     ORDER BY m.mutual DESC, m.coverage DESC, m.value DESC, m.partner_id DESC
     LIMIT ${limit}`);
  return r.rows;
}

/** The available wallet copies of each (user, variant) pair right now. */
export async function liveAvailable(
  db: Db,
  pairs: readonly { userId: string; variantId: string }[],
): Promise<Map<string, bigint>> {
  if (pairs.length === 0) return new Map();
  const r = await db.execute<{ user_id: string; variant_id: string; available: string }>(sql`
    SELECT x.u AS user_id, x.v AS variant_id, coalesce(b.available, 0)::text AS available
      FROM unnest(${uuids(pairs.map((p) => p.userId))}, ${uuids(pairs.map((p) => p.variantId))}) x(u, v)
      JOIN ${cardVariants} cv ON cv.id = x.v
      LEFT JOIN ${ledgerBalances} b ON b.account_id = x.u AND b.asset = cv.asset`);
  return new Map(r.rows.map((x) => [`${x.user_id}:${x.variant_id}`, BigInt(x.available)]));
}

// --- dirty users ---

export async function markDirty(db: Db, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db.execute(sql`
    INSERT INTO ${socialDirty} (user_id, marked_at) SELECT DISTINCT x, clock_timestamp() FROM unnest(${uuids(userIds)}) x
    ON CONFLICT (user_id) DO UPDATE SET marked_at = excluded.marked_at`);
}

export async function takeDirty(db: Db, limit: number): Promise<{ userId: string; markedAt: string }[]> {
  const r = await db.execute<{ user_id: string; marked_at: string }>(sql`
    SELECT user_id, marked_at::text AS marked_at FROM ${socialDirty} ORDER BY marked_at LIMIT ${limit}`);
  return r.rows.map((x) => ({ userId: x.user_id, markedAt: x.marked_at }));
}

/** Clears the marks taken, unless a user was marked again since (then they stay dirty). */
export async function clearDirty(db: Db, taken: readonly { userId: string; markedAt: string }[]): Promise<void> {
  if (taken.length === 0) return;
  await db.execute(sql`
    DELETE FROM ${socialDirty} d
     USING unnest(${uuids(taken.map((t) => t.userId))}, ${`{${taken.map((t) => `"${t.markedAt}"`).join(',')}}`}::timestamptz[]) x(u, t)
     WHERE d.user_id = x.u AND d.marked_at <= x.t`);
}

/** Dirty users, oldest mark first (without taking them). */
export async function dirtyUsers(db: Db, limit: number): Promise<string[]> {
  return (await takeDirty(db, limit)).map((d) => d.userId);
}

export async function dirtyCount(db: Db): Promise<number> {
  const r = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM ${socialDirty}`);
  return r.rows[0]?.n ?? 0;
}

/**
 * Marks dirty every user whose card balances changed since the last scan of the ledger's entries.
 * Entry ids come from a sequence, so a transaction that commits late can land below ids already
 * read: the position only moves past entries older than `settleSeconds` (marking someone again on
 * the next scan costs one recomputation). Returns how many users were marked.
 */
export async function scanLedger(db: Db, batch: number, settleSeconds = 5): Promise<{ marked: number; more: boolean }> {
  const [cursor] = await db
    .select()
    .from(socialCursors)
    .where(sql`${socialCursors.name} = 'ledger'`);
  const from = cursor?.position ?? 0n;
  const r = await db.execute<{ settled: string | null; n: number; users: string[] | null }>(sql`
    WITH e AS (
      SELECT id, account_id, asset, created_at FROM ${ledgerEntries} WHERE id > ${from} ORDER BY id LIMIT ${batch}
    )
    SELECT count(*)::int AS n, max(e.id) FILTER (WHERE e.created_at < now() - make_interval(secs => ${settleSeconds}))::text AS settled,
           array_agg(DISTINCT e.account_id) FILTER (WHERE e.asset LIKE 'CARD:%'
             AND EXISTS (SELECT 1 FROM ${identityUsers} u WHERE u.id = e.account_id)) AS users
      FROM e`);
  const row = r.rows[0];
  const users = row?.users ?? [];
  await markDirty(db, users);
  if (row?.settled) {
    await db
      .insert(socialCursors)
      .values({ name: 'ledger', position: BigInt(row.settled) })
      .onConflictDoUpdate({
        target: socialCursors.name,
        set: { position: sql`greatest(${socialCursors.position}, excluded.position)` },
      });
  }
  return { marked: users.length, more: (row?.n ?? 0) === batch && Boolean(row?.settled) };
}

export async function usernamesOf(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const r = await db.execute<{ id: string; username: string }>(sql`
    SELECT id, username FROM ${identityUsers} WHERE id = ANY(${uuids([...new Set(ids)])})`);
  return new Map(r.rows.map((x) => [x.id, x.username]));
}
