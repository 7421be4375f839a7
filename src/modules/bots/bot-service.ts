import { uuidv7 } from 'uuidv7';
import type { Db } from '../../platform/db/tx.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { recordEvents } from '../../platform/events/index.ts';
import { decodeIdCursor, pageById } from '../../platform/http/cursor.ts';
import { BotLimitError, BotNotFoundError, BotStateError } from './errors.ts';
import { botChannelMessage } from './events.ts';
import { checkCards } from './market-view.ts';
import { performanceReport, timeInPosition } from './metrics.ts';
import { COIN, balances, cancelOrder, ensureWallet, transfer, walletAccountId, type Leg } from './ports.ts';
import * as repo from './repo.ts';
import { jitterMs } from './runner.ts';
import type { BotBody, BotPatch, PageQuery, RunsQuery } from './schemas.ts';
import { emptyState, roundTrips } from './simulator.ts';
import { INTERVAL_MS, type BotInterval } from './strategy.ts';
import { pinnedVersion } from './strategy-service.ts';
import type { BotRow } from './tables.ts';
import { botOrderView, botView, pointView, runView, tradeView } from './views.ts';

/*
 * Bots: a pinned strategy version, the cards it trades, a candle length and an allocation. A live
 * bot is its own ledger account: start moves the allocation from the owner's wallet into it, stop
 * cancels its open orders and moves everything it holds back. Every change takes the bot's row
 * lock first, then the exchange's and the ledger's, the order the runner takes them in.
 */

export interface Actor {
  userId: string;
  /** May act on any user's bot (admins). */
  any?: boolean;
}

export async function ownBot(db: Db, actor: Actor, id: string, lock = false): Promise<BotRow> {
  const row = await repo.findBot(db, id, lock);
  if (!row || (row.ownerId !== actor.userId && !actor.any)) throw new BotNotFoundError();
  return row;
}

export async function createBot(db: Db, ownerId: string, body: BotBody, maxPerUser: number) {
  const version = await pinnedVersion(db, ownerId, body.strategyId, body.strategyVersion);
  await checkCards(db, body.variantIds);
  return withTransaction(db, async (tx) => {
    if ((await repo.countBots(tx, ownerId)) >= maxPerUser) throw new BotLimitError(maxPerUser);
    const row = await repo.insertBot(tx, {
      id: uuidv7(),
      ownerId,
      name: body.name,
      strategyId: version.strategyId,
      strategyVersion: version.version,
      mode: body.mode,
      variantIds: body.variantIds.map((v) => v.toLowerCase()),
      interval: body.interval,
      allocation: BigInt(body.allocation),
      settings: body.settings ?? {},
    });
    return botView(row);
  });
}

export async function getBot(db: Db, actor: Actor, id: string) {
  return botView(await ownBot(db, actor, id));
}

export async function listBots(db: Db, ownerId: string, q: PageQuery) {
  const rows = await repo.botsOf(db, ownerId, q.limit + 1, decodeIdCursor(q.cursor));
  return pageById(rows, q.limit, botView);
}

/** Name and protections change any time; what it trades and with what only while not running. */
export async function updateBot(db: Db, actor: Actor, id: string, patch: BotPatch) {
  const found = await ownBot(db, actor, id);
  const structural = patch.strategyVersion ?? patch.variantIds ?? patch.interval ?? patch.allocation;
  if (structural !== undefined && found.status === 'running') {
    throw new BotStateError(
      found.status,
      'Pause or stop the bot before changing its strategy, cards, interval or allocation',
    );
  }
  if (patch.allocation !== undefined && found.status !== 'stopped') {
    throw new BotStateError(found.status, 'Stop the bot before changing its allocation');
  }
  if (patch.strategyVersion !== undefined)
    await pinnedVersion(db, found.ownerId, found.strategyId, patch.strategyVersion);
  if (patch.variantIds) await checkCards(db, patch.variantIds);
  return withTransaction(db, async (tx) => {
    const locked = await ownBot(tx, actor, id, true);
    if (locked.status !== found.status) throw new BotStateError(locked.status, 'The bot changed state; try again');
    const row = await repo.updateBot(tx, id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.settings !== undefined ? { settings: patch.settings } : {}),
      ...(patch.strategyVersion !== undefined ? { strategyVersion: patch.strategyVersion } : {}),
      ...(patch.variantIds ? { variantIds: patch.variantIds.map((v) => v.toLowerCase()) } : {}),
      ...(patch.interval ? { interval: patch.interval } : {}),
      ...(patch.allocation !== undefined ? { allocation: BigInt(patch.allocation) } : {}),
    });
    return botView(row);
  });
}

export async function deleteBot(db: Db, actor: Actor, id: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    const bot = await ownBot(tx, actor, id, true);
    if (bot.status !== 'stopped') throw new BotStateError(bot.status, 'Stop the bot before deleting it');
    await repo.deleteBot(tx, id);
  });
}

/**
 * Starts a stopped bot (a live one is funded from the owner's wallet; short funds are a 409
 * `insufficient_funds` and nothing changes) or resumes a paused one. It first runs at the next
 * candle close.
 */
