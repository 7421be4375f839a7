import { appendAudit, type AuditActor, type RequestOrigin } from '../../platform/audit/index.ts';
import { withRetryableTransaction, withTransaction, type Db } from '../../platform/db/tx.ts';
import { BettingInputError, MarketNotFoundError, MarketStateError } from './errors.ts';
import { movementId } from './ids.ts';
import { parimutuelShare } from './odds.ts';
import {
  COIN,
  LedgerBatch,
  balances,
  notify,
  recordedCandles,
  systemShard,
  transfer,
  walletAccountId,
  type Leg,
} from './ports.ts';
import * as repo from './repo.ts';
import type { BetRow, BetStatus, MarketRow, MarketStatus, OutcomeRow } from './tables.ts';
import { priceRule } from './views.ts';

/*
 * Settlement, void and correction, exactly once.
 *
 * An operator's action (or the price sweep) only moves the market, under its row lock and by a
 * conditional update, into `settling` or `voiding` with the next round number, and enqueues the
 * processing job in the same transaction. The job then works through the market's bets in chunks,
 * each chunk one transaction: the bets are locked (`SKIP LOCKED`, so a duplicate job takes other
 * bets instead of waiting), marked processed for the round, and paid with ledger transfers whose
 * ids derive from bet, round and purpose, so no bet is paid twice even if two jobs race or one
 * crashes between chunks and runs again. When no bet of the round is left, the escrow's remainder
 * is swept (parimutuel: takeout and rounding remainder to `fees`; fixed odds: lost stakes to the
 * house) and the market becomes `settled` or `void`.
 *
 * Money: parimutuel winners are paid from the pool escrow; fixed-odds winners get their stake from
 * the escrow and the rest from the house. A correction (settled market, other winner) pays the
 * difference of each bet's payout from the house, or takes it back from the wallet as far as the
 * wallet holds it (what cannot be recovered stays with the user and is recorded in the audit row).
 */

export type EnqueueProcess = (tx: Db, marketId: string) => Promise<void>;

export interface ProcessOptions {
  batch?: number;
  /** Called after each committed chunk (tests simulate a crash by throwing here). */
  afterChunk?: (processed: number) => void | Promise<void>;
}

interface Actor {
  actor: AuditActor;
  origin?: RequestOrigin;
  reason?: string | undefined;
}

async function lockMarket(tx: Db, marketId: string) {
  const found = await repo.findMarket(tx, marketId, true);
  if (!found) throw new MarketNotFoundError();
  return found;
}

async function outcomeOf(tx: Db, market: MarketRow, outcomeId: string): Promise<OutcomeRow> {
  const outcome = (await repo.outcomesOfMarkets(tx, [market.id])).find((o) => o.id === outcomeId);
  if (!outcome) throw new BettingInputError('body.outcomeId', 'is not an outcome of this market');
  return outcome;
}

async function transition(tx: Db, market: MarketRow, from: MarketStatus[], patch: Partial<MarketRow>, what: string) {
  const row = await repo.transitionMarket(tx, market.id, from, patch);
  if (!row) throw new MarketStateError(market.status, `A ${market.status} market cannot be ${what}`);
  return row;
}

/** Settles a market with a winning outcome once its event has started (operators, the price sweep). */
export async function requestSettlement(
  db: Db,
  by: Actor,
  marketId: string,
  outcomeId: string,
  enqueue: EnqueueProcess,
  now = new Date(),
) {
  return withTransaction(db, async (tx) => {
    const { market, event } = await lockMarket(tx, marketId);
    await outcomeOf(tx, market, outcomeId);
    if (event.startsAt > now) {
      throw new MarketStateError(market.status, 'The event has not started yet; void the market instead');
    }
    const row = await transition(
      tx,
      market,
      ['open', 'suspended'],
      { status: 'settling', winningOutcomeId: outcomeId, round: market.round + 1 },
      'settled',
    );
    await appendAudit(tx, {
      actor: by.actor,
      ...(by.origin ? { origin: by.origin } : {}),
      action: 'betting.market.settle',
      target: { type: 'betting_market', id: marketId },
      details: { outcomeId, round: row.round, reason: by.reason ?? null },
    });
    await enqueue(tx, marketId);
    return row;
  });
}

