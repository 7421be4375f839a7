import type { Logger } from 'pino';
import { recordEvents } from '../../platform/events/index.ts';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { canonicalJson, strategyInput } from './backtest.ts';
import { botChannelMessage } from './events.ts';
import { createHash } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import { notify } from './ports.ts';
import * as repo from './repo.ts';
import { nextRunAt, settingsOf, tickFor } from './schedule.ts';
import { INTERVAL_MS, type BotInterval, type Intent, type Strategy } from './strategy.ts';
import type { StrategyCache } from './strategy-cache.ts';
import type { BotRow } from './tables.ts';
import { openOrderView, prepareLive, preparePaper, type BotBook, type Prepared } from './tick-inputs.ts';
import { applyDecision, bookFills } from './tick-orders.ts';

export { jitterMs, nextRunAt, tickFor } from './schedule.ts';
export type { BotBook } from './tick-inputs.ts';

/*
 * One tick of one bot: read what closed by the tick, let the strategy decide, then in one
 * transaction (the bot's row locked, the tick's run row unique) place the orders, record fills,
 * the run, the equity and the bot's next tick. Paper bots trade their simulated account by the
 * backtest's fill model, so a paper bot and a backtest of the same period agree; live bots trade
 * on the exchange as their own ledger account.
 */

export interface RunnerDeps {
  db: Db;
  strategies: StrategyCache;
  logger: Logger;
  maxFailures: number;
}

export type TickOutcome = 'ran' | 'failed' | 'paused' | 'not_due' | 'taken' | 'retry';

interface Decision {
  intents: Intent[];
  notes: string[];
  state: Record<string, unknown>;
  digest: string;
  cpuMs: number;
}
async function decide(strategy: Strategy, bot: BotRow, p: Prepared): Promise<Decision> {
  const input = strategyInput(
    p.sim,
    p.windows,
    p.tick,
    bot.interval as BotInterval,
    bot.strategyState as Record<string, unknown>,
  );
  if (p.live) {
    const progress = p.live.progress;
    input.openOrders = p.live.open
      .filter((o) => (progress.get(o.id)?.status ?? 'open') === 'open')
      .map((o) => openOrderView({ ...o, filled: progress.get(o.id)?.filled ?? o.filled }));
  }
  const digest = createHash('sha256').update(canonicalJson(input)).digest('hex').slice(0, 32);
  const cpu = process.cpuUsage();
  const output = await strategy.decide(input);
  const used = process.cpuUsage(cpu);
  return {
    intents: output.intents,
    notes: (output.notes ?? []).slice(0, 20).map((n) => String(n).slice(0, 500)),
    state: output.state ?? (bot.strategyState as Record<string, unknown>),
    digest,
    cpuMs: (used.user + used.system) / 1000,
  };
}
/** Runs the bot's due tick. The bot row was claimed by the scheduler (its lease is ours). */
export async function runBotTick(deps: RunnerDeps, bot: BotRow, now = Date.now()): Promise<TickOutcome> {
  const tick = tickFor(bot, now);
  if (tick === null) {
    await repo.updateBot(deps.db, bot.id, {
      leaseUntil: null,
      nextRunAt: nextRunAt(bot, bot.lastTick?.getTime() ?? now, now),
    });
    return 'not_due';
  }
  const clock = { startedAt: new Date(now), t0: performance.now() };
  let prepared: Prepared;
  try {
    prepared = bot.mode === 'live' ? await prepareLive(deps.db, bot, tick) : await preparePaper(deps.db, bot, tick);
  } catch (err) {
    deps.logger.warn({ err, botId: bot.id }, 'bot tick could not read its inputs; retrying');
    await repo.updateBot(deps.db, bot.id, { leaseUntil: new Date(now + retryDelayMs(bot)) });
    return 'retry';
  }
  let decision: Decision | { error: string; kind: string };
  try {
    const strategy = await deps.strategies.get(bot.strategyId, bot.strategyVersion);
    decision = await decide(strategy, bot, prepared);
  } catch (err) {
    decision = { error: err instanceof Error ? err.message : String(err), kind: errorKind(err) };
  }
  return recordTick(deps, bot, prepared, decision, clock, now);
}

const retryDelayMs = (bot: BotRow) => Math.min(60_000, 1000 * 2 ** Math.min(6, bot.consecutiveFailures));

function errorKind(err: unknown): string {
  if (err && typeof err === 'object' && 'kind' in err && typeof err.kind === 'string') return err.kind;
  return 'throw';
}

