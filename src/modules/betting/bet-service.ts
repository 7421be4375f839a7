import { uuidv7 } from 'uuidv7';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { decodeIdCursor, encodeIdCursor } from '../../platform/http/cursor.ts';
import {
  BetNotCancellableError,
  BetNotFoundError,
  BettingInputError,
  InsufficientBalanceError,
  MarketClosedError,
  OddsChangedError,
  RiskLimitError,
} from './errors.ts';
import { movementId } from './ids.ts';
import { fixedExposure, fixedPayout, oddsAcceptable } from './odds.ts';
import { checkBetAllowed } from './play-service.ts';
import { COIN, InsufficientFundsError, UnknownAccountError, transfer, walletAccountId } from './ports.ts';
import * as repo from './repo.ts';
import type { MyBetsQuery, PlaceBetBody } from './schemas.ts';
import type { BetRow, EventRow, MarketRow } from './tables.ts';
import { betView, currentOdds } from './views.ts';

/*
 * Placing a bet: the market's row lock first (every change to a market takes it, so exposure and
 * liability caps are checked against settled numbers), then the ledger's balances. The stake moves
 * from the wallet into the market's escrow in the same transaction as the bet row.
 *
 * Cancelling: parimutuel bets may be cancelled while their market still takes bets (the stake
 * returns from the pool); fixed-odds bets are a price agreed with the house and are never
 * cancellable.
 */

function checkOpen(market: MarketRow, event: EventRow, now: Date) {
  if (market.status !== 'open') throw new MarketClosedError(market.status);
  if (event.opensAt > now) throw new MarketClosedError(market.status, 'Betting on this event has not opened yet');
  if (event.startsAt <= now) throw new MarketClosedError('closed', 'Betting closed when the event started');
}

export async function placeBet(db: Db, userId: string, body: PlaceBetBody, now = new Date()) {
  const stake = BigInt(body.stake);
  return withTransaction(db, async (tx) => {
    const found = await repo.findMarket(tx, body.marketId, true);
    if (!found) throw new BettingInputError('body.marketId', 'is not a betting market');
    const { market, event } = found;
    if (event.id !== body.eventId) throw new BettingInputError('body.eventId', 'is not the event of this market');
    checkOpen(market, event, now);
    const outcomes = await repo.outcomesOfMarkets(tx, [market.id]);
    const index = outcomes.findIndex((o) => o.id === body.outcomeId);
    const outcome = outcomes[index];
    if (!outcome) throw new BettingInputError('body.outcomeId', 'is not an outcome of this market');
    if (stake < market.minStake) {
      throw new RiskLimitError(
        'stake_too_small',
        'body.stake',
        `The smallest stake is ${market.minStake}`,
        market.minStake,
      );
    }
    if (stake > market.maxStake) {
      throw new RiskLimitError(
        'stake_too_large',
        'body.stake',
        `The largest stake is ${market.maxStake}`,
        market.maxStake,
      );
    }
    await checkBetAllowed(tx, userId, stake, now);
    const odds = currentOdds(market, outcomes)[index] ?? null;
    const tolerance = body.oddsTolerance ?? 0;
    const mine = await repo.userExposure(tx, userId, market.id);
    let potentialPayout: bigint | null = null;
    if (market.type === 'fixed') {
      if (body.odds === undefined) throw new BettingInputError('body.odds', 'is required on fixed-odds markets');
      if (odds === null || !oddsAcceptable(body.odds, odds, tolerance)) throw new OddsChangedError(odds, body.odds);
      potentialPayout = fixedPayout(stake, odds);
      if (potentialPayout > market.maxPayout) {
        throw new RiskLimitError(
          'max_payout',
          'body.stake',
          `A bet may win at most ${market.maxPayout}`,
          market.maxPayout,
        );
      }
      if (mine.payout + potentialPayout > market.userLiabilityCap) {
        throw new RiskLimitError(
          'user_liability',
          'body.stake',
          'Your open bets on this market would win more than allowed',
          market.userLiabilityCap,
        );
      }
      if (outcome.liability + potentialPayout > market.outcomeLiabilityCap) {
        throw new RiskLimitError(
          'outcome_liability',
          'body.outcomeId',
          'This outcome takes no more bets of this size',
          market.outcomeLiabilityCap,
        );
      }
    } else {
      if (body.odds !== undefined && odds !== null && !oddsAcceptable(body.odds, odds, tolerance)) {
        throw new OddsChangedError(odds, body.odds);
      }
      if (mine.staked + stake > market.userLiabilityCap) {
        throw new RiskLimitError(
          'user_liability',
          'body.stake',
          'Your stakes on this market would pass the per-user limit',
          market.userLiabilityCap,
        );
      }
    }
    const id = uuidv7();
    try {
      await transfer(tx, {
        id: movementId(id, 0, 'stake'),
        kind: 'betting.stake',
        reference: id,
        legs: [{ from: walletAccountId(userId), to: market.escrowId, asset: COIN, amount: stake }],
        audit: { actor: { type: 'user', id: userId } },
      });
    } catch (err) {
      // No wallet yet means nothing to stake either.
      if (err instanceof InsufficientFundsError || err instanceof UnknownAccountError) {
        throw new InsufficientBalanceError();
      }
      throw err;
    }
    const bet = await repo.insertBet(tx, {
      id,
      userId,
      eventId: event.id,
      marketId: market.id,
      outcomeId: outcome.id,
      stake,
      oddsMilli: odds,
      potentialPayout,
    });
    await repo.addToOutcome(tx, outcome.id, stake, potentialPayout ?? 0n);
    const totalStaked = market.totalStaked + stake;
    const exposure =
      market.type === 'fixed'
        ? fixedExposure(
            outcomes.map((o) => (o.id === outcome.id ? o.liability + (potentialPayout ?? 0n) : o.liability)),
            totalStaked,
          )
        : totalStaked;
    await repo.addToMarket(tx, market.id, stake, exposure);
    if (exposure > market.suspendExposure) {
      await repo.transitionMarket(tx, market.id, ['open'], {
        status: 'suspended',
        suspendReason: `exposure ${exposure} passed ${market.suspendExposure}`,
      });
    }
    return betView(bet, market.type, market.type === 'parimutuel');
  });
}

