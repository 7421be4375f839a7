import { uuidv7 } from 'uuidv7';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { BettingInputError, MarketNotFoundError, MarketStateError } from './errors.ts';
import { movementId } from './ids.ts';
import { COIN, LedgerBatch, walletAccountId } from './ports.ts';
import * as repo from './repo.ts';

/**
 * Records many parimutuel bets at once through the ledger's batch API: one lock statement, one
 * ledger write (one stake movement per bettor) and one bet insert per call. For load tests and data imports only: it skips the
 * responsible-play and per-bet risk checks of `placeBet`, which every user-facing path goes through.
 */
export async function importBets(
  db: Db,
  marketId: string,
  bets: readonly { userId: string; outcomeId: string; stake: bigint }[],
): Promise<number> {
  return withTransaction(db, async (tx) => {
    const found = await repo.findMarket(tx, marketId, true);
    if (!found) throw new MarketNotFoundError();
    const { market, event } = found;
    if (market.status !== 'open' || market.type !== 'parimutuel') {
      throw new MarketStateError(market.status, 'Bets can be imported only into an open parimutuel market');
    }
    const outcomes = new Set((await repo.outcomesOfMarkets(tx, [marketId])).map((o) => o.id));
    const stranger = bets.find((b) => !outcomes.has(b.outcomeId));
    if (stranger) throw new BettingInputError('outcomeId', `${stranger.outcomeId} is not an outcome of this market`);
    const keys = [market.escrowId, ...new Set(bets.map((b) => walletAccountId(b.userId)))].map((accountId) => ({
      accountId,
      asset: COIN,
    }));
    const batch = await LedgerBatch.open(tx, keys);
    const rows = bets.map((b) => ({
      id: uuidv7(),
      userId: b.userId,
      eventId: event.id,
      marketId,
      outcomeId: b.outcomeId,
      stake: b.stake,
    }));
    // One stake movement per bettor and import (the bets list their own stakes).
    const perUser = new Map<string, bigint>();
    for (const b of bets) perUser.set(b.userId, (perUser.get(b.userId) ?? 0n) + b.stake);
    const first = rows[0]?.id ?? marketId;
    for (const [userId, amount] of perUser) {
      batch.add({
        id: movementId(marketId, 'import', first, userId),
        kind: 'betting.stake',
        reference: marketId,
        memo: 'imported bets',
        legs: [{ from: walletAccountId(userId), to: market.escrowId, asset: COIN, amount }],
      });
    }
    await batch.write();
    await repo.insertBets(tx, rows);
    const byOutcome = new Map<string, bigint>();
    for (const b of bets) byOutcome.set(b.outcomeId, (byOutcome.get(b.outcomeId) ?? 0n) + b.stake);
    for (const [outcomeId, staked] of byOutcome) await repo.addToOutcome(tx, outcomeId, staked, 0n);
    const total = bets.reduce((s, b) => s + b.stake, 0n);
    await repo.addToMarket(tx, marketId, total, market.totalStaked + total);
    return rows.length;
  });
}
