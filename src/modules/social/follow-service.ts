import type { Db } from '../../platform/db/tx.ts';
import { SelfActionError, SocialUserNotFoundError } from './errors.ts';
import { findUserRef, followUser, unfollowUser } from './ports.ts';

/*
 * Follows of users are the community module's follow graph (one graph for the whole product); these
 * verbs name people by username and answer in the social API's shape.
 */

export async function follow(db: Db, me: string, username: string) {
  const target = await findUserRef(db, username);
  if (!target) throw new SocialUserNotFoundError();
  if (target.id === me) throw new SelfActionError('You cannot follow yourself', 'body.username');
  const state = await followUser(db, me, target.username);
  return { username: target.username, following: state.following, followers: state.followers };
}

export async function unfollow(db: Db, me: string, username: string) {
  const target = await findUserRef(db, username);
  if (!target) throw new SocialUserNotFoundError();
  const state = await unfollowUser(db, me, target.username);
  return { username: target.username, following: state.following, followers: state.followers };
}