export async function cancelBet(db: Db, userId: string, betId: string, now = new Date()) {
  return withTransaction(db, async (tx) => {
    const peek = await repo.findBet(tx, betId);
    if (!peek || peek.userId !== userId) throw new BetNotFoundError();
    const found = await repo.findMarket(tx, peek.marketId, true);
    const bet = await repo.findBet(tx, betId, true);
    if (!found || !bet) throw new BetNotFoundError();
    const { market, event } = found;
    if (market.type !== 'parimutuel') throw new BetNotCancellableError('Fixed-odds bets cannot be cancelled');
    if (bet.status !== 'open') throw new BetNotCancellableError(`This bet is already ${bet.status}`);
    if (market.status !== 'open' || event.startsAt <= now) {
      throw new BetNotCancellableError('Bets can be cancelled only while the market takes bets');
    }
    if (!(await repo.closeBet(tx, bet.id, 'cancelled', 0n, 0))) throw new BetNotCancellableError('Already closed');
    await transfer(tx, {
      id: movementId(bet.id, 0, 'cancel'),
      kind: 'betting.refund',
      reference: bet.id,
      memo: 'bet cancelled',
      legs: [{ from: market.escrowId, to: walletAccountId(userId), asset: COIN, amount: bet.stake }],
      audit: { actor: { type: 'user', id: userId } },
    });
    await repo.addToOutcome(tx, bet.outcomeId, -bet.stake, 0n);
    await repo.addToMarket(tx, market.id, -bet.stake, market.totalStaked - bet.stake);
    const after = await repo.findBet(tx, bet.id);
    return betView(after ?? bet, market.type, false);
  });
}

function cancellable(bet: BetRow, market: MarketRow | undefined, event: EventRow | undefined, now: Date) {
  return Boolean(
    bet.status === 'open' && market?.type === 'parimutuel' && market.status === 'open' && event && event.startsAt > now,
  );
}

/** The user's bets, newest first, with profit/loss and ROI over all settled bets. */
export async function myBets(db: Db, userId: string, q: MyBetsQuery, now = new Date()) {
  const before = decodeIdCursor(q.cursor);
  const rows = await repo.myBets(db, userId, {
    limit: q.limit + 1,
    ...(before ? { before } : {}),
    ...(q.state ? { state: q.state } : {}),
  });
  const page = rows.slice(0, q.limit);
  const markets = await repo.marketsWithEvents(
    db,
    page.map((b) => b.marketId),
  );
  const totals = await repo.betTotals(db, userId);
  const profit = totals.returned - totals.staked;
  const last = page.at(-1);
  return {
    items: page.map((b) => {
      const m = markets.get(b.marketId);
      return betView(b, m?.market.type ?? 'unknown', cancellable(b, m?.market, m?.event, now));
    }),
    nextCursor: rows.length > q.limit && last ? encodeIdCursor(last.id) : null,
    summary: {
      staked: Number(totals.staked),
      returned: Number(totals.returned),
      profit: Number(profit),
      roiPct: totals.staked > 0n ? Math.round((Number(profit) / Number(totals.staked)) * 10_000) / 100 : null,
      openStakes: Number(totals.open),
    },
  };
}