/** Voids a market that is not settled: every stake is refunded by the job. */
export async function requestVoid(db: Db, by: Actor, marketId: string, enqueue: EnqueueProcess) {
  return withTransaction(db, async (tx) => {
    const { market } = await lockMarket(tx, marketId);
    const row = await transition(
      tx,
      market,
      ['open', 'suspended'],
      { status: 'voiding', round: market.round + 1 },
      'voided',
    );
    await appendAudit(tx, {
      actor: by.actor,
      ...(by.origin ? { origin: by.origin } : {}),
      action: 'betting.market.void',
      target: { type: 'betting_market', id: marketId },
      details: { round: row.round, reason: by.reason ?? null },
    });
    await enqueue(tx, marketId);
    return row;
  });
}

/** Corrects a settled market to another winner; the audit row keeps both outcomes and the reason. */
export async function requestCorrection(
  db: Db,
  by: Actor,
  marketId: string,
  outcomeId: string,
  enqueue: EnqueueProcess,
) {
  return withTransaction(db, async (tx) => {
    const { market } = await lockMarket(tx, marketId);
    await outcomeOf(tx, market, outcomeId);
    if (market.status === 'settled' && market.winningOutcomeId === outcomeId) {
      throw new BettingInputError('body.outcomeId', 'is already the winning outcome');
    }
    const row = await transition(
      tx,
      market,
      ['settled'],
      { status: 'settling', winningOutcomeId: outcomeId, round: market.round + 1, settledAt: null },
      'corrected',
    );
    await appendAudit(tx, {
      actor: by.actor,
      ...(by.origin ? { origin: by.origin } : {}),
      action: 'betting.market.correct',
      target: { type: 'betting_market', id: marketId },
      details: { from: market.winningOutcomeId, to: outcomeId, round: row.round, reason: by.reason ?? null },
    });
    await enqueue(tx, marketId);
    return row;
  });
}

interface Decision {
  bet: BetRow;
  status: BetStatus;
  payout: bigint;
}

function decide(market: MarketRow, outcomes: readonly OutcomeRow[], bets: readonly BetRow[]): Decision[] {
  if (market.status === 'voiding') return bets.map((bet) => ({ bet, status: 'void', payout: bet.stake }));
  const winning = outcomes.find((o) => o.id === market.winningOutcomeId)?.staked ?? 0n;
  const total = outcomes.reduce((s, o) => s + o.staked, 0n);
  return bets.map((bet) => {
    const won = bet.outcomeId === market.winningOutcomeId;
    if (market.type === 'parimutuel') {
      if (winning === 0n) return { bet, status: 'void', payout: bet.stake };
      return won
        ? { bet, status: 'won', payout: parimutuelShare(bet.stake, total, winning, market.takeoutBps) }
        : { bet, status: 'lost', payout: 0n };
    }
    return won ? { bet, status: 'won', payout: bet.potentialPayout ?? 0n } : { bet, status: 'lost', payout: 0n };
  });
}

/** The transfers one bet's decision needs in this round (none for a first-time loser). */
type Shortfall = { betId: string; userId: string; amount: string };

