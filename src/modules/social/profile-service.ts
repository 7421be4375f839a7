import type { FastifyRequest } from 'fastify';
import type { Db } from '../../platform/db/tx.ts';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { SocialInputError, SocialUserNotFoundError } from './errors.ts';
import { usernamesOf } from './match-repo.ts';
import * as matches from './match-service.ts';
import {
  badgesOfUsers,
  identityDeps,
  principalOf,
  updateProfile as updateAccount,
  type ProfileInput,
} from './ports.ts';
import * as repo from './profile-repo.ts';
import { plainText } from './text.ts';

export const BIO_MAX_CHARS = 500;
export const SHOWCASE_MAX = 12;

const iso = (d: string | Date) => new Date(d).toISOString();

/** Profile pages are keyed by lower-cased username, tagged so another list's cursor never reads as one. */
function readUsernameKey(raw: unknown): string | undefined {
  if (!Array.isArray(raw) || raw.length !== 2 || raw[0] !== 'u') return undefined;
  const name: unknown = raw[1];
  return typeof name === 'string' && /^[a-z0-9_.-]{1,64}$/.test(name) ? name : undefined;
}

/** Public profiles by username prefix, set collected or card wanted, by username. */
export async function searchProfiles(
  db: Db,
  viewerId: string | null,
  q: { q?: string; setId?: string; wants?: string; limit: number; cursor?: string },
) {
  const after = decodeCursor(q.cursor, readUsernameKey);
  const rows = await repo.searchProfiles(db, viewerId, {
    q: q.q,
    setId: q.setId?.toLowerCase(),
    wants: q.wants?.toLowerCase(),
    limit: q.limit + 1,
    after,
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      username: r.username,
      bio: r.bio ?? '',
      memberSince: iso(r.created_at),
      setsCollected: r.sets_collected,
      wishlistSize: r.wishes,
    })),
    nextCursor: rows.length > q.limit && last ? encodeCursor(['u', last.username.toLowerCase()]) : null,
  };
}

/**
 * A profile: public collections only (a private one is the owner's alone), never across a block.
 * Showcase cards the owner no longer holds are left out.
 */
export async function getProfile(db: Db, viewerId: string | null, username: string) {
  const user = await repo.findProfileUser(db, username);
  if (!user || user.status !== 'active') throw new SocialUserNotFoundError();
  const self = viewerId === user.id;
  if (!self && user.collectionVisibility !== 'public') throw new SocialUserNotFoundError();
  if (!self && viewerId && (await repo.eitherBlocked(db, viewerId, user.id))) throw new SocialUserNotFoundError();
  const showcaseIds = await repo.showcaseOf(db, user.id);
  const held = new Map((await repo.heldVariants(db, user.id, showcaseIds)).map((h) => [h.variant_id, h]));
  const badges = (await badgesOfUsers(db, [user.id])).get(user.id) ?? [];
  return {
    username: user.username,
    bio: user.bio ?? '',
    visibility: user.collectionVisibility,
    memberSince: user.createdAt.toISOString(),
    showcase: showcaseIds.flatMap((id) => {
      const h = held.get(id);
      return h
        ? [
            {
              variantId: id,
              cardId: h.card_id,
              name: h.name,
              level: Number(h.level),
              set: h.set_code,
              quantity: Number(h.quantity),
            },
          ]
        : [];
    }),
    badges,
    reputation: { ...(await repo.reputation(db, user.id)), memberSince: user.createdAt.toISOString() },
    ...(await repo.followCounts(db, user.id)),
  };
}

export interface ProfileBody {
  bio?: string | null;
  showcase?: string[];
  visibility?: 'public' | 'private';
}

/**
 * Changes my bio (plain text), showcase (variants I hold now, no repeats) and collection
 * visibility. Every field is checked before anything is written. Bio and visibility are the
 * account's own (kept by identity); a visibility change queues my matches for recomputation.
 */
export async function updateProfile(ctx: PlatformContext, request: FastifyRequest, body: ProfileBody) {
  const principal = principalOf(request);
  const me = principal.userId;
  const db = ctx.db;
  let bio: string | null | undefined;
  if (body.bio !== undefined) {
    bio = body.bio === null ? null : plainText(body.bio);
    if (bio !== null && bio.length > BIO_MAX_CHARS) {
      throw new SocialInputError('body.bio', `must be at most ${BIO_MAX_CHARS} characters`);
    }
  }
  let showcase: string[] | undefined;
  if (body.showcase !== undefined) {
    showcase = body.showcase.map((id) => id.toLowerCase());
    if (new Set(showcase).size !== showcase.length) {
      throw new SocialInputError('body.showcase', 'lists a variant twice');
    }
    const held = new Set((await repo.heldVariants(db, me, showcase)).map((h) => h.variant_id));
    const missing = showcase.find((id) => !held.has(id));
    if (missing) throw new SocialInputError('body.showcase', `you do not hold variant ${missing}`);
  }
  const account: ProfileInput = {};
  if (bio !== undefined) account.bio = bio;
  if (body.visibility !== undefined) account.collectionVisibility = body.visibility;
  if (Object.keys(account).length > 0) {
    await updateAccount(identityDeps(ctx), principal, account, {
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    });
  }
  if (showcase !== undefined) await repo.saveShowcase(db, me, showcase);
  if (body.visibility !== undefined) await matches.markDirty(db, [me]);
  const username = (await usernamesOf(db, [me])).get(me);
  if (!username) throw new SocialUserNotFoundError();
  return getProfile(db, me, username);
}

/** A timestamp as PostgreSQL prints it (`2026-01-02 03:04:05.678901+00`). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/;

function readFollowKey(raw: unknown): { at: string; id: string } | undefined {
  if (!Array.isArray(raw) || raw.length !== 2) return undefined;
  const [at, id] = raw as unknown[];
  if (typeof at !== 'string' || !TIMESTAMP.test(at)) return undefined;
  if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
  return { at, id };
}

/** My followers or the users I follow, newest first. */
export async function followList(
  db: Db,
  me: string,
  direction: 'followers' | 'following',
  q: { limit: number; cursor?: string },
) {
  const rows = await repo.followPage(db, me, direction, q.limit + 1, decodeCursor(q.cursor, readFollowKey));
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({ id: r.id, username: r.username, since: iso(r.since) })),
    nextCursor: rows.length > q.limit && last ? encodeCursor([last.since_key, last.id]) : null,
  };
}