async function recordTick(
  deps: RunnerDeps,
  bot: BotRow,
  p: Prepared,
  decision: Decision | { error: string; kind: string },
  clock: { startedAt: Date; t0: number },
  now: number,
): Promise<TickOutcome> {
  const { startedAt } = clock;
  return withTransaction(deps.db, async (tx) => {
    const locked = await repo.findBot(tx, bot.id, true);
    if (!locked || locked.status !== 'running' || (locked.lastTick && locked.lastTick.getTime() >= p.tick))
      return 'taken';
    const failed = 'error' in decision;
    const placed = failed ? { rows: [], outcomes: [] } : await applyDecision(tx, bot, p, decision.intents);
    const protection = failed ? null : await protectionTripped(tx, bot, p);
    const failures = failed ? locked.consecutiveFailures + 1 : 0;
    const pause =
      protection ??
      (failures >= deps.maxFailures
        ? `${failures} failed runs in a row; last: ${(decision as { error: string }).error}`
        : null);
    const durationMs = performance.now() - clock.t0;
    const finishedAt = new Date(startedAt.getTime() + Math.round(durationMs));
    const runId = await repo.insertRun(tx, {
      id: uuidv7(),
      botId: bot.id,
      tick: new Date(p.tick),
      scheduledAt: bot.nextRunAt ?? startedAt,
      startedAt,
      finishedAt,
      status: failed ? 'error' : 'ok',
      errorKind: failed ? decision.kind : null,
      error: failed ? decision.error.slice(0, 2000) : null,
      inputsDigest: failed ? null : decision.digest,
      decisions: placed.outcomes,
      orders: placed.rows.map((o) => o.id),
      fills: p.fills.map((f) => ({ ...f, at: new Date(f.at).toISOString() })),
      notes: failed ? [] : decision.notes,
      durationMs,
      cpuMs: failed ? 0 : decision.cpuMs,
    });
    if (!runId) return 'taken';
    await repo.insertOrders(
      tx,
      placed.rows.map((o) => ({ ...o, runId })),
    );
    await bookFills(tx, bot, p);
    const equity = equityOf(p);
    const book: BotBook = { ...p.sim.state, peakEquity: Math.max((bot.book as BotBook).peakEquity ?? equity, equity) };
    await repo.insertEquity(tx, {
      botId: bot.id,
      at: new Date(p.tick),
      equity: BigInt(equity),
      cash: BigInt(Math.round(p.sim.state.cash)),
    });
    await repo.updateBot(tx, bot.id, {
      book,
      strategyState: failed ? bot.strategyState : decision.state,
      lastTick: new Date(p.tick),
      consecutiveFailures: failures,
      leaseUntil: null,
      ...(pause
        ? { status: 'paused', pauseReason: pause, nextRunAt: null }
        : { nextRunAt: nextRunAt(bot, p.tick, now) }),
    });
    if (pause) await notifyPaused(tx, bot, pause);
    await recordEvents(tx, [
      botChannelMessage(bot, {
        kind: 'bot.run',
        runId,
        tick: new Date(p.tick).toISOString(),
        status: failed ? 'error' : 'ok',
        orders: placed.rows.length,
        fills: p.fills.length,
        ...(pause ? { paused: pause } : {}),
      }),
    ]);
    if (pause) return 'paused';
    return failed ? 'failed' : 'ran';
  });
}

async function notifyPaused(tx: Db, bot: BotRow, reason: string) {
  await notify(tx, {
    userId: bot.ownerId,
    type: 'bots.paused',
    title: `Your bot “${bot.name}” paused itself`,
    body: reason,
    data: { botId: bot.id },
  });
}

/** Cash plus holdings at the last close, plus coins a live bot's open buys have in escrow. */
function equityOf(p: Prepared): number {
  let value = p.sim.equity(p.lastClose);
  if (p.live) {
    for (const o of p.live.open) {
      const left = p.live.progress.get(o.id);
      if (o.side === 'buy' && o.price !== null && (left?.status ?? 'open') === 'open') {
        value += Number(o.price) * Number(o.quantity - (left?.filled ?? o.filled));
      }
    }
  }
  return Math.round(value);
}

/** A protection that pauses the bot now, or null. */
async function protectionTripped(tx: Db, bot: BotRow, p: Prepared): Promise<string | null> {
  const s = settingsOf(bot);
  const equity = equityOf(p);
  const peak = Math.max((bot.book as BotBook).peakEquity ?? equity, equity);
  if (s.maxDrawdownPct !== undefined && peak > 0 && ((peak - equity) / peak) * 100 >= s.maxDrawdownPct) {
    return `max drawdown reached: equity ${equity} is ${(((peak - equity) / peak) * 100).toFixed(1)} % below its peak ${peak}`;
  }
  if (s.stopLossGuard) {
    const ms = INTERVAL_MS[bot.interval as BotInterval];
    const since = new Date(p.tick - s.stopLossGuard.windowCandles * ms);
    const stopOuts = await repo.recentStopOuts(tx, bot.id, since);
    if (stopOuts >= s.stopLossGuard.stopOuts)
      return `stop-loss guard: ${stopOuts} stop-loss exits within ${s.stopLossGuard.windowCandles} candles`;
  }
  return null;
}
