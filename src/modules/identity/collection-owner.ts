import type { Db } from '../../platform/db/tx.ts';
import { findUserByUsername } from './repo.ts';

/**
 * The owner of a collection by username (any case), and whether others may see it: for the cards
 * module's public collections. Only active accounts are found; `public` is their own setting.
 */
export async function findCollectionOwner(
  db: Db,
  username: string,
): Promise<{ id: string; username: string; public: boolean } | null> {
  const user = await findUserByUsername(db, username);
  if (!user || user.status !== 'active') return null;
  return { id: user.id, username: user.username, public: user.collectionVisibility === 'public' };
}
