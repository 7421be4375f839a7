import { sql } from 'drizzle-orm';
import { withTransaction } from '../../platform/db/tx.ts';
import type { AggregateDeps } from './aggregate.ts';
import { PERIODS } from './compute.ts';
import * as repo from './repo.ts';
import { BOARD_KINDS, leaderboardEntries } from './tables.ts';

/**
 * Erases a deleted account from the boards at once rather than at the next rebuild: it leaves the
 * people boards (traders, collectors; the rest move up a rank), and its bots and backtests stay
 * ranked under neutral labels instead of the names it gave them. The mirror and cached pages follow.
 */
export async function eraseLeaderboardData(deps: AggregateDeps, userId: string): Promise<void> {
  await withTransaction(deps.db, async (tx) => {
    await repo.lockBoards(tx);
    await tx.execute(sql`DELETE FROM ${leaderboardEntries}
      WHERE board IN ('traders', 'collectors') AND (subject_id = ${userId} OR owner_id = ${userId})`);
    await tx.execute(sql`UPDATE ${leaderboardEntries}
      SET name = CASE WHEN board = 'backtest' THEN 'Backtest ' ELSE 'Bot ' END || left(subject_id::text, 8)
      WHERE owner_id = ${userId}`);
    for (const board of BOARD_KINDS) for (const period of PERIODS) await repo.rerank(tx, board, period);
  });
  if (deps.mirror) {
    for (const board of BOARD_KINDS) for (const period of PERIODS) await deps.mirror.write(deps.db, board, period);
  }
  await deps.onChange?.();
}
