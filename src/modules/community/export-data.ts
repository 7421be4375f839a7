import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, without, type Exporter } from '../../platform/privacy/export.ts';
import {
  communityComments,
  communityFeed,
  communityFollows,
  communityForks,
  communityLikes,
  communityReports,
  communitySharing,
} from './tables.ts';

/**
 * The community section of a user's export: what they share, forked, wrote, liked, follow and
 * reported, and their own feed posts. A sharing link's token is a credential: it stays out.
 */
export const communityExporter: Exporter = {
  section: 'community',
  async export(db: Db, userId: string) {
    return {
      sharing: (
        await db
          .select()
          .from(communitySharing)
          .where(eq(communitySharing.ownerId, userId))
          .orderBy(desc(communitySharing.createdAt))
      ).map((s) => without(s, 'linkToken')),
      forks: await capped((n) =>
        db
          .select()
          .from(communityForks)
          .where(eq(communityForks.forkedBy, userId))
          .orderBy(desc(communityForks.id))
          .limit(n),
      ),
      comments: await capped((n) =>
        db
          .select()
          .from(communityComments)
          .where(eq(communityComments.authorId, userId))
          .orderBy(desc(communityComments.id))
          .limit(n),
      ),
      likes: await capped((n) =>
        db
          .select()
          .from(communityLikes)
          .where(eq(communityLikes.userId, userId))
          .orderBy(desc(communityLikes.createdAt))
          .limit(n),
      ),
      follows: await capped((n) =>
        db
          .select()
          .from(communityFollows)
          .where(eq(communityFollows.followerId, userId))
          .orderBy(desc(communityFollows.createdAt))
          .limit(n),
      ),
      posts: await capped((n) =>
        db
          .select()
          .from(communityFeed)
          .where(eq(communityFeed.actorId, userId))
          .orderBy(desc(communityFeed.id))
          .limit(n),
      ),
      reports: await capped((n) =>
        db
          .select()
          .from(communityReports)
          .where(eq(communityReports.reporterId, userId))
          .orderBy(desc(communityReports.id))
          .limit(n)
          .then((rows) => rows.map((r) => without(r, 'resolvedBy'))),
      ),
    };
  },
};

/**
 * Erases a deleted account's community data: its comments lose their text the way a deleted
 * comment does (replies stay in place), its shared strategies stop being shared and lose their
 * description, its likes and follows (both ways) go, the feed forgets its posts and follows, and
 * its reports keep their outcome for moderation history but lose the words it wrote.
 */
export async function eraseCommunityData(db: Db, userId: string): Promise<void> {
  await db.execute(sql`UPDATE ${communityComments} SET body = '', deleted_at = coalesce(deleted_at, now())
    WHERE author_id = ${userId} AND (body <> '' OR deleted_at IS NULL)`);
  await db.execute(sql`UPDATE ${communitySharing} SET description = '', visibility = 'private', updated_at = now()
    WHERE owner_id = ${userId}`);
  await db.execute(sql`DELETE FROM ${communityLikes} WHERE user_id = ${userId}`);
  await db.execute(sql`DELETE FROM ${communityFollows}
    WHERE follower_id = ${userId} OR (target_type = 'user' AND target_id = ${userId})`);
  await db.execute(sql`DELETE FROM ${communityFeed} WHERE actor_id = ${userId} OR data->>'followerId' = ${userId}`);
  await db.execute(sql`UPDATE ${communityReports} SET reason = '' WHERE reporter_id = ${userId} AND reason <> ''`);
}
