import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import {
  cardSets,
  cardVariants,
  cards,
  cardsWishlist,
  communityFollows,
  fraudFlags,
  identityBlocks,
  identityUsers,
  ledgerBalances,
  tradeOffers,
} from './ports.ts';
import { socialProfiles } from './tables.ts';

const uuids = (ids: readonly string[]) => sql`${`{${ids.join(',')}}`}::uuid[]`;

export interface ProfileSearch {
  /** Username prefix, any case. */
  q?: string;
  /** Holds at least one card of this set. */
  setId?: string;
  /** Has this card on their wishlist. */
  wants?: string;
  limit: number;
  after?: string;
}

export interface ProfileSummaryRow extends Record<string, unknown> {
  id: string;
  username: string;
  bio: string | null;
  created_at: string | Date;
  sets_collected: number;
  wishes: number;
}

const likePrefix = (q: string) => `${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Active accounts with a public collection, by username, with what they collect and want. */
export async function searchProfiles(db: Db, viewerId: string | null, s: ProfileSearch): Promise<ProfileSummaryRow[]> {
  const conds = [sql`u.status = 'active' AND u.collection_visibility = 'public'`];
  if (s.q) conds.push(sql`lower(u.username) LIKE ${likePrefix(s.q)}`);
  if (s.after) conds.push(sql`lower(u.username) > ${s.after}`);
  if (s.wants)
    conds.push(sql`EXISTS (SELECT 1 FROM ${cardsWishlist} w WHERE w.user_id = u.id AND w.card_id = ${s.wants})`);
  if (s.setId) {
    conds.push(sql`EXISTS (SELECT 1 FROM ${ledgerBalances} b JOIN ${cardVariants} v ON v.asset = b.asset
      JOIN ${cards} c ON c.id = v.card_id
      WHERE b.account_id = u.id AND b.asset LIKE 'CARD:%' AND b.available + b.held > 0 AND c.set_id = ${s.setId})`);
  }
  if (viewerId) {
    conds.push(sql`NOT EXISTS (SELECT 1 FROM ${identityBlocks} bl
      WHERE (bl.blocker_id = ${viewerId} AND bl.blocked_id = u.id) OR (bl.blocker_id = u.id AND bl.blocked_id = ${viewerId}))`);
  }
  const r = await db.execute<ProfileSummaryRow>(sql`
    SELECT u.id, u.username, u.bio, u.created_at,
      (SELECT count(DISTINCT c.set_id)::int FROM ${ledgerBalances} b JOIN ${cardVariants} v ON v.asset = b.asset
         JOIN ${cards} c ON c.id = v.card_id
        WHERE b.account_id = u.id AND b.asset LIKE 'CARD:%' AND b.available + b.held > 0) AS sets_collected,
      (SELECT count(*)::int FROM ${cardsWishlist} w WHERE w.user_id = u.id) AS wishes
      FROM ${identityUsers} u
     WHERE ${sql.join(conds, sql` AND `)}
     ORDER BY lower(u.username)
     LIMIT ${s.limit}`);
  return r.rows;
}

export interface ProfileUser {
  id: string;
  username: string;
  bio: string | null;
  status: string;
  collectionVisibility: 'public' | 'private';
  createdAt: Date;
}

export async function findProfileUser(db: Db, username: string): Promise<ProfileUser | null> {
  const [row] = await db
    .select({
      id: identityUsers.id,
      username: identityUsers.username,
      bio: identityUsers.bio,
      status: identityUsers.status,
      collectionVisibility: identityUsers.collectionVisibility,
      createdAt: identityUsers.createdAt,
    })
    .from(identityUsers)
    .where(sql`lower(${identityUsers.username}) = lower(${username})`);
  return row ?? null;
}

export async function eitherBlocked(db: Db, a: string, b: string): Promise<boolean> {
  const r = await db.execute(sql`SELECT 1 FROM ${identityBlocks}
    WHERE (blocker_id = ${a} AND blocked_id = ${b}) OR (blocker_id = ${b} AND blocked_id = ${a})`);
  return r.rows.length > 0;
}

export async function showcaseOf(db: Db, userId: string): Promise<string[]> {
  const [row] = await db
    .select({ showcase: socialProfiles.showcase })
    .from(socialProfiles)
    .where(eq(socialProfiles.userId, userId));
  return row?.showcase ?? [];
}

export async function saveShowcase(db: Db, userId: string, showcase: string[]): Promise<void> {
  await db
    .insert(socialProfiles)
    .values({ userId, showcase })
    .onConflictDoUpdate({ target: socialProfiles.userId, set: { showcase, updatedAt: sql`now()` } });
}

export interface HeldVariantRow extends Record<string, unknown> {
  variant_id: string;
  card_id: string;
  name: string;
  level: number;
  set_code: string;
  quantity: string;
}

/** Which of these variants the user holds now (in the wallet or in an escrow of theirs counts not). */
export async function heldVariants(db: Db, userId: string, variantIds: readonly string[]): Promise<HeldVariantRow[]> {
  if (variantIds.length === 0) return [];
  const r = await db.execute<HeldVariantRow>(sql`
    SELECT v.id AS variant_id, c.id AS card_id, c.name, v.level, s.code AS set_code, (b.available + b.held)::text AS quantity
      FROM ${cardVariants} v JOIN ${cards} c ON c.id = v.card_id JOIN ${cardSets} s ON s.id = c.set_id
      JOIN ${ledgerBalances} b ON b.account_id = ${userId} AND b.asset = v.asset
     WHERE v.id = ANY(${uuids(variantIds)}) AND b.available + b.held > 0`);
  return r.rows;
}

/** Accepted trades the user took part in, and fraud flags confirmed by staff that name them. */
export async function reputation(db: Db, userId: string): Promise<{ completedTrades: number; upheldFlags: number }> {
  const r = await db.execute<{ trades: number; flags: number }>(sql`
    SELECT (SELECT count(*)::int FROM ${tradeOffers} o
             WHERE o.status = 'accepted' AND (o.proposer_id = ${userId} OR o.recipient_id = ${userId})) AS trades,
           (SELECT count(*)::int FROM ${fraudFlags} f
             WHERE f.outcome = 'confirmed' AND ${userId}::uuid = ANY(f.user_ids)) AS flags`);
  return { completedTrades: r.rows[0]?.trades ?? 0, upheldFlags: r.rows[0]?.flags ?? 0 };
}

export async function followCounts(db: Db, userId: string): Promise<{ followers: number; following: number }> {
  const r = await db.execute<{ followers: number; following: number }>(sql`
    SELECT (SELECT count(*)::int FROM ${communityFollows} f WHERE f.target_type = 'user' AND f.target_id = ${userId}) AS followers,
           (SELECT count(*)::int FROM ${communityFollows} f WHERE f.target_type = 'user' AND f.follower_id = ${userId}) AS following`);
  return { followers: r.rows[0]?.followers ?? 0, following: r.rows[0]?.following ?? 0 };
}

export interface FollowRow extends Record<string, unknown> {
  id: string;
  username: string;
  since: string | Date;
  /** The follow's time as the database writes it (full precision), for the page cursor. */
  since_key: string;
}

/**
 * One page of a user's followers (`direction = 'followers'`) or of the users they follow, newest
 * first; only active accounts. `after` is the (time, id) of the previous page's last row.
 */
export async function followPage(
  db: Db,
  userId: string,
  direction: 'followers' | 'following',
  limit: number,
  after?: { at: string; id: string },
): Promise<FollowRow[]> {
  const [mine, theirs] =
    direction === 'followers' ? [sql`f.target_id`, sql`f.follower_id`] : [sql`f.follower_id`, sql`f.target_id`];
  const afterCond = after ? sql` AND (f.created_at, ${theirs}) < (${after.at}::timestamptz, ${after.id}::uuid)` : sql``;
  const r = await db.execute<FollowRow>(sql`
    SELECT u.id, u.username, f.created_at AS since, f.created_at::text AS since_key
      FROM ${communityFollows} f JOIN ${identityUsers} u ON u.id = ${theirs}
     WHERE f.target_type = 'user' AND ${mine} = ${userId} AND u.status = 'active'${afterCond}
     ORDER BY f.created_at DESC, ${theirs} DESC
     LIMIT ${limit}`);
  return r.rows;
}
