import type { Db } from '../../platform/db/tx.ts';
import { canonicalJson, runBacktest } from './backtest.ts';
import { type Actor, ownBot } from './bot-service.ts';
import { feeTerms } from './market-view.ts';
import { loadMarketSettings, recordedCandles } from './ports.ts';
import * as repo from './repo.ts';
import type { Sandbox } from './sandbox/sandbox.ts';
import { settingsOf } from './schedule.ts';
import { DEFAULT_LOOKBACK, INTERVAL_MS, type BotInterval, type Intent } from './strategy.ts';
import { loadStrategy } from './strategy-service.ts';
import { PAPER_FILL_TERMS } from './tick-inputs.ts';

/*
 * The parity check: a bot's logged period replayed as a backtest of the same strategy version over
 * the same recorded candles, deciding at the same ticks and starting from the allocation. Each
 * tick's intents are compared with the logged ones (order ids by their order of appearance, since
 * the two venues name orders differently). A paper bot matches tick for tick; a live bot matches
 * until its real fills differ from the fill model's, and the report names that first tick.
 */

/** Ticks one parity check replays at most (from the bot's first logged run). */
export const MAX_PARITY_TICKS = 5000;

interface Outcome {
  intent: Intent;
  orderId?: string;
}

export interface ParityReport {
  botId: string;
  mode: string;
  strategyVersion: number;
  status: 'match' | 'diverged' | 'no_runs';
  from: string | null;
  to: string | null;
  checkedTicks: number;
  errorTicks: number;
  truncated: boolean;
  firstDivergence: { tick: string; logged: unknown[]; replayed: unknown[] } | null;
}

/** Names orders `#1`, `#2`, … in the order a sequence of decisions first mentions them. */
class OrderNames {
  private readonly names = new Map<string, string>();
  name(id: string): string {
    let found = this.names.get(id);
    if (!found) {
      found = `#${this.names.size + 1}`;
      this.names.set(id, found);
    }
    return found;
  }

  /** One tick's intents with order ids renamed, in a canonical order. */
  intents(outcomes: readonly Outcome[]): unknown[] {
    const out = outcomes.map((o) => {
      const intent = o.intent.action === 'cancel' ? { ...o.intent, orderId: this.name(o.intent.orderId) } : o.intent;
      if (o.orderId) this.name(o.orderId);
      return intent;
    });
    return out
      .map((i) => canonicalJson(i))
      .sort()
      .map((j) => JSON.parse(j) as unknown);
  }
}

export async function parityCheck(db: Db, sandbox: Sandbox, actor: Actor, id: string): Promise<ParityReport> {
  const bot = await ownBot(db, actor, id);
  const runs = await repo.runsInTickOrder(db, bot.id, MAX_PARITY_TICKS + 1);
  const truncated = runs.length > MAX_PARITY_TICKS;
  const checked = runs.slice(0, MAX_PARITY_TICKS);
  const base = {
    botId: bot.id,
    mode: bot.mode,
    strategyVersion: bot.strategyVersion,
    truncated,
    errorTicks: checked.filter((r) => r.status !== 'ok').length,
  };
  const ok = checked.filter((r) => r.status === 'ok');
  const first = checked[0];
  const last = checked.at(-1);
  if (!first || !last) {
    return { ...base, status: 'no_runs', from: null, to: null, checkedTicks: 0, firstDivergence: null };
  }
  const interval = bot.interval as BotInterval;
  const lookback = settingsOf(bot).lookback ?? DEFAULT_LOOKBACK;
  const ms = INTERVAL_MS[interval];
  const version = await repo.strategyVersion(db, bot.strategyId, bot.strategyVersion);
  if (!version) throw new Error(`strategy version ${bot.strategyId}@${bot.strategyVersion} is missing`);
  const strategy = await loadStrategy(sandbox, version);
  const replayed = new Map<number, Outcome[]>();
  try {
    const series = await recordedCandles(
      db,
      bot.variantIds,
      bot.interval,
      new Date(first.tick.getTime() - lookback * ms * 4),
      last.tick,
    );
    await runBacktest(
      strategy,
      series,
      interval,
      {
        initialCash: Number(bot.allocation),
        fees: feeTerms(await loadMarketSettings(db)),
        ...(bot.mode === 'paper' ? PAPER_FILL_TERMS : { spreadBps: 0, slippageBps: 0 }),
        lookback,
        decideFrom: first.tick.getTime(),
        decideAt: new Set(ok.map((r) => r.tick.getTime())),
      },
      { onDecision: (time, outcomes) => replayed.set(time, outcomes) },
    );
  } finally {
    await strategy.close?.();
  }
  const loggedNames = new OrderNames();
  const replayNames = new OrderNames();
  let count = 0;
  for (const run of ok) {
    const logged = loggedNames.intents(run.decisions as Outcome[]);
    const replay = replayNames.intents(replayed.get(run.tick.getTime()) ?? []);
    count += 1;
    if (canonicalJson(logged) !== canonicalJson(replay)) {
      return {
        ...base,
        status: 'diverged',
        from: first.tick.toISOString(),
        to: last.tick.toISOString(),
        checkedTicks: count,
        firstDivergence: { tick: run.tick.toISOString(), logged, replayed: replay },
      };
    }
  }
  return {
    ...base,
    status: 'match',
    from: first.tick.toISOString(),
    to: last.tick.toISOString(),
    checkedTicks: count,
    firstDivergence: null,
  };
}
