import PgBoss from 'pg-boss';
import { sql, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import { isRetryableConflict, isUniqueViolation } from '../db/errors.ts';
import type { Db } from '../db/tx.ts';

export type JobHandler<T> = (data: T, job: { id: string; name: string }) => Promise<void>;

export interface JobOptions {
  /** Retries after the first failure (default 3), with exponential backoff. */
  retryLimit?: number;
  /** Seconds a run may take before it counts as failed (default 300). */
  expireInSeconds?: number;
}

export interface JobQueueOptions {
  url: string;
  logger: Logger;
  /** Connections the queue keeps for itself. */
  poolSize?: number;
  /** Seconds between polls for new work (default 1). */
  pollingIntervalSeconds?: number;
}

export interface QueueStat {
  name: string;
  /** Jobs waiting to run now (created or retrying, start time passed). */
  ready: number;
  /** Seconds the oldest ready job has waited. */
  oldestAgeSeconds: number;
}

/**
 * Turns pg-boss's `$n` SQL into a drizzle query so a job is inserted inside the caller's
 * transaction and commits (or vanishes) with it.
 */
export function toDrizzleSql(text: string, values: unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  const chunks: SQL[] = [];
  parts.forEach((part, i) => {
    // pg sends undefined as NULL; drizzle would drop it from the query, so make it explicit.
    chunks.push(i % 2 === 0 ? sql.raw(part) : sql`${values[Number(part) - 1] ?? null}`);
  });
  return sql.join(chunks, sql.raw(''));
}

function dbAdapter(db: Db): PgBoss.Db {
  return {
    executeSql: async (text, values) => {
      const result = await db.execute(toDrizzleSql(text, values));
      return { rows: result.rows };
    },
  };
}

interface Definition {
  handler: JobHandler<unknown>;
  options: JobOptions;
}

/**
 * Durable jobs and recurring schedules on pg-boss. Every process can enqueue; only processes
 * started with `work: true` run handlers and drive schedules.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly definitions = new Map<string, Definition>();
  private readonly intervals: { name: string; seconds: number }[] = [];
  private readonly crons: { name: string; expression: string }[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private started = false;
  private working = false;

  constructor(private readonly opts: JobQueueOptions) {
    this.boss = new PgBoss({
      connectionString: opts.url,
      max: opts.poolSize ?? 3,
      application_name: 'ece-jobs',
    });
    this.boss.on('error', (err) => opts.logger.error({ err }, 'job queue error'));
  }

  /** Registers a job type and its handler; call before `start`. */
  define<T>(name: string, handler: JobHandler<T>, options: JobOptions = {}): void {
    if (this.started) throw new Error(`define ${name} before the queue starts`);
    this.definitions.set(name, { handler: handler as JobHandler<unknown>, options });
  }

  /** Runs job `name` every `seconds`, once per period across all worker processes. */
  every(name: string, seconds: number): void {
    this.intervals.push({ name, seconds });
  }

  /** Runs job `name` on a cron schedule (minute resolution), once per slot across all workers. */
  cron(name: string, expression: string): void {
    this.crons.push({ name, expression });
  }

  async start({ work }: { work: boolean }): Promise<void> {
    await this.boss.start();
    this.started = true;
    for (const [name, def] of this.definitions) await this.ensureQueue(name, def.options);
    if (!work) return;
    this.working = true;
    for (const [name, def] of this.definitions) {
      await this.boss.work<unknown>(
        name,
        { pollingIntervalSeconds: this.opts.pollingIntervalSeconds ?? 1, batchSize: 1 },
        async (jobs) => {
          for (const job of jobs) await def.handler(job.data, { id: job.id, name });
        },
      );
    }
    for (const { name, expression } of this.crons) await this.boss.schedule(name, expression, {});
    for (const { name, seconds } of this.intervals) {
      const tick = () =>
        this.boss
          .sendThrottled(name, {}, {}, seconds, name)
          .catch((err: unknown) => this.opts.logger.error({ err, job: name }, 'could not schedule job'));
      void tick();
      const timer = setInterval(tick, Math.max(1000, (seconds * 1000) / 2));
      timer.unref();
      this.timers.push(timer);
    }
  }

  /**
   * Creates the queue unless it exists. Several processes starting at once race to create the same
   * queue (and its partition) and PostgreSQL may pick one as a deadlock victim, so retry.
   */
  private async ensureQueue(name: string, options: JobOptions): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (await this.boss.getQueue(name)) return;
      try {
        await this.boss.createQueue(name, {
          name,
          retryLimit: options.retryLimit ?? 3,
          retryBackoff: true,
          retryDelay: 1,
          expireInSeconds: options.expireInSeconds ?? 300,
        });
        return;
      } catch (err) {
        if (attempt >= 5 || !(isRetryableConflict(err) || isUniqueViolation(err))) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
      }
    }
  }

  /**
   * Enqueues a job. Pass the caller's transaction as `db` to make the job part of it; pass null
   * to enqueue on the queue's own connection.
   */
  async enqueue(
    db: Db | null,
    name: string,
    data: object,
    options: { startAfterSeconds?: number; singletonKey?: string } = {},
  ): Promise<string | null> {
    if (!this.definitions.has(name)) throw new Error(`unknown job ${name}`);
    const send: PgBoss.SendOptions = {};
    if (options.startAfterSeconds) send.startAfter = options.startAfterSeconds;
    if (options.singletonKey) send.singletonKey = options.singletonKey;
    if (db) send.db = dbAdapter(db);
    return this.boss.send(name, data, send);
  }

  async stats(db: Db): Promise<QueueStat[]> {
    const names = [...this.definitions.keys()];
    if (names.length === 0 || !this.started) return [];
    const result = await db.execute<{ name: string; ready: number; age: number | null }>(sql`
      SELECT name, count(*)::int AS ready,
             extract(epoch FROM now() - min(start_after))::float8 AS age
      FROM pgboss.job
      WHERE state IN ('created', 'retry') AND start_after <= now()
      GROUP BY name`);
    const byName = new Map(result.rows.map((r) => [r.name, r]));
    return names.map((name) => ({
      name,
      ready: byName.get(name)?.ready ?? 0,
      oldestAgeSeconds: Math.max(0, byName.get(name)?.age ?? 0),
    }));
  }

  get isRunning(): boolean {
    return this.started;
  }

  get isWorking(): boolean {
    return this.working;
  }

  /** Stops taking work, lets running jobs finish (up to `timeoutMs`), then closes. */
  async stop(timeoutMs = 10_000): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    if (!this.started) return;
    this.started = false;
    this.working = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: timeoutMs });
  }
}
