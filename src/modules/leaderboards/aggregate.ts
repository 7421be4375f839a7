import type { Logger } from 'pino';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { backtestValues, botValues, PERIODS, periodStart, RealisedProfit, type QualificationRules } from './compute.ts';
import type { BoardPeriod } from './contract.ts';
import type { BoardMirror } from './mirror.ts';
import {
  boardBacktests,
  boardBots,
  boardRecords,
  botAccountsAmong,
  boardUsers,
  cardHoldings,
  catalogPrices,
  executedTrades,
  ordersWithFills,
  publicCollectors,
  setsOfVariants,
  washTradedIds,
  type BoardBot,
  type BoardFill,
} from './ports.ts';
import * as repo from './repo.ts';
import { BOARD_KINDS, type BoardKind, type NewEntry } from './tables.ts';

/*
 * The aggregation job: computes stored board rows from the platform's own record. Changed bots
 * (marked dirty by their runs and status changes) are recomputed alone; a full rebuild recomputes
 * every board, drops subjects that are gone and slides the period windows. After each write the
 * touched boards are renumbered and, with Redis, mirrored.
 */

export interface AggregateDeps {
  db: Db;
  rules: QualificationRules;
  mirror?: BoardMirror | undefined;
  logger?: Logger;
  /** Called after boards changed (the preview cache is dropped). */
  onChange?: () => Promise<void>;
  now?: () => number;
}

const BATCH = 200;
const TRADE_PAGE = 5000;

type Touched = Set<`${BoardKind}|${BoardPeriod}`>;

/**
 * The moment each bot's record starts: the pin of its current strategy version. A bot seen for the
 * first time counts from its creation; a bot seen running another version than its pin restarts
 * at `seenAt`.
 */
export async function recordStarts(db: Db, bots: readonly BoardBot[], seenAt: Date): Promise<Map<string, Date>> {
  const pins = await repo.versionPins(
    db,
    bots.map((b) => b.id),
  );
  const changed: { botId: string; strategyVersion: number; since: Date }[] = [];
  const starts = new Map<string, Date>();
  for (const bot of bots) {
    const pin = pins.get(bot.id);
    if (pin && pin.version === bot.strategyVersion) {
      starts.set(bot.id, pin.since);
      continue;
    }
    // Seen for the first time: the version it runs now has been its only one since it started.
    const first = bot.startedAt && bot.startedAt < bot.createdAt ? bot.startedAt : bot.createdAt;
    const since = pin ? seenAt : first;
    changed.push({ botId: bot.id, strategyVersion: bot.strategyVersion, since });
    starts.set(bot.id, since);
  }
  await repo.pinVersions(db, changed);
  return starts;
}

/** Marks bots for recomputation and notes a version change, as of an event's time. */
export async function noticeBots(db: Db, botIds: readonly string[], at: Date): Promise<void> {
  const bots = await boardBots(db, { ids: botIds, limit: botIds.length });
  await recordStarts(db, bots, at);
  await repo.markDirty(db, botIds);
}

/** Drops live fills whose exchange trade carries an undismissed wash-trading flag. */
async function withoutWashTrades(db: Db, fills: readonly BoardFill[]): Promise<BoardFill[]> {
  const live = fills.filter((f) => f.exchangeOrderId !== null);
  if (live.length === 0) return [...fills];
  const { fills: executions } = await ordersWithFills(db, [...new Set(live.map((f) => f.exchangeOrderId as string))]);
  const key = (order: string, at: number, price: number, quantity: number) => `${order}|${at}|${price}|${quantity}`;
  const trades = new Map<string, string[]>();
  for (const x of executions) {
    const k = key(x.orderId, x.at.getTime(), Number(x.price), Number(x.quantity));
    trades.set(k, [...(trades.get(k) ?? []), x.tradeId]);
  }
  const tradeOf = new Map<string, string>();
  for (const f of live) {
    const tradeId = trades.get(key(f.exchangeOrderId as string, f.at, f.price, f.quantity))?.shift();
    if (tradeId) tradeOf.set(f.id, tradeId);
  }
  const flagged = await washTradedIds(db, [...tradeOf.values()]);
  return fills.filter((f) => {
    const tradeId = tradeOf.get(f.id);
    return tradeId === undefined || !flagged.has(tradeId);
  });
}