export async function startBot(db: Db, actor: Actor, id: string, now = Date.now()) {
  return withTransaction(db, async (tx) => {
    const bot = await ownBot(tx, actor, id, true);
    if (bot.status === 'running') throw new BotStateError(bot.status, 'The bot is already running');
    const ms = INTERVAL_MS[bot.interval as BotInterval];
    const close = Math.floor(now / ms) * ms;
    const fresh = bot.status === 'stopped';
    if (fresh && bot.mode === 'live') await fund(tx, bot);
    const lastTick = Math.max(bot.lastTick?.getTime() ?? 0, close);
    const row = await repo.updateBot(tx, id, {
      status: 'running',
      pauseReason: null,
      consecutiveFailures: 0,
      lastTick: new Date(lastTick),
      nextRunAt: new Date(lastTick + ms + jitterMs(bot.id, ms)),
      leaseUntil: null,
      ...(fresh
        ? {
            startedAt: new Date(now),
            book: bot.mode === 'paper' ? emptyState(Number(bot.allocation)) : {},
            strategyState: {},
          }
        : {}),
    });
    await recordEvents(tx, [botChannelMessage(row, { kind: 'bot.status', status: row.status })]);
    return botView(row);
  });
}

async function fund(tx: Db, bot: BotRow): Promise<void> {
  await ensureWallet(tx, bot.id);
  if (bot.allocation === 0n) return;
  await transfer(tx, {
    kind: 'bots.allocate',
    reference: bot.id,
    memo: `allocation to bot ${bot.name}`,
    legs: [{ from: walletAccountId(bot.ownerId), to: walletAccountId(bot.id), asset: COIN, amount: bot.allocation }],
    audit: { actor: { type: 'user', id: bot.ownerId } },
  });
}

/** Pauses a running bot: no more ticks; a live bot's open orders stay on the book. */
export async function pauseBot(db: Db, actor: Actor, id: string, reason: string | null = null) {
  return withTransaction(db, async (tx) => {
    const bot = await ownBot(tx, actor, id, true);
    if (bot.status !== 'running') throw new BotStateError(bot.status, 'Only a running bot can be paused');
    const row = await repo.updateBot(tx, id, {
      status: 'paused',
      pauseReason: reason,
      nextRunAt: null,
      leaseUntil: null,
    });
    await recordEvents(tx, [botChannelMessage(row, { kind: 'bot.status', status: row.status, reason })]);
    return botView(row);
  });
}

/**
 * Stops a bot: a live bot's open exchange orders are cancelled first (their escrow returns to the
 * bot's account), then everything the account holds moves back to the owner's wallet.
 */
export async function stopBot(db: Db, actor: Actor, id: string) {
  return withTransaction(db, async (tx) => {
    const bot = await ownBot(tx, actor, id, true);
    if (bot.status === 'stopped') throw new BotStateError(bot.status, 'The bot is already stopped');
    if (bot.mode === 'live') await unwindLive(tx, bot);
    await repo.cancelOpenOrders(tx, bot.id);
    const row = await repo.updateBot(tx, id, {
      status: 'stopped',
      nextRunAt: null,
      leaseUntil: null,
      pauseReason: null,
    });
    await recordEvents(tx, [botChannelMessage(row, { kind: 'bot.status', status: row.status })]);
    return botView(row);
  });
}

async function unwindLive(tx: Db, bot: BotRow): Promise<void> {
  for (const order of await repo.openOrdersOf(tx, bot.id)) {
    if (!order.exchangeOrderId) continue;
    try {
      await tx.transaction((sp) => cancelOrder(sp, bot.id, order.exchangeOrderId as string));
    } catch (err) {
      // Already filled or cancelled on the exchange: nothing is left in escrow for it.
      if (!(err instanceof Error && 'code' in err && err.code === 'order_not_open')) throw err;
    }
  }
  const held = (await balances(tx, bot.id)).filter((b) => b.available > 0n);
  if (held.length === 0) return;
  const legs: Leg[] = held.map((b) => ({
    from: walletAccountId(bot.id),
    to: walletAccountId(bot.ownerId),
    asset: b.asset,
    amount: b.available,
  }));
  await transfer(tx, {
    kind: 'bots.return',
    reference: bot.id,
    memo: `bot ${bot.name} stopped`,
    legs,
    audit: { actor: { type: 'user', id: bot.ownerId } },
  });
}

export async function listRuns(db: Db, actor: Actor, id: string, q: RunsQuery) {
  await ownBot(db, actor, id);
  const rows = await repo.runsOf(db, id, q.limit + 1, decodeIdCursor(q.cursor), q.status);
  return pageById(rows, q.limit, runView);
}

export async function listBotOrders(db: Db, actor: Actor, id: string, q: PageQuery) {
  await ownBot(db, actor, id);
  const rows = await repo.ordersOf(db, id, q.limit + 1, decodeIdCursor(q.cursor));
  return pageById(rows, q.limit, botOrderView);
}

/**
 * Performance from the bot's own record: equity snapshots per tick and round trips rebuilt from
 * its fills by the simulator's position arithmetic, measured by the one metrics implementation.
 */
export async function botPerformance(db: Db, actor: Actor, id: string) {
  const bot = await ownBot(db, actor, id);
  const snapshots = await repo.equityOf(db, id);
  const equity = snapshots.map((e) => ({ t: e.at.getTime(), equity: Number(e.equity) }));
  // A snapshot whose equity differs from its cash was holding cards.
  const exposureMs = timeInPosition(snapshots.map((e) => ({ t: e.at.getTime(), held: e.equity !== e.cash })));
  const { closed, fees } = roundTrips(
    (await repo.fillsOf(db, id)).map((f) => ({
      variantId: f.variantId,
      side: f.side,
      price: Number(f.price),
      quantity: Number(f.quantity),
      fee: Number(f.fee),
      at: f.at.getTime(),
    })),
  );
  return {
    botId: bot.id,
    mode: bot.mode,
    equity: equity.slice(-1000).map(pointView),
    trades: closed.slice(-500).map(tradeView),
    metrics: performanceReport({ equity, trades: closed, fees, exposureMs }) as unknown as Record<
      string,
      { value: number } | { insufficient: string }
    >,
  };
}
