import { uuidv7 } from 'uuidv7';
import type { Db } from '../../platform/db/tx.ts';
import { AppError } from '../../platform/http/errors.ts';
import { applyIntents } from './backtest.ts';
import { cancelOrder, placeOrder } from './ports.ts';
import * as repo from './repo.ts';
import { settingsOf } from './schedule.ts';
import type { Intent } from './strategy.ts';
import type { BotRow, botOrders } from './tables.ts';
import type { Prepared } from './tick-inputs.ts';

/*
 * What a tick does with its strategy's intents: an orders-per-hour budget, then the venue (the
 * simulated account of a paper bot; the exchange, as the bot's own account, for a live one), and
 * the fills and order progress it books.
 */

export interface Outcome {
  intent: Intent;
  orderId?: string;
  rejected?: string;
}

type NewOrder = Omit<typeof botOrders.$inferInsert, 'runId'> & { id: string };

/** Places the strategy's intents (after the order-rate guard) on the bot's venue. */
export async function applyDecision(tx: Db, bot: BotRow, p: Prepared, intents: readonly Intent[]) {
  const allowed = await rateLimited(tx, bot, intents, p.tick);
  const at = new Date(p.tick);
  if (bot.mode === 'paper') {
    const applied = applyIntents(p.sim, allowed.intents, p.tick, p.lastClose, uuidv7);
    const rows: NewOrder[] = [];
    for (const o of applied.outcomes) {
      if (o.intent.action === 'cancel') continue;
      rows.push(orderRow(bot, o.intent, o.orderId ?? uuidv7(), o.rejected, at));
    }
    return { rows, outcomes: [...applied.outcomes, ...allowed.dropped] };
  }
  return placeLive(tx, bot, p, allowed.intents, at).then((r) => ({
    ...r,
    outcomes: [...r.outcomes, ...allowed.dropped],
  }));
}

function orderRow(
  bot: BotRow,
  intent: Extract<Intent, { action: 'buy' | 'sell' }>,
  id: string,
  rejected: string | undefined,
  at: Date,
): NewOrder {
  return {
    id,
    botId: bot.id,
    variantId: intent.variantId,
    side: intent.action,
    type: intent.type,
    price: intent.type === 'limit' && intent.price !== undefined ? BigInt(Math.round(intent.price)) : null,
    quantity: BigInt(Math.max(0, Math.round(intent.quantity))),
    status: rejected ? 'rejected' : 'open',
    reason: intent.reason?.slice(0, 200) ?? null,
    rejection: rejected ?? null,
    exchangeOrderId: null,
    createdAt: at,
    updatedAt: at,
  };
}

/** Drops order intents beyond the bot's orders-per-hour budget. */
async function rateLimited(tx: Db, bot: BotRow, intents: readonly Intent[], tick: number) {
  const max = settingsOf(bot).maxOrdersPerHour;
  if (max === undefined) return { intents: [...intents], dropped: [] as Outcome[] };
  const used = await repo.ordersSince(tx, bot.id, new Date(tick - 3_600_000));
  let budget = max - used;
  const kept: Intent[] = [];
  const dropped: Outcome[] = [];
  for (const intent of intents) {
    if (intent.action === 'cancel' || budget > 0) {
      kept.push(intent);
      if (intent.action !== 'cancel') budget -= 1;
    } else {
      dropped.push({ intent, rejected: `order budget of ${max} per hour used` });
    }
  }
  return { intents: kept, dropped };
}

/** Live orders go to the exchange as the bot's account; each in a savepoint, so one refusal stays alone. */
async function placeLive(tx: Db, bot: BotRow, p: Prepared, intents: readonly Intent[], at: Date) {
  const rows: NewOrder[] = [];
  const outcomes: Outcome[] = [];
  const open = new Map((p.live?.open ?? []).map((o) => [o.id, o]));
  for (const intent of intents) {
    if (intent.action === 'cancel') {
      const target = open.get(intent.orderId);
      if (!target?.exchangeOrderId) {
        outcomes.push({ intent, rejected: 'no such open order' });
        continue;
      }
      const result = await attempt(tx, (sp) => cancelOrder(sp, bot.id, target.exchangeOrderId as string, p.market));
      outcomes.push(result.error ? { intent, rejected: result.error } : { intent });
      continue;
    }
    if (!bot.variantIds.includes(intent.variantId)) {
      outcomes.push({ intent, rejected: 'not a card this bot watches' });
      continue;
    }
    const id = uuidv7();
    const row = orderRow(bot, intent, id, undefined, at);
    const result = await attempt(tx, (sp) =>
      placeOrder(
        sp,
        {
          userId: bot.id,
          variantId: intent.variantId,
          side: intent.action,
          type: intent.type,
          timeInForce: intent.type === 'market' ? 'IOC' : 'GTC',
          ...(row.price !== null && row.price !== undefined ? { price: row.price } : {}),
          quantity: row.quantity as bigint,
        },
        p.market,
      ),
    );
    if ('error' in result && result.error !== undefined) {
      rows.push({ ...row, status: 'rejected', rejection: result.error });
      outcomes.push({ intent, rejected: result.error });
    } else if ('value' in result) {
      rows.push({ ...row, exchangeOrderId: result.value.id });
      outcomes.push({ intent, orderId: id });
    }
  }
  return { rows, outcomes };
}

async function attempt<T>(
  tx: Db,
  fn: (sp: Db) => Promise<T>,
): Promise<{ value: T; error?: undefined } | { error: string }> {
  try {
    return { value: await tx.transaction(fn) };
  } catch (err) {
    if (err instanceof AppError) return { error: `${err.code}: ${err.message}` };
    throw err;
  }
}

/** Stores the fills of this tick and the progress of the orders they belong to. */
export async function bookFills(tx: Db, bot: BotRow, p: Prepared): Promise<void> {
  await repo.insertFills(
    tx,
    p.fills.map((f) => ({
      id: uuidv7(),
      botId: bot.id,
      orderId: f.orderId,
      variantId: f.variantId,
      side: f.side,
      price: BigInt(f.price),
      quantity: BigInt(f.quantity),
      fee: BigInt(f.fee),
      at: new Date(f.at),
    })),
  );
  if (p.live) {
    for (const [id, progress] of p.live.progress) await repo.setOrderProgress(tx, id, progress);
    return;
  }
  const filled = new Map<string, number>();
  for (const f of p.fills) filled.set(f.orderId, (filled.get(f.orderId) ?? 0) + f.quantity);
  const stillOpen = new Set(p.sim.state.orders.map((o) => o.id));
  for (const [id, quantity] of filled) {
    await repo.addOrderFill(tx, id, BigInt(quantity), stillOpen.has(id) ? 'open' : 'filled');
  }
  await repo.closeMissingOrders(tx, bot.id, [...stillOpen]);
}