/** Board rows of these bots for every period. */
async function botRows(
  db: Db,
  bots: readonly BoardBot[],
  now: number,
  rules: QualificationRules,
  touched: Touched,
): Promise<NewEntry[]> {
  if (bots.length === 0) return [];
  const starts = await recordStarts(db, bots, new Date(now));
  const earliest = new Date(Math.min(...[...starts.values()].map((d) => d.getTime())));
  const records = await boardRecords(
    db,
    bots.map((b) => b.id),
    earliest,
  );
  const allFills = [...records.values()].flatMap((r) => r.fills);
  const kept = new Set((await withoutWashTrades(db, allFills)).map((f) => f.id));
  const sets = await setsOfVariants(
    db,
    bots.flatMap((b) => b.variantIds),
  );
  const computedAt = new Date(now);
  const rows: NewEntry[] = [];
  for (const bot of bots) {
    const record = records.get(bot.id) ?? { equity: [], fills: [] };
    const input = {
      allocation: Number(bot.allocation),
      since: (starts.get(bot.id) ?? bot.createdAt).getTime(),
      equity: record.equity,
      fills: record.fills.filter((f) => kept.has(f.id)),
    };
    const setIds = [...new Set(bot.variantIds.map((v) => sets.get(v)).filter((s): s is string => s !== undefined))];
    for (const period of PERIODS) {
      touched.add(`${bot.mode}|${period}`);
      rows.push({
        board: bot.mode,
        period,
        subjectId: bot.id,
        ownerId: bot.ownerId,
        name: bot.name,
        variantIds: bot.variantIds,
        setIds,
        ...botValues(input, period, now, rules),
        amount: null,
        computedAt,
      });
    }
  }
  return rows;
}

async function finish(deps: AggregateDeps, touched: Touched): Promise<void> {
  if (touched.size === 0) return;
  if (deps.mirror) {
    for (const t of touched) {
      const [board, period] = t.split('|') as [BoardKind, BoardPeriod];
      await deps.mirror.write(deps.db, board, period);
    }
  }
  await deps.onChange?.();
}

async function rerankAll(db: Db, touched: Touched): Promise<void> {
  for (const t of touched) {
    const [board, period] = t.split('|') as [BoardKind, BoardPeriod];
    await repo.rerank(db, board, period);
  }
}

/** Recomputes the bots marked dirty (up to `limit` per call); returns how many it took. */
export async function refreshDirty(deps: AggregateDeps, limit = 500): Promise<number> {
  const now = deps.now?.() ?? Date.now();
  const touched: Touched = new Set();
  const taken = await withTransaction(deps.db, async (tx) => {
    await repo.lockBoards(tx);
    const ids = await repo.takeDirty(tx, limit);
    if (ids.length === 0) return 0;
    const bots = await boardBots(tx, { ids, limit: ids.length });
    const found = new Set(bots.map((b) => b.id));
    const gone = ids.filter((id) => !found.has(id));
    await repo.deleteSubjects(tx, gone);
    if (gone.length > 0) for (const b of ['live', 'paper'] as const) for (const p of PERIODS) touched.add(`${b}|${p}`);
    for (let i = 0; i < bots.length; i += BATCH) {
      await repo.upsertEntries(tx, await botRows(tx, bots.slice(i, i + BATCH), now, deps.rules, touched));
    }
    await rerankAll(tx, touched);
    return ids.length;
  });
  await finish(deps, touched);
  return taken;
}

/** Backtest board rows: the latest finished backtest of each strategy version, per period. */
async function backtestRows(db: Db, now: number, rules: QualificationRules): Promise<NewEntry[]> {
  const rows: NewEntry[] = [];
  const computedAt = new Date(now);
  for (const period of PERIODS) {
    const start = periodStart(period, now);
    const backtests = await boardBacktests(db, start === null ? null : new Date(start));
    const sets = await setsOfVariants(
      db,
      backtests.flatMap((b) => b.variantIds),
    );
    for (const bt of backtests) {
      rows.push({
        board: 'backtest',
        period,
        subjectId: bt.id,
        ownerId: bt.ownerId,
        name: `${bt.strategyName} v${bt.strategyVersion}`,
        variantIds: bt.variantIds,
        setIds: [...new Set(bt.variantIds.map((v) => sets.get(v)).filter((s): s is string => s !== undefined))],
        ...backtestValues(bt, rules),
        amount: null,
        computedAt,
      });
    }
  }
  return rows;
}

/**
 * Trader rows: realised profit per person over each period, with an average cost per card rebuilt
 * from every exchange trade in order. Wash-flagged trades count for nobody; bots' own accounts and
 * inactive accounts are left out.
 */
