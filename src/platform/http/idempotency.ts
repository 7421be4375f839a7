import { createHash } from 'node:crypto';
import { lt, sql } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { isUniqueViolation } from '../db/errors.ts';
import { withRetryableTransaction, type Db } from '../db/tx.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { AppError, ConflictError } from './errors.ts';
import { idempotencyKeys } from './tables.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route moves value and honours `Idempotency-Key` through `runIdempotent`. */
    idempotent?: boolean;
  }
}

/** Header schema for idempotent routes (documents the header and validates its shape). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description:
        'Makes retries safe: the same key with the same request returns the stored response without ' +
        'doing the work again (kept at least 24 h, per user and route).',
    }),
  ),
});

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super('idempotency_key_reused', 422, 'This Idempotency-Key was already used with a different request');
  }
}

export class IdempotencyInProgressError extends ConflictError {
  constructor() {
    super('idempotency_in_progress', 'A request with this Idempotency-Key is still being processed; retry later');
  }
}

export interface WorkResult {
  status: number;
  body: unknown;
}

/** JSON with object keys sorted, so two equal requests hash alike whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

class KeyCommittedMeanwhile extends Error {}

type Outcome = { replay: false; status: number; payload: string } | { replay: true; row: StoredResponse };

interface StoredResponse {
  requestHash: string;
  statusCode: number;
  contentType: string;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Keys are scoped to the caller and the route: the same key on two routes is two keys. */
export const idempotencyScope = (userId: string, method: string, route: string) => `${userId} ${method} ${route}`;

/** The advisory lock that marks a key as in progress (64 bits of a hash of scope and key). */
export const idempotencyLockKey = (scope: string, key: string) => sha256(`${scope}\n${key}`).readBigInt64BE(0);

/**
 * Runs a value-moving request's work in one transaction and replies with its result, honouring an
 * `Idempotency-Key` header scoped to the caller and route:
 * - first use: the work runs, and its serialized response is stored in the same transaction, so
 *   the key is recorded exactly when the work commits (a failed request stores nothing);
 * - same key and same request: the stored response is sent byte for byte; nothing runs again;
 * - same key, different request: 422 `idempotency_key_reused`;
 * - same key while the first request is still running: 409 `idempotency_in_progress` (a
 *   transaction-scoped advisory lock marks it, so nothing ever waits on another connection).
 * Without a key (or a signed-in caller) the work simply runs. The route must declare
 * `config.idempotent: true`.
 */
export async function runIdempotent(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  work: (tx: Db) => Promise<WorkResult>,
): Promise<FastifyReply> {
  if (request.routeOptions.config.idempotent !== true) {
    throw new Error(`route ${request.routeOptions.url} uses runIdempotent without config.idempotent`);
  }
  const header = request.headers['idempotency-key'];
  const key = typeof header === 'string' && header.length > 0 ? header : undefined;
  const userId = request.principal?.userId;
  if (!key || !userId) {
    const result = await withRetryableTransaction(db, work);
    return reply.code(result.status).send(result.body);
  }
  const scope = idempotencyScope(userId, request.method, request.routeOptions.url ?? request.url);
  const requestHash = sha256(
    canonicalJson({ params: request.params, query: request.query, body: request.body }),
  ).toString('hex');
  const lockKey = idempotencyLockKey(scope, key);

  const attempt = () =>
    withRetryableTransaction<Outcome>(db, async (tx) => {
      // One statement marks the key in progress and reads what it stored, if anything.
      const found = await tx.execute<{
        ok: boolean;
        request_hash: string | null;
        status_code: number | null;
        content_type: string | null;
        body: string | null;
      }>(sql`
        SELECT pg_try_advisory_xact_lock(${lockKey}::bigint) AS ok,
               k.request_hash, k.status_code, k.content_type, k.body
        FROM (SELECT 1) AS one
        LEFT JOIN platform_idempotency_keys k ON k.scope = ${scope} AND k.key = ${key}`);
      const row = found.rows[0];
      if (!row?.ok) throw new IdempotencyInProgressError();
      if (row.request_hash !== null) {
        if (row.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
        return {
          replay: true,
          row: {
            requestHash: row.request_hash,
            statusCode: row.status_code ?? 200,
            contentType: row.content_type ?? JSON_TYPE,
            body: row.body ?? '',
          },
        };
      }
      const result = await work(tx);
      const serialized = reply.code(result.status).serialize(result.body);
      const payload =
        typeof serialized === 'string' ? serialized : Buffer.from(new Uint8Array(serialized)).toString('utf8');
      try {
        await tx.insert(idempotencyKeys).values({
          scope,
          key,
          requestHash,
          statusCode: result.status,
          contentType: JSON_TYPE,
          body: payload,
        });
      } catch (err) {
        // The statement above read a snapshot taken just before a first request committed this
        // key: this work rolls back, and the next attempt replays the stored response.
        if (isUniqueViolation(err)) throw new KeyCommittedMeanwhile();
        throw err;
      }
      return { replay: false, status: result.status, payload };
    });
  const outcome = await attempt().catch((err: unknown) => {
    if (err instanceof KeyCommittedMeanwhile) return attempt();
    throw err;
  });
  if (outcome.replay) {
    return reply
      .code(outcome.row.statusCode)
      .type(outcome.row.contentType)
      .header('idempotent-replayed', 'true')
      .send(outcome.row.body);
  }
  return reply.code(outcome.status).type(JSON_TYPE).send(outcome.payload);
}

/** Deletes stored responses older than `hours`; returns how many. */
export async function purgeIdempotencyKeys(db: Db, hours: number): Promise<number> {
  const deleted = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, sql`now() - make_interval(hours => ${hours})`))
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}

const scheduled = new WeakSet<JobQueue>();
export const IDEMPOTENCY_PURGE_JOB = 'platform.idempotency-purge';

/** Schedules the hourly purge once per queue, whichever module asks first. */
export function scheduleIdempotencyPurge(jobs: JobQueue, db: Db, ttlHours: number): void {
  if (scheduled.has(jobs)) return;
  scheduled.add(jobs);
  jobs.define(IDEMPOTENCY_PURGE_JOB, async () => {
    await purgeIdempotencyKeys(db, ttlHours);
  });
  jobs.every(IDEMPOTENCY_PURGE_JOB, 3600);
}
