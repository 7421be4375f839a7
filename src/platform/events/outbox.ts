import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { afterCommit, type Db } from '../db/tx.ts';
import { outboxDeliveries, outboxEvents } from './tables.ts';

/** A domain event as handlers receive it. */
export interface DomainEvent<P = unknown> {
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: P;
  createdAt: Date;
  /** 1 on the first delivery, higher on retries. */
  attempt: number;
  /**
   * Position in the outbox: rises with commit order within an aggregate (its changes take the
   * aggregate's lock), so a handler may use it as the version of the state an event describes.
   * Set on every event the dispatcher delivers.
   */
  seq?: bigint;
}

/** PostgreSQL channel a commit that wrote outbox rows notifies (a statement trigger; see the migration). */
export const OUTBOX_NOTIFY_CHANNEL = 'platform_outbox';

type CommitListener = () => void;
const commitListeners = new Set<CommitListener>();

/**
 * Calls `listener` after every commit in this process that recorded outbox events (a rolled-back
 * transaction calls nothing). Dispatchers use it to deliver at once instead of at their next poll.
 * Returns the function that removes the listener.
 */
export function onEventsCommitted(listener: CommitListener): () => void {
  commitListeners.add(listener);
  return () => commitListeners.delete(listener);
}

function notifyCommitted() {
  for (const listener of commitListeners) listener();
}

export interface NewEvent<P = unknown> {
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: P;
}

/**
 * Records events inside the caller's transaction: they are delivered only if it commits.
 * `db` must be the caller's open transaction for that guarantee to hold.
 */
export async function recordEvents(db: Db, events: NewEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const rows = events.map((e) => ({
    id: uuidv7(),
    type: e.type,
    aggregateType: e.aggregateType,
    aggregateId: e.aggregateId,
    payload: e.payload,
  }));
  await db.insert(outboxEvents).values(rows);
  afterCommit(db, notifyCommitted);
  return rows.map((r) => r.id);
}

export async function recordEvent(db: Db, event: NewEvent): Promise<string> {
  const [id] = await recordEvents(db, [event]);
  return id as string;
}

interface ClaimedRow extends Record<string, unknown> {
  id: string;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: unknown;
  created_at: Date | string;
  attempts: number;
  seq: bigint | string;
}

/**
 * Leases up to `limit` deliverable events: the oldest pending event of each aggregate whose
 * backoff has elapsed and which no other dispatcher holds. Later events of an aggregate wait until
 * the one before them is delivered or parked, which keeps per-aggregate order.
 */
export async function claimEvents(db: Db, limit: number, leaseMs: number): Promise<DomainEvent[]> {
  const result = await db.execute<ClaimedRow>(sql`
    WITH heads AS (
      SELECT DISTINCT ON (aggregate_type, aggregate_id) id
      FROM platform_outbox_events
      WHERE status = 'pending'
      ORDER BY aggregate_type, aggregate_id, seq
    ), ready AS (
      SELECT e.id FROM platform_outbox_events e
      JOIN heads h ON h.id = e.id
      WHERE e.status = 'pending'
        AND e.next_attempt_at <= now()
        AND (e.locked_until IS NULL OR e.locked_until < now())
      ORDER BY e.seq
      LIMIT ${limit}
      FOR UPDATE OF e SKIP LOCKED
    )
    UPDATE platform_outbox_events o
    SET locked_until = now() + make_interval(secs => ${leaseMs / 1000}), attempts = o.attempts + 1
    FROM ready WHERE o.id = ready.id
    RETURNING o.id, o.type, o.aggregate_type, o.aggregate_id, o.payload, o.created_at, o.attempts, o.seq
  `);
  return result.rows
    .sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1))
    .map((r) => ({
      id: r.id,
      type: r.type,
      aggregateType: r.aggregate_type,
      aggregateId: r.aggregate_id,
      payload: r.payload,
      createdAt: new Date(r.created_at),
      attempt: r.attempts,
      seq: BigInt(r.seq),
    }));
}

