import type { Db } from '../../platform/db/tx.ts';
import { boardUserRows, publicCollectorIds } from './repo.ts';

/** What a ranking may show of an account: its name, whether it is active and its collection public. */
export interface BoardUser {
  id: string;
  username: string;
  active: boolean;
  collectionPublic: boolean;
}

/** The accounts among `ids` that exist (unknown ids, such as bots' own accounts, are absent). */
export async function boardUsers(db: Db, ids: readonly string[]): Promise<Map<string, BoardUser>> {
  const rows = await boardUserRows(db, [...new Set(ids)]);
  return new Map(
    rows.map((u) => [
      u.id,
      {
        id: u.id,
        username: u.username,
        active: u.status === 'active',
        collectionPublic: u.collectionVisibility === 'public',
      },
    ]),
  );
}

/** A page of active accounts whose collection is public, ascending by id after `afterId`. */
export const publicCollectors = (db: Db, afterId: string | null, limit: number) =>
  publicCollectorIds(db, afterId, limit);
