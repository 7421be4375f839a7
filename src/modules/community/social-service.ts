import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { visibleBot, type Viewer } from './access.ts';
import { BlockedError, CommunityUserNotFoundError, SelfActionError } from './errors.ts';
import { findUserRef, hasBlocked, notify } from './ports.ts';
import * as repo from './repo.ts';
import type { FollowTarget } from './tables.ts';

/*
 * Likes on shared bots and follows of authors and bots: idempotent (doing it twice is doing it once),
 * refused when the author has blocked the caller. A new follower is notified to the one followed.
 */

async function likeState(db: Db, botId: string, liked: boolean) {
  return { botId, liked, likes: (await repo.likeCounts(db, [botId])).get(botId) ?? 0 };
}

export async function setLike(db: Db, userId: string, botId: string, liked: boolean, token?: string) {
  await visibleBot(db, { userId, moderator: false }, botId, token);
  if (liked) await repo.like(db, botId, userId);
  else await repo.unlike(db, botId, userId);
  return likeState(db, botId, liked);
}

async function followState(db: Db, targetType: FollowTarget, targetId: string, following: boolean) {
  const followers = (await repo.followerCounts(db, targetType, [targetId])).get(targetId) ?? 0;
  return { targetType, targetId, following, followers };
}

async function addFollow(
  db: Db,
  followerId: string,
  target: { type: FollowTarget; id: string; ownerId: string; label: string },
) {
  if (await hasBlocked(db, target.ownerId, followerId)) {
    throw new BlockedError(target.type === 'user' ? 'This user has blocked you' : "The bot's owner has blocked you");
  }
  await withTransaction(db, async (tx) => {
    const fresh = await repo.follow(tx, followerId, target.type, target.id);
    if (!fresh || target.ownerId === followerId) return;
    const follower = await findUserRef(tx, followerId);
    const who = follower?.username ?? 'Someone';
    await notify(tx, {
      userId: target.ownerId,
      type: 'community.new_follower',
      title: `${who} follows ${target.type === 'user' ? 'you' : target.label}`,
      body:
        target.type === 'user' ? `${who} started following you.` : `${who} started following your bot ${target.label}.`,
      data: { followerId, targetType: target.type, targetId: target.id },
    });
  });
  return followState(db, target.type, target.id, true);
}

export async function followUser(db: Db, followerId: string, username: string) {
  const target = await findUserRef(db, username);
  if (!target) throw new CommunityUserNotFoundError();
  if (target.id === followerId) throw new SelfActionError('You cannot follow yourself', 'params.username');
  return addFollow(db, followerId, { type: 'user', id: target.id, ownerId: target.id, label: target.username });
}

export async function unfollowUser(db: Db, followerId: string, username: string) {
  const target = await findUserRef(db, username);
  if (!target) throw new CommunityUserNotFoundError();
  await repo.unfollow(db, followerId, 'user', target.id);
  return followState(db, 'user', target.id, false);
}

export async function followBot(db: Db, followerId: string, botId: string, token?: string) {
  const viewer: Viewer = { userId: followerId, moderator: false };
  const { bot } = await visibleBot(db, viewer, botId, token);
  return addFollow(db, followerId, { type: 'bot', id: bot.id, ownerId: bot.ownerId, label: bot.name });
}

export async function unfollowBot(db: Db, followerId: string, botId: string, token?: string) {
  await visibleBot(db, { userId: followerId, moderator: false }, botId, token);
  await repo.unfollow(db, followerId, 'bot', botId);
  return followState(db, 'bot', botId, false);
}