async function traderRows(db: Db, now: number, rules: QualificationRules): Promise<NewEntry[]> {
  const books = PERIODS.map((p) => ({ period: p, book: new RealisedProfit(periodStart(p, now)) }));
  let after: { at: Date; id: string } | null = null;
  for (;;) {
    const page = await executedTrades(db, after, TRADE_PAGE);
    if (page.length === 0) break;
    const flagged = await washTradedIds(
      db,
      page.map((t) => t.id),
    );
    for (const t of page) {
      if (flagged.has(t.id) || t.at.getTime() > now) continue;
      const at = t.at.getTime();
      const { variantId, price, quantity } = t;
      for (const { book } of books) {
        book.add({ userId: t.buyerId, variantId, side: 'buy', price, quantity, fee: t.buyerFee, at });
        book.add({ userId: t.sellerId, variantId, side: 'sell', price, quantity, fee: t.sellerFee, at });
      }
    }
    const last = page[page.length - 1];
    if (!last || page.length < TRADE_PAGE) break;
    after = { at: last.at, id: last.id };
  }
  const ids = [...new Set(books.flatMap(({ book }) => [...book.fills.keys()]))];
  const bots = await botAccountsAmong(db, ids);
  const people = await boardUsers(
    db,
    ids.filter((id) => !bots.has(id)),
  );
  const computedAt = new Date(now);
  const rows: NewEntry[] = [];
  for (const { period, book } of books) {
    for (const [userId, fills] of book.fills) {
      const user = people.get(userId);
      if (!user?.active) continue;
      const reason = fills < rules.minTrades ? `fewer than ${rules.minTrades} trades` : null;
      rows.push({
        board: 'traders',
        period,
        subjectId: userId,
        ownerId: userId,
        name: user.username,
        variantIds: [],
        setIds: [],
        qualified: reason === null,
        reason,
        amount: book.profit.get(userId) ?? 0n,
        trades: fills,
        computedAt,
      });
    }
  }
  return rows;
}

/** Collector rows (period `all` only): public collections valued at catalogue prices. */
async function collectorRows(db: Db, now: number): Promise<NewEntry[]> {
  const rows: NewEntry[] = [];
  const computedAt = new Date(now);
  let after: string | null = null;
  for (;;) {
    const page = await publicCollectors(db, after, BATCH);
    if (page.length === 0) break;
    const holdings = await Promise.all(page.map(async (u) => ({ user: u, cards: await cardHoldings(db, u.id) })));
    const prices = await catalogPrices(db, [...new Set(holdings.flatMap((h) => h.cards.map((c) => c.variantId)))]);
    for (const { user, cards } of holdings) {
      if (cards.length === 0) continue;
      let value = 0n;
      let copies = 0n;
      for (const c of cards) {
        value += c.quantity * (prices.get(c.variantId) ?? 0n);
        copies += c.quantity;
      }
      rows.push({
        board: 'collectors',
        period: 'all',
        subjectId: user.id,
        ownerId: user.id,
        name: user.username,
        variantIds: [],
        setIds: [],
        qualified: value > 0n,
        reason: value > 0n ? null : 'no valued cards',
        amount: value,
        trades: Number(copies),
        computedAt,
      });
    }
    after = page[page.length - 1]?.id ?? null;
    if (page.length < BATCH) break;
  }
  return rows;
}

/** Recomputes every board from scratch; rows of subjects that are gone are dropped. */
export async function rebuildAll(deps: AggregateDeps): Promise<{ bots: number; ms: number }> {
  const started = performance.now();
  const now = deps.now?.() ?? Date.now();
  const { db, rules } = deps;
  const runStart = new Date(now);
  const touched: Touched = new Set();
  let afterId: string | undefined;
  let count = 0;
  for (;;) {
    const bots = await boardBots(db, { ...(afterId ? { afterId } : {}), limit: BATCH });
    if (bots.length === 0) break;
    await withTransaction(db, async (tx) => repo.upsertEntries(tx, await botRows(tx, bots, now, rules, touched)));
    count += bots.length;
    afterId = bots[bots.length - 1]?.id;
    if (bots.length < BATCH) break;
  }
  await withTransaction(db, async (tx) => {
    await repo.lockBoards(tx);
    await repo.upsertEntries(tx, await backtestRows(tx, now, rules));
    await repo.upsertEntries(tx, await traderRows(tx, now, rules));
    await repo.upsertEntries(tx, await collectorRows(tx, now));
    for (const board of BOARD_KINDS) {
      await repo.deleteStale(tx, board, runStart);
      for (const period of PERIODS) touched.add(`${board}|${period}`);
    }
    await repo.analyzeEntries(tx);
    await rerankAll(tx, touched);
  });
  await finish(deps, touched);
  const ms = performance.now() - started;
  deps.logger?.info({ bots: count, ms: Math.round(ms) }, 'leaderboards rebuilt');
  return { bots: count, ms };
}
