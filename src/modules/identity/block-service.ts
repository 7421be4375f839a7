import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { AppError } from '../../platform/http/errors.ts';
import { UserNotFoundError } from './errors.ts';
import { findUserRef } from './profile-service.ts';
import { blocks, users } from './tables.ts';

export class CannotBlockSelfError extends AppError {
  constructor() {
    super('cannot_block_self', 422, 'You cannot block yourself', { field: 'params.username' });
  }
}

/** Blocks a user (by username or id); blocking twice is the same as once. */
export async function block(db: Db, blockerId: string, ref: string) {
  const target = await findUserRef(db, ref);
  if (!target) throw new UserNotFoundError();
  if (target.id === blockerId) throw new CannotBlockSelfError();
  await db.insert(blocks).values({ blockerId, blockedId: target.id }).onConflictDoNothing();
  return target;
}

/** Lifts a block; unknown users and users not blocked are reported missing. */
export async function unblock(db: Db, blockerId: string, ref: string): Promise<void> {
  const target = await findUserRef(db, ref);
  if (!target) throw new UserNotFoundError();
  const removed = await db
    .delete(blocks)
    .where(and(eq(blocks.blockerId, blockerId), eq(blocks.blockedId, target.id)))
    .returning({ id: blocks.blockedId });
  if (removed.length === 0) throw new UserNotFoundError();
}

/** The users the caller blocked, newest first. */
export async function listBlocked(db: Db, blockerId: string) {
  const rows = await db
    .select({ id: users.id, username: users.username, blockedAt: blocks.createdAt })
    .from(blocks)
    .innerJoin(users, eq(users.id, blocks.blockedId))
    .where(eq(blocks.blockerId, blockerId))
    .orderBy(desc(blocks.createdAt));
  return rows.map((r) => ({ id: r.id, username: r.username, blockedAt: r.blockedAt.toISOString() }));
}

/** Whether `blockerId` has blocked `blockedId` (other modules ask before letting one reach the other). */
export async function hasBlocked(db: Db, blockerId: string, blockedId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: blocks.blockedId })
    .from(blocks)
    .where(and(eq(blocks.blockerId, blockerId), eq(blocks.blockedId, blockedId)));
  return row !== undefined;
}
