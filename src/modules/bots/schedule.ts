import { createHash } from 'node:crypto';
import type { BotSettings } from './schemas.ts';
import { INTERVAL_MS, type BotInterval } from './strategy.ts';
import type { BotRow } from './tables.ts';

/* When a bot runs: at candle closes, spread by a per-bot jitter, skipping or catching up missed ticks. */

export const settingsOf = (bot: BotRow) => bot.settings as BotSettings;

/** The tick to run at `now`: the latest candle close, or the first missed one when catching up. */
export function tickFor(bot: BotRow, now: number): number | null {
  const ms = INTERVAL_MS[bot.interval as BotInterval];
  const latest = Math.floor(now / ms) * ms;
  const last = bot.lastTick?.getTime();
  if (last === undefined) return latest;
  const tick = settingsOf(bot).missedTicks === 'catch_up' ? Math.min(latest, last + ms) : latest;
  return tick > last ? tick : null;
}

/** Spreads bots over the first seconds after a close, the same way for a bot every time. */
export function jitterMs(botId: string, intervalMs: number): number {
  const spread = Math.min(5_000, intervalMs / 20);
  return createHash('sha256').update(botId).digest().readUInt32BE(0) % Math.max(1, Math.floor(spread));
}

export function nextRunAt(bot: BotRow, tick: number, now: number): Date {
  const ms = INTERVAL_MS[bot.interval as BotInterval];
  const behind = settingsOf(bot).missedTicks === 'catch_up' && tick + ms <= Math.floor(now / ms) * ms;
  return new Date(behind ? now : tick + ms + jitterMs(bot.id, ms));
}
