import type { NewEvent } from '../../platform/events/index.ts';
import type { BacktestRow, BotRow } from './tables.ts';

export const BOTS_EVENTS = {
  /** A message for the bot's owner: runs, orders, fills, status and backtest progress. */
  publish: 'bots.publish',
  /** A strategy got a new version (payload: strategyId, ownerId, version). */
  strategyVersioned: 'bots.strategy_versioned',
} as const;

export interface BotMessagePayload {
  userId: string;
  message: Record<string, unknown>;
}

/**
 * A realtime message about a bot, sent through the outbox (a rolled-back run publishes nothing) to
 * the owner's private `user.<id>` channel, tagged `topic: bots.<bot id>`.
 */
export function botChannelMessage(bot: Pick<BotRow, 'id' | 'ownerId'>, message: Record<string, unknown>): NewEvent {
  return {
    type: BOTS_EVENTS.publish,
    aggregateType: 'bot',
    aggregateId: bot.id,
    payload: {
      userId: bot.ownerId,
      message: { topic: `bots.${bot.id}`, botId: bot.id, ...message },
    } satisfies BotMessagePayload,
  };
}

/** A backtest's progress or final status for its owner, tagged `topic: backtests.<id>`. */
export function backtestChannelMessage(
  row: Pick<BacktestRow, 'id' | 'ownerId' | 'status' | 'progress'>,
  extra: Record<string, unknown> = {},
): NewEvent {
  return {
    type: BOTS_EVENTS.publish,
    aggregateType: 'backtest',
    aggregateId: row.id,
    payload: {
      userId: row.ownerId,
      message: {
        topic: `backtests.${row.id}`,
        kind: 'backtest.progress',
        backtestId: row.id,
        status: row.status,
        progress: row.progress,
        ...extra,
      },
    } satisfies BotMessagePayload,
  };
}