function movementsOf(market: MarketRow, d: Decision, house: string, batch: LedgerBatch, shortfalls: Shortfall[]) {
  const wallet = walletAccountId(d.bet.userId);
  const ref = d.bet.id;
  const id = (purpose: string) => movementId(d.bet.id, market.round, purpose);
  if (d.bet.status === 'open') {
    if (d.payout === 0n) return [];
    const kind = d.status === 'void' ? 'betting.refund' : 'betting.payout';
    const legs: Leg[] = [{ from: market.escrowId, to: wallet, asset: COIN, amount: d.payout }];
    if (market.type === 'fixed' && d.payout > d.bet.stake) {
      legs[0] = { from: market.escrowId, to: wallet, asset: COIN, amount: d.bet.stake };
      legs.push({ from: house, to: wallet, asset: COIN, amount: d.payout - d.bet.stake });
    }
    return [{ id: id(kind), kind, reference: ref, legs }];
  }
  // A correction: only the difference moves, through the house.
  const diff = d.payout - d.bet.payout;
  if (diff > 0n) {
    return [
      {
        id: id('correction'),
        kind: 'betting.correction',
        reference: ref,
        legs: [{ from: house, to: wallet, asset: COIN, amount: diff }],
      },
    ];
  }
  const held = batch.available(wallet, COIN);
  const back = -diff < held ? -diff : held > 0n ? held : 0n;
  if (back < -diff) shortfalls.push({ betId: d.bet.id, userId: d.bet.userId, amount: String(-diff - back) });
  if (back <= 0n) return [];
  return [
    {
      id: id('clawback'),
      kind: 'betting.clawback',
      reference: ref,
      legs: [{ from: wallet, to: house, asset: COIN, amount: back }],
    },
  ];
}

/** One chunk: returns how many bets it processed (0: none left that this worker could take). */
async function processChunk(db: Db, marketId: string, size: number): Promise<number> {
  return withRetryableTransaction(db, async (tx) => {
    const found = await repo.findMarket(tx, marketId);
    if (!found || (found.market.status !== 'settling' && found.market.status !== 'voiding')) return 0;
    const { market, event } = found;
    const bets = await repo.betsToProcess(tx, marketId, market.round, size);
    if (bets.length === 0) return 0;
    const outcomes = await repo.outcomesOfMarkets(tx, [marketId]);
    const decisions = decide(market, outcomes, bets);
    const marked = await repo.markProcessed(
      tx,
      market.round,
      decisions.map((d) => ({ id: d.bet.id, status: d.status, payout: d.payout })),
    );
    const house = systemShard('house', marketId);
    const mine = decisions.filter((d) => marked.has(d.bet.id));
    const keys = [market.escrowId, house, ...mine.map((d) => walletAccountId(d.bet.userId))].map((accountId) => ({
      accountId,
      asset: COIN,
    }));
    const batch = await LedgerBatch.open(tx, keys);
    const shortfalls: Shortfall[] = [];
    for (const d of mine) for (const m of movementsOf(market, d, house, batch, shortfalls)) batch.add(m);
    await batch.write();
    if (shortfalls.length > 0) {
      // What a correction could not take back (already spent) stays with the user, on the record.
      await appendAudit(tx, {
        actor: { type: 'system', id: 'betting.settlement' },
        action: 'betting.correction.shortfall',
        target: { type: 'betting_market', id: marketId },
        details: { round: market.round, shortfalls },
      });
    }
    const byUser = new Map<string, Decision[]>();
    for (const d of mine) byUser.set(d.bet.userId, [...(byUser.get(d.bet.userId) ?? []), d]);
    for (const [userId, list] of byUser) {
      const paid = list.reduce((s, d) => s + d.payout, 0n);
      await notify(
        tx,
        {
          userId,
          type: market.status === 'voiding' ? 'betting.void' : 'betting.settled',
          title: market.status === 'voiding' ? 'Bet refunded' : 'Bet settled',
          body: `${event.title} — ${market.name}: ${list.length} bet(s), ${paid} returned to your wallet`,
          data: { marketId, eventId: event.id, round: market.round, bets: list.map((d) => d.bet.id) },
        },
        { id: movementId(userId, marketId, market.round, list[0]?.bet.id ?? '') },
      );
    }
    return bets.length;
  });
}

