import type { Db } from '../../platform/db/tx.ts';
import { business } from '../../platform/metrics/metrics.ts';
import * as repo from './repo.ts';
import { runBotTick, type RunnerDeps, type TickOutcome } from './runner.ts';

/*
 * The bot scheduler. Every worker polls for running bots whose next tick is due and claims a batch
 * with `FOR UPDATE SKIP LOCKED`, setting a lease: a bot is claimed by one worker at a time, and a
 * worker that dies leaves a lease that lapses, after which another worker picks the bot up. The
 * run row (unique per bot and tick) and the bot row's lock in the run's transaction make sure a
 * tick never runs twice. Bots run with bounded concurrency, each within its own budget, so a slow
 * bot delays only itself.
 */

export interface SchedulerOptions {
  /** Bots run at once by this worker. */
  concurrency: number;
  /** How long a claim holds before another worker may take the bot (ms). */
  leaseMs: number;
  /** Most bots claimed per poll. */
  batch: number;
}

export interface SweepReport {
  claimed: number;
  outcomes: Partial<Record<TickOutcome, number>>;
}

/** Claims the due bots and runs them; repeats while full batches keep coming, until `deadline`. */
export async function runDueBots(
  deps: RunnerDeps,
  opts: SchedulerOptions,
  now: () => number = Date.now,
  deadline = now() + opts.leaseMs / 2,
): Promise<SweepReport> {
  const report: SweepReport = { claimed: 0, outcomes: {} };
  for (;;) {
    const at = now();
    const claimed = await repo.claimDueBots(deps.db, new Date(at), opts.batch, new Date(at + opts.leaseMs));
    report.claimed += claimed.length;
    for (const bot of claimed) {
      if (bot.nextRunAt) business.botScheduleLag.observe(Math.max(0, at - bot.nextRunAt.getTime()) / 1000);
    }
    await eachLimited(claimed, opts.concurrency, async (bot) => {
      const outcome = await runBotTick(deps, bot, now()).catch(async (err: unknown) => {
        deps.logger.error({ err, botId: bot.id }, 'bot tick failed');
        await releaseLease(deps.db, bot.id);
        return 'retry' as const;
      });
      report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
      business.botTicks.inc({ outcome });
    });
    if (claimed.length < opts.batch || now() >= deadline) return report;
  }
}

async function releaseLease(db: Db, id: string): Promise<void> {
  await repo.updateBot(db, id, { leaseUntil: new Date(Date.now() + 5_000) }).catch(() => undefined);
}

/** Runs `fn` over the items with at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}

/** A poll loop for one worker process; `stop()` waits for the sweep in progress. */
export class BotScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly opts: SchedulerOptions & { pollMs: number },
  ) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.running = runDueBots(this.deps, this.opts)
        .catch((err: unknown) => this.deps.logger.error({ err }, 'bot scheduler sweep failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.opts.pollMs);
        });
    };
    this.timer = setTimeout(loop, this.opts.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