/** Handlers of event `id` that already succeeded on an earlier attempt. */
export async function succeededHandlers(db: Db, id: string): Promise<Set<string>> {
  const rows = await db
    .select({ handler: outboxDeliveries.handler })
    .from(outboxDeliveries)
    .where(sql`${outboxDeliveries.eventId} = ${id}`);
  return new Set(rows.map((r) => r.handler));
}

export async function markHandlerSucceeded(db: Db, id: string, handler: string): Promise<void> {
  await db.insert(outboxDeliveries).values({ eventId: id, handler }).onConflictDoNothing();
}

/** Marks an event delivered and forgets its per-handler progress, in one statement (one commit). */
export async function markDelivered(db: Db, id: string): Promise<void> {
  await db.execute(sql`
    WITH progress AS (DELETE FROM platform_outbox_deliveries WHERE event_id = ${id})
    UPDATE platform_outbox_events
    SET status = 'delivered', delivered_at = now(), locked_until = NULL, last_error = NULL
    WHERE id = ${id}`);
}

/** The hourly job that deletes delivered events past OUTBOX_RETENTION_DAYS. */
export const OUTBOX_PURGE_JOB = 'platform.outbox-purge';

/**
 * Deletes up to `batch` events delivered more than `days` ago (their payloads name users and quote
 * what they wrote; once every handler has run, nothing reads them). Pending and parked events stay.
 * Returns how many were deleted.
 */
export async function purgeDelivered(db: Db, days: number, batch = 5000): Promise<number> {
  const r = await db.execute(sql`
    DELETE FROM platform_outbox_events WHERE id IN (
      SELECT id FROM platform_outbox_events
       WHERE status = 'delivered' AND delivered_at < now() - make_interval(days => ${days})
       LIMIT ${batch})`);
  return r.rowCount ?? 0;
}

/** Schedules a retry after `delayMs`, or parks the event when it has used all its attempts. */
export async function markFailed(db: Db, id: string, error: string, delayMs: number, park: boolean): Promise<void> {
  await db.execute(sql`
    UPDATE platform_outbox_events
    SET status = ${park ? 'parked' : 'pending'},
        next_attempt_at = now() + make_interval(secs => ${delayMs / 1000}),
        locked_until = NULL,
        last_error = ${error.slice(0, 2000)}
    WHERE id = ${id}`);
}

/** Puts a parked event back in line for delivery with a fresh set of attempts. */
export async function replayParked(db: Db, id: string): Promise<boolean> {
  const result = await db.execute(sql`
    UPDATE platform_outbox_events
    SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
    WHERE id = ${id} AND status = 'parked'`);
  return (result.rowCount ?? 0) > 0;
}

export interface ParkedEvent {
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
}

export async function listParked(db: Db, limit = 100): Promise<ParkedEvent[]> {
  const rows = await db
    .select({
      id: outboxEvents.id,
      type: outboxEvents.type,
      aggregateType: outboxEvents.aggregateType,
      aggregateId: outboxEvents.aggregateId,
      attempts: outboxEvents.attempts,
      lastError: outboxEvents.lastError,
      createdAt: outboxEvents.createdAt,
    })
    .from(outboxEvents)
    .where(sql`${outboxEvents.status} = 'parked'`)
    .orderBy(outboxEvents.seq)
    .limit(limit);
  return rows;
}

export interface OutboxStats {
  pending: number;
  parked: number;
  oldestPendingAgeSeconds: number;
}

export async function outboxStats(db: Db): Promise<OutboxStats> {
  const r = await db.execute<{ pending: number; parked: number; age: number | null }>(sql`
    SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
           count(*) FILTER (WHERE status = 'parked')::int AS parked,
           extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float8 AS age
    FROM platform_outbox_events WHERE status <> 'delivered'`);
  const row = r.rows[0];
  return { pending: row?.pending ?? 0, parked: row?.parked ?? 0, oldestPendingAgeSeconds: row?.age ?? 0 };
}