/** Sweeps what is left in the escrow and closes the round, once no bet of it is left. */
async function finish(db: Db, marketId: string): Promise<boolean> {
  return withRetryableTransaction(db, async (tx) => {
    const { market } = await lockMarket(tx, marketId);
    if (market.status !== 'settling' && market.status !== 'voiding') return true;
    if ((await repo.unprocessedCount(tx, marketId, market.round)) > 0) return false;
    const [held] = await balances(tx, market.escrowId, COIN);
    const rest = held?.available ?? 0n;
    if (rest > 0n) {
      const parimutuel = market.type === 'parimutuel';
      await transfer(tx, {
        id: movementId(marketId, market.round, 'sweep'),
        kind: parimutuel ? 'betting.takeout' : 'betting.house',
        reference: marketId,
        memo: parimutuel ? 'takeout and rounding remainder' : 'lost stakes',
        legs: [
          {
            from: market.escrowId,
            to: parimutuel ? systemShard('fees', marketId) : systemShard('house', marketId),
            asset: COIN,
            amount: rest,
          },
        ],
      });
    }
    const done = market.status === 'voiding' ? 'void' : 'settled';
    await repo.transitionMarket(tx, marketId, [market.status], { status: done, settledAt: new Date() });
    return true;
  });
}

/**
 * The job: processes a settling or voiding market to the end. Safe to run twice at once or again
 * after a crash; returns the market's status afterwards.
 */
export async function processMarket(db: Db, marketId: string, opts: ProcessOptions = {}): Promise<string | null> {
  const size = opts.batch ?? 1000;
  let processed = 0;
  for (;;) {
    const n = await processChunk(db, marketId, size);
    if (n === 0) break;
    processed += n;
    await opts.afterChunk?.(processed);
  }
  await finish(db, marketId);
  return (await repo.findMarket(db, marketId))?.market.status ?? null;
}

/**
 * Settles card-price markets whose day is over from the exchange's recorded 1d candle of that day:
 * Yes when its close is above the threshold, No otherwise; no candle (no trades that day) voids
 * the market. The rule and the candle are stored on the event.
 */
export async function settleDuePriceEvents(db: Db, enqueue: EnqueueProcess, now = new Date()): Promise<number> {
  let settled = 0;
  for (const marketId of await repo.duePriceMarkets(db, now)) {
    const done = await withTransaction(db, async (tx) => {
      const { market, event } = await lockMarket(tx, marketId);
      if (market.status !== 'open' && market.status !== 'suspended') return false;
      if (!event.variantId || event.threshold === null || !event.priceDate) return false;
      const day = event.priceDate;
      const series = await recordedCandles(tx, [event.variantId], '1d', day, new Date(day.getTime() + 86_400_000));
      const candle = series[event.variantId]?.find((c) => c.start === day.getTime()) ?? null;
      const outcomes = await repo.outcomesOfMarkets(tx, [marketId]);
      const yes = candle !== null && BigInt(Math.round(candle.close)) > event.threshold;
      const winner = candle ? outcomes[yes ? 0 : 1] : undefined;
      await repo.updateEventSettlement(tx, event.id, {
        rule: priceRule(event.threshold, day),
        threshold: Number(event.threshold),
        candle,
        result: candle ? (yes ? 'Yes' : 'No') : 'void: no candle recorded that day',
        settledAt: now.toISOString(),
      });
      const actor: AuditActor = { type: 'system', id: 'betting.price-sweep' };
      if (winner) {
        await repo.transitionMarket(tx, marketId, ['open', 'suspended'], {
          status: 'settling',
          winningOutcomeId: winner.id,
          round: market.round + 1,
        });
      } else {
        await repo.transitionMarket(tx, marketId, ['open', 'suspended'], {
          status: 'voiding',
          round: market.round + 1,
        });
      }
      await appendAudit(tx, {
        actor,
        action: winner ? 'betting.market.settle' : 'betting.market.void',
        target: { type: 'betting_market', id: marketId },
        details: { candle, threshold: event.threshold.toString(), outcomeId: winner?.id ?? null },
      });
      await enqueue(tx, marketId);
      return true;
    });
    if (done) settled += 1;
  }
  return settled;
}
