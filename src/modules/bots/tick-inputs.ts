import type { Db } from '../../platform/db/tx.ts';
import { feeTerms } from './market-view.ts';
import { COIN, balances, loadMarketSettings, ordersWithFills, recordedCandles, type MarketSettings } from './ports.ts';
import * as repo from './repo.ts';
import { settingsOf } from './schedule.ts';
import { Simulator, emptyState, type SimFill, type SimState } from './simulator.ts';
import { DEFAULT_LOOKBACK, INTERVAL_MS, type BotInterval, type Candle } from './strategy.ts';
import type { BotOrderRow, BotRow } from './tables.ts';

/*
 * What a tick knows before its strategy decides: the closed candles, the bot's account (a paper
 * bot's simulated one, advanced over the candles closed since its last tick; a live bot's ledger
 * balances and the exchange fills of its orders), and the exchange's settings.
 */

/** The bot's persisted account: the simulator's state plus the equity peak for the drawdown guard. */
export interface BotBook extends SimState {
  peakEquity?: number;
}

export interface Prepared {
  tick: number;
  sim: Simulator;
  fills: SimFill[];
  lastClose: Record<string, number>;
  windows: Record<string, Candle[]>;
  market: MarketSettings;
  /** Live bots: the open orders before this tick and their progress on the exchange since. */
  live?: { open: BotOrderRow[]; progress: Map<string, { filled: bigint; status: BotOrderRow['status'] }> };
}

/** What a paper bot's market orders pay beyond the open: half the spread plus slippage. */
export const PAPER_FILL_TERMS = { spreadBps: 50, slippageBps: 10 } as const;

/** The last `lookback` closed candles per card before `tick`, and candles closed since the last tick. */
async function readCandles(db: Db, bot: BotRow, tick: number) {
  const ms = INTERVAL_MS[bot.interval as BotInterval];
  const lookback = settingsOf(bot).lookback ?? DEFAULT_LOOKBACK;
  // Candles exist only for buckets with trades, so the window reaches back further than `lookback` buckets.
  const from = new Date(tick - lookback * ms * 4);
  const series = await recordedCandles(db, bot.variantIds, bot.interval, from, new Date(tick));
  const windows: Record<string, Candle[]> = {};
  const lastClose: Record<string, number> = {};
  for (const [v, candles] of Object.entries(series)) {
    if (candles.length === 0) continue;
    windows[v] = candles.slice(-lookback);
    lastClose[v] = (candles.at(-1) as Candle).close;
  }
  const since = bot.lastTick?.getTime() ?? tick;
  const fresh: Record<string, Candle[]> = {};
  for (const [v, candles] of Object.entries(series)) fresh[v] = candles.filter((c) => c.start >= since);
  return { windows, lastClose, fresh };
}

export async function preparePaper(db: Db, bot: BotRow, tick: number): Promise<Prepared> {
  const market = await loadMarketSettings(db);
  const { windows, lastClose, fresh } = await readCandles(db, bot, tick);
  const book = bot.book as BotBook;
  const sim = new Simulator('cash' in book ? book : emptyState(Number(bot.allocation)), {
    fees: feeTerms(market),
    ...PAPER_FILL_TERMS,
  });
  const fills: SimFill[] = [];
  for (const v of Object.keys(fresh).sort()) for (const c of fresh[v] ?? []) fills.push(...sim.advance(v, c));
  return { tick, sim, fills, lastClose, windows, market };
}

export async function prepareLive(db: Db, bot: BotRow, tick: number): Promise<Prepared> {
  const market = await loadMarketSettings(db);
  const { windows, lastClose } = await readCandles(db, bot, tick);
  const stored = bot.book as BotBook;
  const sim = new Simulator(
    { ...emptyState(0), ...stored, orders: [] },
    { fees: feeTerms(market), spreadBps: 0, slippageBps: 0 },
  );
  const open = await repo.openOrdersOf(db, bot.id);
  const synced = await syncLiveFills(db, open);
  for (const f of synced.fills) sim.record(f);
  for (const [v, held] of Object.entries(sim.state.holdings)) {
    if (lastClose[v] !== undefined && lastClose[v] > held.peakPrice) held.peakPrice = lastClose[v];
  }
  const [coins] = await balances(db, bot.id, COIN);
  sim.state.cash = Number(coins?.available ?? 0n);
  return { tick, sim, fills: synced.fills, lastClose, windows, market, live: { open, progress: synced.progress } };
}

/** Exchange fills of the bot's open orders it has not booked yet, and each order's new progress. */
async function syncLiveFills(db: Db, open: readonly BotOrderRow[]) {
  const byExchange = new Map(open.filter((o) => o.exchangeOrderId).map((o) => [o.exchangeOrderId as string, o]));
  const { orders, fills } = await ordersWithFills(db, [...byExchange.keys()]);
  const fresh: SimFill[] = [];
  const progress = new Map<string, { filled: bigint; status: BotOrderRow['status'] }>();
  const seen = new Map<string, bigint>();
  for (const f of fills) {
    const mine = byExchange.get(f.orderId);
    if (!mine) continue;
    const before = seen.get(f.orderId) ?? 0n;
    seen.set(f.orderId, before + f.quantity);
    if (before < mine.filled) continue;
    fresh.push({
      orderId: mine.id,
      variantId: mine.variantId,
      side: mine.side,
      price: Number(f.price),
      quantity: Number(f.quantity),
      fee: Number(f.fee),
      at: f.at.getTime(),
    });
  }
  for (const o of orders) {
    const mine = byExchange.get(o.id);
    if (!mine) continue;
    const status = o.status === 'open' ? 'open' : o.status === 'filled' ? 'filled' : 'cancelled';
    if (o.filledQuantity !== mine.filled || status !== 'open')
      progress.set(mine.id, { filled: o.filledQuantity, status });
  }
  return { fills: fresh, progress };
}

export const openOrderView = (o: BotOrderRow) => ({
  id: o.id,
  variantId: o.variantId,
  side: o.side,
  price: o.price === null ? null : Number(o.price),
  quantity: Number(o.quantity),
  remaining: Number(o.quantity - o.filled),
  placedAt: o.createdAt.getTime(),
});
