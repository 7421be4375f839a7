import type { Db } from '../../platform/db/tx.ts';
import { AppError } from '../../platform/http/errors.ts';
import { UserNotFoundError } from './errors.ts';
import { findUserRef } from './profile-service.ts';
import { blockedBy, blockExists, deleteBlock, insertBlock } from './block-repo.ts';

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
  await insertBlock(db, blockerId, target.id);
  return target;
}

/** Lifts a block; unknown users and users not blocked are reported missing. */
export async function unblock(db: Db, blockerId: string, ref: string): Promise<void> {
  const target = await findUserRef(db, ref);
  if (!target) throw new UserNotFoundError();
  if (!(await deleteBlock(db, blockerId, target.id))) throw new UserNotFoundError();
}

/** The users the caller blocked, newest first. */
export async function listBlocked(db: Db, blockerId: string) {
  const rows = await blockedBy(db, blockerId);
  return rows.map((r) => ({ id: r.id, username: r.username, blockedAt: r.blockedAt.toISOString() }));
}

/** Whether `blockerId` has blocked `blockedId` (other modules ask before letting one reach the other). */
export async function hasBlocked(db: Db, blockerId: string, blockedId: string): Promise<boolean> {
  return blockExists(db, blockerId, blockedId);
}
